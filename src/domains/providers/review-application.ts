import type { Kysely } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { ApplicationStatus, DB } from '../../db/schema.js';
import { deliverInBackground } from '../../mail/deliver.js';
import type { MailMessage } from '../../mail/mailer.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { publishProviderPlaces, withdrawProviderPlaces } from '../places/manage-places.js';
import { DomainError } from '../errors.js';
import { nextStatus, type ApplicationAction } from './application.js';
import { reviewMail, type ReviewMailKind } from './review-mails.js';
import { providerAdminEmails } from './repository.js';

/**
 * The operator's decisions on a provider's application (request changes, qualify, refuse), the
 * suspension and reinstatement of a qualified provider, and questions to the applicant.
 *
 * Every state change is a conditional update on the state the decision starts from: two operators
 * deciding at once cannot both win; the second gets `application_status_conflict`. The change, its
 * message, the places it publishes or withdraws (places/manage-places.ts) and its audit event land in
 * one transaction; the provider's admins are mailed after the commit.
 */

export type ReviewDecision = Exclude<ApplicationAction, 'submit'>;

/** Decisions that must explain themselves to the applicant. */
export const MESSAGE_REQUIRED: Record<ReviewDecision, boolean> = { request_changes: true, qualify: false, refuse: true };

const DECISION_MAIL: Record<ReviewDecision, ReviewMailKind> = { request_changes: 'changes_requested', qualify: 'qualified', refuse: 'refused' };

const MESSAGE_MAX_LENGTH = 5000;

function cleanMessage(message: string | undefined, required: boolean): string | undefined {
  const body = message?.trim();
  if (!body) {
    if (required) throw new DomainError('review_message_required', 'message');
    return undefined;
  }
  if (body.length > MESSAGE_MAX_LENGTH) throw new DomainError('review_message_too_long', 'message');
  return body;
}

function authorOf(actor: Actor): string {
  if (!actor.userId) throw new Error('an operator decision needs a person');
  return actor.userId;
}

async function findProvider(trx: Kysely<DB>, providerId: string) {
  const provider = await trx
    .selectFrom('providers as p')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .select(['p.status', 'p.siret', 'p.rna', 'p.suspended_at as suspendedAt', 'o.name'])
    .where('p.organisation_id', '=', providerId)
    .executeTakeFirst();
  if (!provider) throw new DomainError('provider_unknown');
  return provider;
}

async function insertMessage(trx: Kysely<DB>, input: { providerId: string; authorId: string; body: string; at: Date }): Promise<string> {
  const row = await trx
    .insertInto('application_messages')
    .values({ provider_id: input.providerId, author_id: input.authorId, from_operator: true, body: input.body, created_at: input.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

function pivotOf(provider: { siret: string | null; rna: string | null }): string {
  const pivot = provider.siret ?? provider.rna;
  // The providers table guarantees one of them (see migration 0003).
  if (!pivot) throw new Error('a provider without SIRET nor RNA');
  return pivot;
}

async function mailsToAdmins(trx: Kysely<DB>, ctx: AppContext, input: { providerId: string; providerName: string; kind: ReviewMailKind; message?: string | undefined }): Promise<MailMessage[]> {
  const emails = await providerAdminEmails(trx, input.providerId);
  return emails.map((to) => reviewMail({ to, kind: input.kind, providerName: input.providerName, message: input.message, publicUrl: ctx.config.publicUrl }));
}

function deliverAll(ctx: AppContext, mails: MailMessage[]): void {
  for (const mail of mails) deliverInBackground(ctx, mail);
}

/**
 * Request changes, qualify or refuse a submitted application. Qualifying publishes the provider's
 * places. The message (required to request changes or refuse) joins the application's thread.
 */
export async function decideApplication(
  ctx: AppContext,
  actor: Actor,
  input: { providerId: string; decision: ReviewDecision; message?: string | undefined },
): Promise<{ status: ApplicationStatus; publishedPlaces: number }> {
  const message = cleanMessage(input.message, MESSAGE_REQUIRED[input.decision]);
  const authorId = authorOf(actor);
  const now = ctx.clock.now();
  const { result, mails } = await ctx.db.transaction().execute(async (trx) => {
    const provider = await findProvider(trx, input.providerId);
    const to = nextStatus(provider.status, input.decision);
    if (!to) throw new DomainError('application_status_conflict');
    const updated = await trx
      .updateTable('providers')
      .set({ status: to, decided_at: now, updated_at: now })
      .where('organisation_id', '=', input.providerId)
      .where('status', '=', provider.status)
      .returning('status')
      .executeTakeFirst();
    // Someone else decided between our read and our update.
    if (!updated) throw new DomainError('application_status_conflict');
    const messageId = message ? await insertMessage(trx, { providerId: input.providerId, authorId, body: message, at: now }) : undefined;
    const publishedPlaces = to === 'qualified' ? (await publishProviderPlaces(trx, input.providerId, pivotOf(provider), { actor, at: now })).length : 0;
    await recordAuditEvent(trx, actor, now, {
      action: `application.${to}`,
      subjectType: 'provider',
      subjectId: input.providerId,
      before: { status: provider.status },
      after: { status: to, ...(messageId ? { messageId } : {}), ...(to === 'qualified' ? { publishedPlaces } : {}) },
    });
    const mails = await mailsToAdmins(trx, ctx, { providerId: input.providerId, providerName: provider.name, kind: DECISION_MAIL[input.decision], message });
    return { result: { status: to, publishedPlaces }, mails };
  });
  deliverAll(ctx, mails);
  return result;
}

/** Suspends a qualified provider, with a reason: its places leave the map until reinstatement. */
export async function suspendProvider(ctx: AppContext, actor: Actor, input: { providerId: string; reason: string }): Promise<{ withdrawnPlaces: number }> {
  const reason = cleanMessage(input.reason, true)!;
  const now = ctx.clock.now();
  const { withdrawnPlaces, mails } = await ctx.db.transaction().execute(async (trx) => {
    const provider = await findProvider(trx, input.providerId);
    const updated = await trx
      .updateTable('providers')
      .set({ suspended_at: now, suspension_reason: reason, updated_at: now })
      .where('organisation_id', '=', input.providerId)
      .where('status', '=', 'qualified')
      .where('suspended_at', 'is', null)
      .returning('organisation_id')
      .executeTakeFirst();
    if (!updated) throw new DomainError('provider_not_suspendable');
    const withdrawnPlaces = (await withdrawProviderPlaces(trx, input.providerId, { actor, at: now })).length;
    await recordAuditEvent(trx, actor, now, {
      action: 'provider.suspended',
      subjectType: 'provider',
      subjectId: input.providerId,
      before: { suspended: false },
      after: { suspended: true, reason, withdrawnPlaces },
    });
    const mails = await mailsToAdmins(trx, ctx, { providerId: input.providerId, providerName: provider.name, kind: 'suspended', message: reason });
    return { withdrawnPlaces, mails };
  });
  deliverAll(ctx, mails);
  return { withdrawnPlaces };
}

/** Lifts a suspension: the provider's places are published again. */
export async function reinstateProvider(ctx: AppContext, actor: Actor, input: { providerId: string }): Promise<{ publishedPlaces: number }> {
  const now = ctx.clock.now();
  const { publishedPlaces, mails } = await ctx.db.transaction().execute(async (trx) => {
    const provider = await findProvider(trx, input.providerId);
    const updated = await trx
      .updateTable('providers')
      .set({ suspended_at: null, suspension_reason: null, updated_at: now })
      .where('organisation_id', '=', input.providerId)
      .where('status', '=', 'qualified')
      .where('suspended_at', 'is not', null)
      .returning('organisation_id')
      .executeTakeFirst();
    if (!updated) throw new DomainError('provider_not_suspended');
    const publishedPlaces = (await publishProviderPlaces(trx, input.providerId, pivotOf(provider), { actor, at: now })).length;
    await recordAuditEvent(trx, actor, now, {
      action: 'provider.reinstated',
      subjectType: 'provider',
      subjectId: input.providerId,
      before: { suspended: true },
      after: { suspended: false, publishedPlaces },
    });
    const mails = await mailsToAdmins(trx, ctx, { providerId: input.providerId, providerName: provider.name, kind: 'reinstated' });
    return { publishedPlaces, mails };
  });
  deliverAll(ctx, mails);
  return { publishedPlaces };
}

/** A message from the operator on the application, without a decision (a question, a precision). */
export async function messageApplicant(ctx: AppContext, actor: Actor, input: { providerId: string; message: string }): Promise<{ messageId: string }> {
  const body = cleanMessage(input.message, true)!;
  const authorId = authorOf(actor);
  const now = ctx.clock.now();
  const { messageId, mails } = await ctx.db.transaction().execute(async (trx) => {
    const provider = await findProvider(trx, input.providerId);
    const messageId = await insertMessage(trx, { providerId: input.providerId, authorId, body, at: now });
    await recordAuditEvent(trx, actor, now, {
      action: 'application.message_sent',
      subjectType: 'provider',
      subjectId: input.providerId,
      after: { messageId, fromOperator: true, status: provider.status },
    });
    const mails = await mailsToAdmins(trx, ctx, { providerId: input.providerId, providerName: provider.name, kind: 'message', message: body });
    return { messageId, mails };
  });
  deliverAll(ctx, mails);
  return { messageId };
}
