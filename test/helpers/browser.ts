/**
 * A small cookie-keeping HTTP client that behaves like a browser submitting forms: it
 * stores cookies, sends `Origin` on POST, and reads the CSRF token out of the last page.
 */
export type Browser = ReturnType<typeof createBrowser>;

/** A fresh "browser" for one person. */
export function createBrowser(baseUrl: string) {
  const cookies = new Map<string, string>();
  let lastCsrf: string | null = null;

  function remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line) || value === '';
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  async function request(method: string, path: string, body?: URLSearchParams, headers: Record<string, string> = {}) {
    const res = await fetch(baseUrl + path, {
      method,
      redirect: 'manual',
      body,
      headers: {
        ...(cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(method === 'POST' ? { origin: baseUrl } : {}),
        ...headers,
      },
    });
    remember(res);
    const text = await res.text();
    const token = /name="_csrf" value="([^"]*)"/.exec(text)?.[1];
    if (token) lastCsrf = token;
    return { res, text, status: res.status, location: res.headers.get('location') };
  }

  return {
    cookies,
    get csrf() {
      return lastCsrf;
    },
    get: (path: string) => request('GET', path),
    /** POSTs a form; adds the last seen CSRF token unless `_csrf` is given (pass null to send none). */
    post(path: string, fields: Record<string, string | null>, headers?: Record<string, string>) {
      const form = new URLSearchParams();
      const withToken = '_csrf' in fields ? fields : { ...fields, _csrf: lastCsrf };
      for (const [k, v] of Object.entries(withToken)) if (v !== null) form.set(k, v);
      return request('POST', path, form, headers);
    },
    /** Opens the login page and signs in. */
    async signIn(email: string, password: string) {
      await request('GET', '/admin/login');
      return this.post('/admin/login', { email, password, next: '/admin' });
    },
  };
}
