/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** The signed-in person on staff paths; null elsewhere or when signed out. */
    user: import('./server/auth/sessions.ts').SessionUser | null;
    session: import('./server/auth/sessions.ts').Session | null;
    /** The token every form must send back as `_csrf` (set on staff paths). */
    csrfToken?: string;
    /** The language of the page being rendered, set by the page (src/i18n/astro.ts) for its components. */
    lang?: import('./i18n/index.ts').Lang;
  }
}
