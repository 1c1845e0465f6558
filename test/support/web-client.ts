import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PASSWORD } from './fixtures.js';

/**
 * A browser without a browser: app.inject with a cookie jar, that sends back the CSRF token of
 * the last page it read, as a form would.
 */
export class WebClient {
  private readonly cookies = new Map<string, string>();
  csrfToken = '';

  constructor(private readonly app: FastifyInstance) {}

  private remember(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() < Date.now()) || cookie.value === '';
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrfToken = token;
    return response;
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: this.cookieHeader() }));
  }

  /** Posts a form as a browser does, with the CSRF token unless one is given (or `null`: none). */
  async post(url: string, form: Record<string, string | string[]> = {}, options: { csrf?: string | null } = {}): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) body.append(key, v);
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (csrf !== null) body.append('_csrf', csrf);
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: body.toString(),
      }),
    );
  }

  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/connexion');
    const response = await this.post('/connexion', { email, password });
    if (response.statusCode !== 303) throw new Error(`sign-in of ${email} failed: ${response.statusCode}`);
    return response;
  }
}

/**
 * One signed-in browser per person, kept across tests (sign-ins are rate-limited): `as(email)` signs
 * in once with the fixtures' PASSWORD, then gives back the same client. `forget()` drops them all,
 * for a test that moves the clock past the sessions' lifetime. `app` is read at the first sign-in,
 * so the cache can be made before `beforeAll` builds the app.
 */
export class SignedInClients {
  private readonly clients = new Map<string, WebClient>();

  constructor(private readonly app: () => FastifyInstance) {}

  async as(email: string): Promise<WebClient> {
    let client = this.clients.get(email);
    if (!client) {
      client = new WebClient(this.app());
      await client.signIn(email, PASSWORD);
      this.clients.set(email, client);
    }
    return client;
  }

  forget(): void {
    this.clients.clear();
  }
}
