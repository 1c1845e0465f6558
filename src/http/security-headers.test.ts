import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../config.js';
import { recordSecurityHeaders, securityHeaderOptions, securityHeadersHook } from './security-headers.js';

const CONFIGS = {
  'plain http': readConfig({ PASSNUM_DATA_DIR: '/nonexistent-test-dir', PASSNUM_PUBLIC_URL: 'http://passnum.test' }),
  https: readConfig({ PASSNUM_DATA_DIR: '/nonexistent-test-dir', PASSNUM_PUBLIC_URL: 'https://passnum.fr', PASSNUM_MAP_TILES_URL: 'https://{s}.tiles.exemple.fr/{z}/{x}/{y}.png' }),
};

/** The kinds of response the application sends: JSON, a page, an error, an early answer, a 404. */
function withRoutes(app: FastifyInstance): FastifyInstance {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/early') return reply.status(401).header('www-authenticate', 'Bearer').send({ code: 'unauthenticated' });
  });
  app.get('/json', async () => ({ ok: true }));
  app.get('/page', async (_request, reply) => reply.type('text/html; charset=utf-8').send('<!doctype html><title>Page</title>'));
  app.get('/own-header', async (_request, reply) => reply.header('x-frame-options', 'SAMEORIGIN').send('ok'));
  app.get('/error', async () => {
    throw new Error('boom');
  });
  app.get('/early', async () => 'never');
  return app;
}

/** Every header as written on the wire: name as cased by whoever set it, in order, and value. */
function rawHeaders(response: LightMyRequestResponse): [string, unknown][] {
  // getRawHeaderNames is Node's (since 15.13), missing from the @types/node in use.
  const raw = response.raw.res as typeof response.raw.res & { getRawHeaderNames(): string[] };
  return raw.getRawHeaderNames().map((name) => [name, raw.getHeader(name)]);
}

describe('security headers', () => {
  for (const [label, config] of Object.entries(CONFIGS)) {
    it(`are exactly what @fastify/helmet writes, on every kind of response (${label})`, async () => {
      const plugin = Fastify();
      // The same options; the plugin types helmet's from its own (CommonJS) declarations.
      await plugin.register(helmet, securityHeaderOptions(config) as FastifyHelmetOptions);
      const replayed = Fastify();
      replayed.addHook('onRequest', securityHeadersHook(securityHeaderOptions(config)));
      for (const app of [withRoutes(plugin), withRoutes(replayed)]) await app.ready();
      for (const url of ['/json', '/page', '/own-header', '/error', '/early', '/nowhere']) {
        const [expected, actual] = [await plugin.inject({ url }), await replayed.inject({ url })];
        expect(actual.statusCode, url).toBe(expected.statusCode);
        expect(rawHeaders(actual), url).toEqual(rawHeaders(expected));
        expect(actual.body, url).toBe(expected.body);
      }
      await Promise.all([plugin.close(), replayed.close()]);
    });
  }

  it('include the policies the application relies on', () => {
    const headers = new Map(recordSecurityHeaders(securityHeaderOptions(CONFIGS.https)).map(({ name, value }) => [name.toLowerCase(), value]));
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('content-security-policy')).toContain('img-src \'self\' data: https://*.tiles.exemple.fr');
    expect(headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d+/u);
    expect(headers.has('x-powered-by')).toBe(true); // removed, as helmet does
    expect(headers.get('x-powered-by')).toBeUndefined();
    const plain = new Map(recordSecurityHeaders(securityHeaderOptions(CONFIGS['plain http'])).map(({ name, value }) => [name.toLowerCase(), value]));
    expect(plain.has('strict-transport-security')).toBe(false);
    expect(plain.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });

  it('refuse a policy that depends on the request, which cannot be computed once', () => {
    const options = securityHeaderOptions(CONFIGS.https);
    const perRequest = { ...options, contentSecurityPolicy: { directives: { defaultSrc: ["'self'", () => "'nonce-abc'"] } } };
    expect(() => recordSecurityHeaders(perRequest)).toThrow(/depends on the request/u);
  });
});
