import type { Kysely } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { postPayoutRejected, postPayoutSettled } from '../ledger/money-events.js';

/**
 * What happens to a payout once its SEPA file is written, as the bank reports it:
 *
 *   pending ──(settlement, IBAN known)──▶ file_generated ──(batch sent)──▶ sent ──▶ settled
 *                                                                              └──▶ rejected
 *
 * A rejected payout is paid again by the next settlement, once (payouts.retries_payout_id is
 * unique). Each change is a conditional update on the expected status, with its ledger entry and
 * its audit event in the same transaction: of two concurrent clicks, one wins, the other gets
 * payout_status_conflict.
 */

export const MAX_REJECTION_REASON = 300;

/** The operator has sent the batch's file to the bank: its payouts are on their way. */
export async function markBatchSent(ctx: AppContext, actor: Actor, input: { batchId: string }): Promise<{ payouts: number }> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const batch = await trx.selectFrom('payout_batches').select(['id', 'message_id']).where('id', '=', input.batchId).executeTakeFirst();
    if (!batch) throw new DomainError('payout_batch_unknown');
    const sent = await trx
      .updateTable('payouts')
      .set({ status: 'sent', updated_at: now })
      .where('batch_id', '=', batch.id)
      .where('status', '=', 'file_generated')
      .returning('id')
      .execute();
    if (sent.length === 0) throw new DomainError('payout_status_conflict');
    await recordAuditEvent(trx, actor, now, {
      action: 'payout_batch.sent',
      subjectType: 'payout_batch',
      subjectId: batch.id,
      after: { messageId: batch.message_id, payouts: sent.length },
    });
    return { payouts: sent.length };
  });
}

/** The bank has executed the transfer. */
export async function markPayoutSettled(ctx: AppContext, actor: Actor, input: { payoutId: string }): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const payout = await trx
      .updateTable('payouts')
      .set({ status: 'settled', updated_at: now })
      .where('id', '=', input.payoutId)
      .where('status', '=', 'sent')
      .returning(['id', 'statement_number', 'net_cents'])
      .executeTakeFirst();
    if (!payout) throw await refusal(trx, input.payoutId);
    await postPayoutSettled(trx, { statementNumber: payout.statement_number, netCents: payout.net_cents }, now);
    await recordAuditEvent(trx, actor, now, {
      action: 'payout.settled',
      subjectType: 'payout',
      subjectId: payout.id,
      before: { status: 'sent' },
      after: { status: 'settled', netCents: payout.net_cents },
    });
  });
}

/** The bank has returned the transfer (closed account, wrong IBAN…): paid again next month. */
export async function markPayoutRejected(ctx: AppContext, actor: Actor, input: { payoutId: string; reason: string }): Promise<void> {
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > MAX_REJECTION_REASON) throw new DomainError('payout_rejection_reason_required', 'reason');
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const payout = await trx
      .updateTable('payouts')
      .set({ status: 'rejected', rejected_reason: reason, updated_at: now })
      .where('id', '=', input.payoutId)
      .where('status', '=', 'sent')
      .returning(['id', 'statement_number', 'provider_id', 'net_cents'])
      .executeTakeFirst();
    if (!payout) throw await refusal(trx, input.payoutId);
    await postPayoutRejected(trx, { statementNumber: payout.statement_number, providerId: payout.provider_id, netCents: payout.net_cents, reason }, now);
    await recordAuditEvent(trx, actor, now, {
      action: 'payout.rejected',
      subjectType: 'payout',
      subjectId: payout.id,
      before: { status: 'sent' },
      after: { status: 'rejected', reason, netCents: payout.net_cents },
    });
  });
}

async function refusal(trx: Kysely<DB>, payoutId: string): Promise<DomainError> {
  const exists = await trx.selectFrom('payouts').select('id').where('id', '=', payoutId).executeTakeFirst();
  return new DomainError(exists ? 'payout_status_conflict' : 'payout_unknown');
}
