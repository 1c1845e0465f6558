import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DomainError } from '../../../domains/errors.js';
import { previewVouchers } from '../../../domains/vouchers/check-vouchers.js';
import { parseVoucherCode } from '../../../domains/vouchers/codes.js';
import { redeemVouchers, type Recorder, type RedemptionOutcome } from '../../../domains/vouchers/redeem-vouchers.js';
import type { RefusalReason } from '../../../domains/vouchers/rules.js';
import { assessPreview, findProviderRedemption, loadScanContext, type ScanContext, type ScanPlace } from '../../../domains/vouchers/scan-context.js';
import { parisDay } from '../../../lib/paris-dates.js';
import { PROVIDER } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { sendErrorPage } from '../../errors.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import type { FieldErrors } from '../../views/forms.js';
import { DELIVERY_MODE_LABELS } from '../../views/voucher-labels.js';
import { parseForm } from '../page.js';
import { scanForm, scanValues, valuesOfInput, voucherName, type ScanInput } from './scan-form.js';
import {
  sendBlockedPage,
  sendPlaceChoicePage,
  sendPreviewPage,
  sendReceiptPage,
  sendScanPage,
  sendTooManyAttemptsPage,
} from './scan-pages.js';

/**
 * The provider's scan page (/structure/encaisser): choose the place, then the service, the date and
 * the vouchers; a preview shows each voucher's state and the holder's share; the confirmation
 * redeems (redeem-vouchers.ts) and leads to a receipt (Post/Redirect/Get). Any member of the
 * provider may take vouchers.
 */

const uuid = z.string().uuid();

/** Where a refusal is shown: next to the field it is about, or above the form. */
const REFUSAL_FIELDS: Partial<Record<RefusalReason, string>> = {
  service_date_invalid: 'serviceDate',
  service_not_in_catalogue: 'serviceCode',
  mediator_not_allowed: 'mediatorId',
  voucher_repeated: 'codes',
  too_many_vouchers: 'codes',
  holder_share_not_allowed: 'codes',
};

function recorderOf(request: FastifyRequest): Recorder {
  return { providerId: currentMembership(request).organisationId, userId: requireSession(request).user.id, tokenId: null };
}

/** The service, delivery mode and mediator chosen, checked against the place's catalogue. */
function checkChoice(context: ScanContext, place: ScanPlace, input: ScanInput) {
  const errors: FieldErrors = {};
  const service = place.services.find((s) => s.code === input.serviceCode);
  if (!service) errors.serviceCode = errorEntry('service_not_in_catalogue').message;
  else if (!service.deliveryModes.includes(input.deliveryMode)) {
    errors.deliveryMode = `Ce service n’est pas proposé « ${DELIVERY_MODE_LABELS[input.deliveryMode].toLowerCase()} » dans ce lieu : choisissez un autre mode ou un autre service.`;
  }
  const mediator = input.mediatorId === null ? undefined : context.mediators.find((m) => m.id === input.mediatorId);
  if (input.mediatorId !== null && !mediator) errors.mediatorId = errorEntry('mediator_unknown').message;
  return { errors, service, mediator };
}

/** The codes that are malformed or fail their check symbol, named, in one message; undefined when none. */
function codeMistakes(codes: readonly string[]): string | undefined {
  const messages = codes.flatMap((code, index) => {
    const parsed = parseVoucherCode(code);
    return parsed.ok ? [] : [`${voucherName(index, code)} : ${errorEntry(parsed.problem).message}`];
  });
  return messages.length > 0 ? messages.join(' ') : undefined;
}

function refusalErrors(outcome: Extract<RedemptionOutcome, { ok: false }>, codes: readonly string[]): { errors: FieldErrors; formError?: string } {
  const message = errorEntry(outcome.reason).message;
  if (outcome.voucherIndex !== undefined) return { errors: { codes: `${voucherName(outcome.voucherIndex, codes[outcome.voucherIndex])} : ${message}` } };
  const field = REFUSAL_FIELDS[outcome.reason];
  return field ? { errors: { [field]: message } } : { errors: {}, formError: message };
}

export function redemptionRoutes(app: FastifyInstance, ctx: AppContext) {
  const today = () => parisDay(ctx.clock.now());

  /** The context of the scan, or the page saying why there is none (already sent). */
  async function contextOrBlocked(request: FastifyRequest, reply: FastifyReply) {
    const context = await loadScanContext(ctx.db, currentMembership(request).organisationId);
    const blocked = sendBlockedPage(request, reply, context);
    return blocked ? { context: undefined, blocked } : { context, blocked: undefined };
  }

  /** The place the form names: one of the provider's places that can take vouchers, or a 404. */
  function placeOf(context: ScanContext, placeId: unknown): ScanPlace {
    const place = typeof placeId === 'string' ? context.places.find((p) => p.id === placeId) : undefined;
    if (!place) throw new DomainError('place_unknown');
    return place;
  }

  app.get('/structure/encaisser', { config: { access: PROVIDER } }, async (request, reply) => {
    const { context, blocked } = await contextOrBlocked(request, reply);
    if (!context) return blocked;
    if (context.places.length === 1) return sendScanPage(request, reply, context, context.places[0]!, today());
    const lieu = (request.query as { lieu?: unknown }).lieu;
    if (lieu === undefined) return sendPlaceChoicePage(request, reply, context, {});
    const place = context.places.find((p) => p.id === lieu);
    if (!place) return sendPlaceChoicePage(request, reply, context, { error: 'Choisissez un lieu de la liste' });
    return sendScanPage(request, reply, context, place, today());
  });

  app.post('/structure/encaisser/verification', { config: { access: PROVIDER } }, async (request, reply) => {
    const { context, blocked } = await contextOrBlocked(request, reply);
    if (!context) return blocked;
    const values = scanValues(request.body);
    const place = placeOf(context, values.placeId);
    const form = parseForm(scanForm, request.body);
    if (!form.ok) return sendScanPage(request, reply, context, place, today(), { status: 400, values, errors: form.errors });
    const { errors, service, mediator } = checkChoice(context, place, form.data);
    // A typing mistake is corrected in the form, before anything is looked up.
    const mistyped = codeMistakes(form.data.codes);
    if (mistyped) errors.codes = mistyped;
    if (!service || Object.keys(errors).length > 0) return sendScanPage(request, reply, context, place, today(), { status: 400, values, errors });
    let lines;
    try {
      lines = await previewVouchers(ctx, recorderOf(request), form.data.codes, place.id);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'too_many_refusals') return sendTooManyAttemptsPage(request, reply);
      throw error;
    }
    const assessment = assessPreview(lines, { place, service, serviceDate: form.data.serviceDate, deliveryMode: form.data.deliveryMode, mediator }, ctx.clock.now());
    return sendPreviewPage(request, reply, { place, service, mediator, input: form.data, assessment });
  });

  // « Corriger »: the form again, filled with what the preview carried.
  app.post('/structure/encaisser/corriger', { config: { access: PROVIDER } }, async (request, reply) => {
    const { context, blocked } = await contextOrBlocked(request, reply);
    if (!context) return blocked;
    const values = scanValues(request.body);
    return sendScanPage(request, reply, context, placeOf(context, values.placeId), today(), { values });
  });

  app.post('/structure/encaisser', { config: { access: PROVIDER } }, async (request, reply) => {
    const { context, blocked } = await contextOrBlocked(request, reply);
    if (!context) return blocked;
    const values = scanValues(request.body);
    const place = placeOf(context, values.placeId);
    const form = parseForm(scanForm, request.body);
    if (!form.ok) return sendScanPage(request, reply, context, place, today(), { status: 400, values, errors: form.errors });
    const input = form.data;
    const { errors } = checkChoice(context, place, input);
    if (Object.keys(errors).length > 0) return sendScanPage(request, reply, context, place, today(), { status: 400, values, errors });
    const again = (status: number, shown: { errors: FieldErrors; formError?: string }) =>
      sendScanPage(request, reply, context, place, today(), { status, values: valuesOfInput(input), ...shown });
    try {
      const { outcome } = await redeemVouchers(ctx, recorderOf(request), {
        placeId: place.id,
        serviceCode: input.serviceCode,
        serviceDate: input.serviceDate,
        deliveryMode: input.deliveryMode,
        codes: input.codes,
        mediatorId: input.mediatorId,
        publicAge: input.publicAge,
        publicSituation: input.publicSituation,
      });
      if (outcome.ok) return redirectAfterPost(reply, `/structure/encaisser/recu/${outcome.redemption.id}`);
      return again(errorEntry(outcome.reason).status, refusalErrors(outcome, input.codes));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'too_many_refusals') return sendTooManyAttemptsPage(request, reply);
      if (error.code === 'place_unknown') throw error;
      const message = errorEntry(error.code).message;
      const status = errorEntry(error.code).status;
      const codeIndex = /^codes\.(\d+)$/u.exec(error.field ?? '');
      if (codeIndex) return again(status, { errors: { codes: `${voucherName(Number(codeIndex[1]), input.codes[Number(codeIndex[1])])} : ${message}` } });
      if (error.field === 'codes' || error.field === 'serviceCode' || error.field === 'mediatorId') return again(status, { errors: { [error.field]: message } });
      return again(status, { errors: {}, formError: message });
    }
  });

  app.get('/structure/encaisser/recu/:id', { config: { access: PROVIDER } }, async (request, reply) => {
    const id = uuid.safeParse((request.params as { id?: string }).id);
    const receipt = id.success ? await findProviderRedemption(ctx.db, currentMembership(request).organisationId, id.data) : undefined;
    // Another provider's receipt is not found, as if it did not exist.
    if (!receipt) return sendErrorPage(request, reply, 'not_found');
    return sendReceiptPage(request, reply, receipt);
  });
}
