import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';

type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

/**
 * Secret-looking path segments (reset and invitation links carry 43-character tokens), secret-
 * looking runs inside query values (`retour=/invitations/<token>`) and the values of sensitive
 * query parameters never reach the log.
 */
const SECRET_SEGMENT = /^[A-Za-z0-9_-]{32,}$/;
const SECRET_RUN = /[A-Za-z0-9_-]{32,}/g;
const SECRET_QUERY_KEYS = new Set(['token', 'code', 'password', 'jeton']);

export function maskUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const maskedPath = path
    .split('/')
    .map((segment) => (SECRET_SEGMENT.test(segment) ? '[masqué]' : segment))
    .join('/');
  if (query === undefined) return maskedPath;
  const params = new URLSearchParams(query);
  for (const [key, value] of [...params]) {
    params.set(key, SECRET_QUERY_KEYS.has(key.toLowerCase()) ? '[masqué]' : value.replace(SECRET_RUN, '[masqué]'));
  }
  return `${maskedPath}?${params.toString()}`;
}

/**
 * pino through Fastify. Request bodies are never logged; headers are reduced to what helps,
 * cookies and authorization never.
 */
export function loggerOptions(level: string, stream?: DestinationStream): LoggerOptions {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[masqué]' },
    serializers: {
      req(request: { method: string; url: string; id: string; headers: Record<string, unknown> }) {
        return { id: request.id, method: request.method, url: maskUrl(request.url), userAgent: request.headers['user-agent'] };
      },
    },
  } as LoggerOptions;
}
