import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DomainError } from '../../../domains/errors.js';
import { findAcceptingPlaces } from '../../../domains/vouchers/accepting-places.js';
import { checkVoucherForHolder } from '../../../domains/vouchers/check-vouchers.js';
import { html } from '../../../lib/html.js';
import { PUBLIC } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { sendError } from '../../errors.js';
import { networkKey } from '../../network-key.js';
import { parseForm, sendPage } from '../page.js';
import { sendCodeForm, sendHolderResult } from './holder-page.js';

/**
 * The holder's page (/mon-pass): is this voucher valid, until when, where. The code travels in
 * POST bodies only (never in a URL, so never in a log or a browser history), and the look-ups are
 * rate-limited per network origin: the check symbol stops typing mistakes, the limit stops guessing.
 */

const LOOKUP_WINDOW_MS = 60 * 60_000;

const holderForm = z.object({
  code: z.string({ message: 'Saisissez le code du chèque' }).trim().min(1, 'Saisissez le code du chèque').max(100, 'Un code compte 17 caractères'),
  commune: z.string().trim().max(100, 'Saisissez le nom d’une commune ou un code postal').optional(),
  // Set by the search form: the commune is then expected.
  lieux: z.literal('1').optional(),
});

function sendTooManyLookups(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number | undefined) {
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return sendPage(
    request,
    reply,
    () => ({
      title: 'Trop de vérifications',
      body: html`<div class="narrow"><h1>Trop de vérifications</h1>
<p class="lead">Trop de codes ont été vérifiés depuis votre connexion à internet. Par sécurité, réessayez dans une heure.</p>
<p>Un lieu qui accepte le pass numérique peut aussi vérifier vos chèques sur place. <a href="/lieux">Trouver un lieu</a></p></div>`,
    }),
    429,
  );
}

export function holderRoutes(app: FastifyInstance, ctx: AppContext) {
  // Per network origin (an IPv6 /64 counts as one), in memory; the key never includes the body.
  const lookupLimit = {
    max: ctx.config.holderLookupsMax,
    timeWindow: LOOKUP_WINDOW_MS,
    keyGenerator: (request: { ip: string }) => `holder:${networkKey(request.ip)}`,
  };

  app.get('/mon-pass', { config: { access: PUBLIC } }, async (request, reply) => sendCodeForm(request, reply, {}));

  app.post(
    '/mon-pass',
    {
      config: { access: PUBLIC, rateLimit: lookupLimit },
      // The rate limit's 429 as a page of its own; anything else as everywhere.
      errorHandler: (error: FastifyError & { retryAfterSeconds?: number }, request, reply) =>
        error.statusCode === 429 ? sendTooManyLookups(request, reply, error.retryAfterSeconds) : sendError(request, reply, error),
    },
    async (request, reply) => {
      const form = parseForm(holderForm, request.body);
      if (!form.ok) return sendCodeForm(request, reply, { status: 400, code: form.values.code, errors: form.errors });
      let voucher;
      try {
        voucher = await checkVoucherForHolder(ctx, form.data.code);
      } catch (error) {
        if (!(error instanceof DomainError) || error.field !== 'code') throw error;
        return sendCodeForm(request, reply, { status: errorEntry(error.code).status, code: form.data.code, errors: { code: errorEntry(error.code).message } });
      }
      const code = form.data.code;
      const commune = form.data.commune ?? '';
      if (form.data.lieux === undefined) return sendHolderResult(request, reply, { voucher, code });
      if (commune === '') return sendHolderResult(request, reply, { voucher, code, errors: { commune: 'Saisissez une commune ou un code postal' } }, 400);
      const places = await findAcceptingPlaces(ctx.db, voucher, commune);
      if (places.location.kind === 'unknown' || places.location.kind === 'everywhere') {
        const errors = { commune: 'Nous ne trouvons pas cette commune : saisissez son nom, par exemple Bordeaux, ou son code postal à 5 chiffres.' };
        return sendHolderResult(request, reply, { voucher, code, commune, errors }, 400);
      }
      return sendHolderResult(request, reply, { voucher, code, commune, places });
    },
  );
}
