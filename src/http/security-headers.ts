import type { IncomingMessage, ServerResponse } from 'node:http';
import type { onRequestHookHandler } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { mapTilesOrigin, secureCookies, type Config } from '../config.js';

/**
 * The security headers of every response (pages, API, assets, errors), as helmet writes them.
 *
 * @fastify/helmet (now only the reference of security-headers.test.ts) rebuilds helmet's middleware
 * on every request, parsing the Content-Security-Policy directives again, then runs its chain of
 * fifteen middlewares: a few percent of the CPU of a redemption. Our options never change while the process runs, so the headers cannot either:
 * helmet runs once, at start-up, against a recorder, and each request replays what it did on the
 * raw response, in the same order and at the same point (the first onRequest hook), exactly as the
 * plugin did. What a client receives is unchanged.
 */

/** What helmet is asked for, on pages and API alike. */
export function securityHeaderOptions(config: Config): HelmetOptions {
  return {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Map tiles of /lieux come from the configured tile server (PASSNUM_MAP_TILES_URL).
        imgSrc: ["'self'", 'data:', mapTilesOrigin(config)],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: secureCookies(config) ? [] : null,
      },
    },
    // Reset and invitation links carry their token in the path: never send it to another site.
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: secureCookies(config),
  };
}

type HelmetMiddleware = (req: IncomingMessage, res: HeaderRecorder, next: (error?: unknown) => void) => void;

/** One thing helmet does to a response: set a header, or remove one (value undefined: X-Powered-By). */
export interface HeaderOperation {
  readonly name: string;
  readonly value: string | undefined;
}

/** The part of a response helmet touches. */
interface HeaderRecorder {
  setHeader(name: string, value: string): void;
  removeHeader(name: string): void;
}

/**
 * What helmet does to any response with these options. They must not depend on the request: a
 * directive given as a function (a per-request nonce, say) is refused, since replaying would freeze
 * its first value.
 */
export function recordSecurityHeaders(options: HelmetOptions): readonly HeaderOperation[] {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  if (directives.some((value) => typeof value === 'function' || (Array.isArray(value) && value.some((part) => typeof part === 'function')))) {
    throw new Error('security headers: a Content-Security-Policy directive depends on the request and cannot be computed once');
  }
  const operations: HeaderOperation[] = [];
  const recorder: HeaderRecorder = {
    setHeader: (name, value) => void operations.push({ name, value: String(value) }),
    removeHeader: (name) => void operations.push({ name, value: undefined }),
  };
  let finished = false;
  (helmet(options) as unknown as HelmetMiddleware)({} as IncomingMessage, recorder, (error) => {
    if (error) throw error;
    finished = true;
  });
  // helmet's middlewares are synchronous; if one ever is not, replaying would miss its headers.
  if (!finished) throw new Error('security headers: helmet did not finish synchronously');
  return Object.freeze(operations);
}

/** Replays the recorded operations on a response. */
export function applySecurityHeaders(response: ServerResponse, operations: readonly HeaderOperation[]): void {
  for (const { name, value } of operations) {
    if (value === undefined) response.removeHeader(name);
    else response.setHeader(name, value);
  }
}

/** The onRequest hook that stands for @fastify/helmet registered globally with these options. */
export function securityHeadersHook(options: HelmetOptions): onRequestHookHandler {
  const operations = recordSecurityHeaders(options);
  return function securityHeaders(_request, reply, done) {
    applySecurityHeaders(reply.raw, operations);
    done();
  };
}
