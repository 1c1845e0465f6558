import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app-context.js';
import { DomainError } from '../../domains/errors.js';
import { previewVouchers } from '../../domains/vouchers/check-vouchers.js';
import { redeemVouchers, type Recorder, type RedemptionOutcome } from '../../domains/vouchers/redeem-vouchers.js';
import type { Access } from '../access.js';
import { sendProblem } from '../errors.js';
import { requireClient } from '../request-context.js';
import {
  REDEMPTION_DESCRIPTION,
  idempotencyHeaders,
  redemptionBody,
  redemptionErrorResponses,
  redemptionSchema,
  voucherCheckBody,
  voucherCheckResponse,
} from './redemption-schemas.js';
import { bearerSecurity } from './schemas.js';

const REDEEM: Access = { kind: 'client', scope: 'redemptions:write', organisationKinds: ['provider'] };
/** The counter's batches check each request's token again as they write (redemption-facts.ts). */
const REDEEM_IN_BATCH: Access = { ...REDEEM, tokenRecheckedInTransaction: true };

/** The provider's API client records what it does as itself: no person behind it. */
function recorderOf(request: FastifyRequest): Recorder {
  const client = requireClient(request);
  return { providerId: client.organisationId, userId: null, tokenId: client.tokenId };
}

/**
 * A first answer and its replay under the same Idempotency-Key are built here from the stored
 * outcome alone, so that they are the same, byte for byte.
 */
function sendOutcome(request: FastifyRequest, reply: FastifyReply, outcome: RedemptionOutcome) {
  if (outcome.ok) return reply.status(201).send(outcome.redemption);
  return sendProblem(request, reply, outcome.reason, undefined, outcome.voucherIndex === undefined ? undefined : { voucherIndex: outcome.voucherIndex });
}

/** POST /api/v1/redemptions, and POST /api/v1/vouchers/check for the place's software. */
export function redemptionsApi(parent: FastifyInstance, ctx: AppContext) {
  const app = parent.withTypeProvider<ZodTypeProvider>();

  app.post(
    '/api/v1/redemptions',
    {
      config: { access: REDEEM_IN_BATCH },
      // A bad Idempotency-Key gets its own code rather than the generic validation_failed.
      attachValidation: true,
      schema: {
        tags: ['Encaissement'],
        summary: 'Encaisser des chèques pour un service',
        description: REDEMPTION_DESCRIPTION,
        security: bearerSecurity,
        headers: idempotencyHeaders,
        body: redemptionBody,
        response: { 201: redemptionSchema, ...redemptionErrorResponses },
      },
    },
    async (request, reply) => {
      if (request.validationError) {
        if (request.validationError.validationContext === 'headers') throw new DomainError('idempotency_key_invalid', 'Idempotency-Key');
        throw request.validationError;
      }
      const result = await redeemVouchers(ctx, recorderOf(request), request.body, request.headers['idempotency-key']);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return sendOutcome(request, reply, result.outcome);
    },
  );

  app.post(
    '/api/v1/vouchers/check',
    {
      config: { access: REDEEM },
      schema: {
        tags: ['Encaissement'],
        summary: 'Voir l’état de chèques sans les encaisser',
        description:
          'Pour chaque code, son état (`usable` : encaissable) et les règles de son financeur, comme le montre la page de scan ; rien n’est encaissé. Un code inconnu compte comme un refus pour la limite de tentatives du jeton (429 `too_many_refusals`).',
        security: bearerSecurity,
        body: voucherCheckBody,
        response: { 200: voucherCheckResponse, ...redemptionErrorResponses },
      },
    },
    async (request) => {
      const lines = await previewVouchers(ctx, recorderOf(request), request.body.codes, null);
      return {
        vouchers: lines.map((line) =>
          'problem' in line
            ? { input: line.input, problem: line.problem }
            : {
                input: line.input,
                code: line.voucher.code,
                state: line.voucher.state,
                faceValueCents: line.voucher.faceValueCents,
                validFrom: line.voucher.validFrom,
                validUntil: line.voucher.validUntil,
                lastScanDay: line.voucher.lastScanDay,
                usedOn: line.voucher.usedOn,
                rules: line.voucher.rules,
              },
        ),
      };
    },
  );
}
