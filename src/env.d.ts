/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** The signed-in person on staff paths; null elsewhere or when signed out. */
    user: import('./server/auth/sessions.ts').SessionUser | null;
    session: import('./server/auth/sessions.ts').Session | null;
    /** The token every form must send back as `_csrf` (set on staff paths). */
    csrfToken?: string;
  }
}
