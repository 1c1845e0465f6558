import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { DestinationStream } from 'pino';
import type { AppContext } from '../app-context.js';
import { secureCookies } from '../config.js';
import { authenticateApiToken } from '../domains/accounts/api-tokens.js';
import { loadSession } from '../domains/accounts/sessions.js';
import { PUBLIC, decide } from './access.js';
import { auditEventsApi } from './api/audit-events.js';
import { openDataApi } from './api/open-data.js';
import { placesSearchApi } from './api/places-search.js';
import { referentialApi } from './api/referential.js';
import { organisationApi } from './api/organisation.js';
import { isApiRequest, sendError, sendErrorPage, sendProblem } from './errors.js';
import '../lib/zod-french.js';
import { loggerOptions } from './logging.js';
import { responseSerializerCompiler } from './response-serializer.js';
import { securityHeaderOptions, securityHeadersHook } from './security-headers.js';
import { SESSION_COOKIE } from './request-context.js';
import { accountRoutes } from './web/account/routes.js';
import { operatorApplicationRoutes } from './web/operator/applications.js';
import { operatorRoutes } from './web/operator/routes.js';
import { organisationRoutes } from './web/organisation/routes.js';
import { DOCUMENT_UPLOAD_OPTIONS, documentUploadRoute } from './web/provider/documents-page.js';
import { providerRoutes } from './web/provider/routes.js';
import { referentialPage } from './web/public/referential-page.js';
import { transparencyRoutes } from './web/public/transparency-page.js';
import { publicRoutes } from './web/public/routes.js';
import { placesRoutes } from './web/places/routes.js';
import { providerPlacesRoutes } from './web/provider-places/routes.js';
import { redemptionsApi } from './api/redemptions.js';
import { distributorRoutes } from './web/distributor/routes.js';
import { funderRoutes } from './web/funder/routes.js';
import { holderRoutes } from './web/holder/routes.js';
import { operatorOrderRoutes } from './web/operator/orders.js';
import { operatorSettlementRoutes } from './web/operator/settlements.js';
import { redemptionRoutes } from './web/redemption/routes.js';
import { providerMoneyRoutes } from './web/provider-money/routes.js';
import { funderMoneyRoutes } from './web/funder-money/routes.js';

const ASSETS = {
  'passnum.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./assets/passnum.css', import.meta.url)) },
  'passnum.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./assets/passnum.js', import.meta.url)) },
  'scan.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./assets/scan.js', import.meta.url)) },
};

export interface AppOptions {
  /** Where structured logs go (tests capture them); standard output by default. */
  logStream?: DestinationStream;
}

/**
 * Builds the whole HTTP application. Order: framework plugins, then the access check that every
 * route goes through, then the routes (pages, then API), then error handling.
 */
export async function buildApp(ctx: AppContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(ctx.config.logLevel, options.logStream),
    bodyLimit: 256 * 1024,
    // A hop count, never `true`: trusting every hop would let a client choose its own address.
    trustProxy: ctx.config.trustedProxies > 0 ? (_address: string, hop: number) => hop < ctx.config.trustedProxies : false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validatorCompiler);
  // Zod's schemas check what is sent too (response-serializer.ts: parsed rather than encoded).
  app.setSerializerCompiler(responseSerializerCompiler);

  // helmet's headers on every response, computed once (security-headers.ts explains why).
  app.addHook('onRequest', securityHeadersHook(securityHeaderOptions(ctx.config)));
  await app.register(cookie);
  await app.register(formbody);
  // Pages post forms, the API takes JSON: nothing else is parsed.
  app.removeContentTypeParser('text/plain');
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'passnum_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies(ctx.config) },
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error('rate_limited'), { statusCode: 429, retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'API passnum',
        version: '1',
        description:
          'API de la plateforme du pass numérique. Authentification par jeton d’organisation (Authorization: Bearer). Erreurs au format RFC 9457 (application/problem+json) avec un champ `code` stable.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });

  app.decorateRequest('session', undefined);
  app.decorateRequest('apiClient', undefined);

  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`route ${route.method} ${route.url} declares no access (see http/access.ts)`);
    // Pages are not part of the API document.
    if (!route.url.startsWith('/api/v1/')) route.schema = { ...route.schema, hide: true };
  });

  // Authentication then authorisation, before the body is parsed: an anonymous or forbidden
  // request never costs a parse, and 401/403 come before 400.
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access ?? PUBLIC;
    if (request.url.startsWith('/assets/') || request.url === '/healthz') return;
    if (access.kind === 'client') {
      const header = request.headers.authorization;
      const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      request.apiClient = bearer ? await authenticateApiToken(ctx, bearer, { recent: access.tokenRecheckedInTransaction === true }) : undefined;
    } else {
      const token = request.cookies[SESSION_COOKIE];
      request.session = token ? await loadSession(ctx, token) : undefined;
    }
    const decision = decide(access, { session: request.session, client: request.apiClient });
    if (decision === 'allowed') return;
    return isApiRequest(request) ? sendProblem(request, reply, decision) : sendErrorPage(request, reply, decision);
  });

  // The API speaks JSON only and pages post forms only, though both parsers are registered.
  app.addHook('preValidation', async (request, reply) => {
    if (request.body === undefined) return;
    const type = request.headers['content-type'] ?? '';
    if (isApiRequest(request)) {
      if (!type.startsWith('application/json')) return sendProblem(request, reply, 'unsupported_media_type');
    } else if (!type.startsWith('application/x-www-form-urlencoded')) {
      return sendErrorPage(request, reply, 'unsupported_media_type');
    }
  });

  // Every form post from a page carries the CSRF token (the API uses bearer tokens, not cookies).
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST' && !request.url.startsWith('/api/')) return app.csrfProtection(request, reply, done);
    done();
  });

  app.get('/assets/:file', { config: { access: PUBLIC } }, async (request, reply) => {
    const asset = ASSETS[(request.params as { file: string }).file as keyof typeof ASSETS];
    if (!asset) return sendErrorPage(request, reply, 'not_found');
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body);
  });

  app.get('/healthz', { config: { access: PUBLIC } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(ctx.db);
      return { status: 'ok' };
    } catch (error) {
      request.log.error({ err: error }, 'health check: database unreachable');
      return sendProblem(request, reply, 'database_unavailable');
    }
  });

  app.get('/api/openapi.json', { config: { access: PUBLIC } }, async () => app.swagger());

  // Before the routes: a route takes the error handler in place when it is registered, and the
  // awaited plugin scope below registers those declared above it.
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  publicRoutes(app);
  referentialPage(app, ctx);
  transparencyRoutes(app, ctx);
  accountRoutes(app, ctx);
  organisationRoutes(app, ctx);
  operatorRoutes(app, ctx);
  operatorApplicationRoutes(app, ctx);
  providerRoutes(app, ctx);
  providerPlacesRoutes(app, ctx);
  placesRoutes(app, ctx);
  funderRoutes(app, ctx);
  distributorRoutes(app, ctx);
  operatorOrderRoutes(app, ctx);
  operatorSettlementRoutes(app, ctx);
  redemptionRoutes(app, ctx);
  holderRoutes(app, ctx);
  providerMoneyRoutes(app, ctx);
  funderMoneyRoutes(app, ctx);
  // Only the provider's document upload takes multipart: its parser exists in this scope alone,
  // so any other route answers 415 to a multipart body.
  await app.register(async (scope) => {
    await scope.register(multipart, DOCUMENT_UPLOAD_OPTIONS);
    documentUploadRoute(scope, ctx);
  });
  organisationApi(app, ctx);
  auditEventsApi(app, ctx);
  openDataApi(app, ctx);
  placesSearchApi(app, ctx);
  referentialApi(app, ctx);
  redemptionsApi(app, ctx);

  app.setNotFoundHandler((request, reply) =>
    isApiRequest(request) ? sendProblem(request, reply, 'not_found') : sendErrorPage(request, reply, 'not_found'),
  );
  return app;
}
