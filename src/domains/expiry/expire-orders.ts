import { sql, type Kysely } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB, OrderExpiryStepsTable } from '../../db/schema.js';
import { addDays, parisDay, type IsoDate } from '../../lib/paris-dates.js';
import type { MailMessage } from '../../mail/mailer.js';
import { SYSTEM_ACTOR } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { accountId, accountKey } from '../ledger/accounts.js';
import { postCreditNote } from '../ledger/money-events.js';
import { formatDocumentNumber, nextDocumentNumber } from '../numbering/document-numbers.js';
import { formatOrderNumber } from '../vouchers/order-model.js';
import { lastScanInstant } from '../vouchers/rules.js';
import { creditNoteMail, expiryAcknowledgementMail, expiryAlertMail, expiryBlockingMail, type ExpiryMailInput, type OrderFigures } from './expiry-mails.js';

/**
 * The end of an issued order (DOMAIN.md, flow 6), run once a day (job kind 'expiry'):
 *
 *   J-30  alert_30        the funder's admins get the state of the booklets (issued, entrusted to
 *                         distributors, not entrusted, handed out, started)
 *   J-15  block_15        the unused vouchers will be blocked at the end date: to confirm, on the
 *                         order's page (confirm-expiry.ts)
 *   J-7   acknowledge_7   acknowledgement: the end date, the tolerance, the credit note to come
 *   end + 1 month         scans of services delivered in time are taken until the end of that day
 *                         (rules.ts lastScanInstant); from the next day, credit_note: a credit note
 *                         AV-YYYY-NNNNNN for the face value of the vouchers never used, booked
 *                         back to the funder's balance, in one transaction with its step
 *
 * Days are Europe/Paris days counted from valid_until. Each stage is a row of order_expiry_steps
 * (primary key (order_id, stage)), inserted `on conflict do nothing`: whichever run inserts it owns
 * it, a second run or a concurrent one finds it and does nothing. When the job missed days (an
 * order issued less than 30 days before its end, a server stopped for a while), the late stages
 * are recorded together and only the latest notice is mailed, and no notice is mailed once the
 * end date has passed. Mails leave after the commit.
 */

export type ExpiryStage = OrderExpiryStepsTable['stage'];
export const NOTICE_STAGES = ['alert_30', 'block_15', 'acknowledge_7'] as const satisfies readonly ExpiryStage[];
const NOTICE_DAYS_BEFORE: Record<(typeof NOTICE_STAGES)[number], number> = { alert_30: 30, block_15: 15, acknowledge_7: 7 };

export interface ExpirySchedule {
  alert_30: IsoDate;
  block_15: IsoDate;
  acknowledge_7: IsoDate;
  /** The last Paris day scans are taken (end of validity + the tolerance month). */
  lastScanDay: IsoDate;
  /** The first Paris day the credit note is due: the day after lastScanDay. */
  credit_note: IsoDate;
}

/** The Paris day from which each stage is due, for an order valid until `validUntil`. */
export function expirySchedule(validUntil: IsoDate): ExpirySchedule {
  const firstRefused = parisDay(lastScanInstant(validUntil));
  return {
    alert_30: addDays(validUntil, -NOTICE_DAYS_BEFORE.alert_30),
    block_15: addDays(validUntil, -NOTICE_DAYS_BEFORE.block_15),
    acknowledge_7: addDays(validUntil, -NOTICE_DAYS_BEFORE.acknowledge_7),
    lastScanDay: addDays(firstRefused, -1),
    credit_note: firstRefused,
  };
}

/** The stages due on `today`, in order. */
export function dueStages(validUntil: IsoDate, today: IsoDate): ExpiryStage[] {
  const schedule = expirySchedule(validUntil);
  return (['alert_30', 'block_15', 'acknowledge_7', 'credit_note'] as const).filter((stage) => today >= schedule[stage]);
}

export interface CreditNote {
  orderId: string;
  /** Null when every voucher was used: nothing to credit, no number taken. */
  number: string | null;
  amountCents: number;
}

export interface ExpiryRun {
  /** Stages recorded by this run. */
  steps: { orderId: string; stage: ExpiryStage }[];
  creditNotes: CreditNote[];
  mails: number;
  /** Orders whose credit note was refused: the ledger disagrees with the vouchers. Retried next run. */
  refused: { orderId: string; unusedCents: number; outstandingCents: number }[];
}

interface OrderToExpire {
  id: string;
  number: number;
  label: string | null;
  funder_id: string;
  valid_until: string;
}

/** Runs every stage due at `now`, order by order, each in its own transaction. Safe to run twice. */
export async function runExpiry(ctx: AppContext, now: Date): Promise<ExpiryRun> {
  const today = parisDay(now);
  const run: ExpiryRun = { steps: [], creditNotes: [], mails: 0, refused: [] };
  // Orders within 30 days of their end that have not reached the last stage.
  const orders = await ctx.db
    .selectFrom('orders as o')
    .select(['o.id', 'o.number', 'o.label', 'o.funder_id', 'o.valid_until'])
    .where('o.status', '=', 'issued')
    .where('o.valid_until', '<=', addDays(today, NOTICE_DAYS_BEFORE.alert_30))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('order_expiry_steps as s').select('s.order_id').whereRef('s.order_id', '=', 'o.id').where('s.stage', '=', 'credit_note'))))
    .orderBy('o.valid_until')
    .orderBy('o.number')
    .execute();
  for (const order of orders) {
    const stages = dueStages(order.valid_until, today);
    if (stages.length === 0) continue;
    const mails = await ctx.db.transaction().execute((trx) => expireOrder(ctx, trx, order, stages, now, run));
    for (const mail of mails) {
      try {
        await ctx.mailer.send(mail);
        run.mails++;
      } catch (error) {
        ctx.log.error({ err: error, subject: mail.subject }, 'expiry mail not sent');
      }
    }
  }
  return run;
}

async function expireOrder(ctx: AppContext, trx: Kysely<DB>, order: OrderToExpire, stages: readonly ExpiryStage[], now: Date, run: ExpiryRun): Promise<MailMessage[]> {
  const schedule = expirySchedule(order.valid_until);
  const today = parisDay(now);
  const recorded: ExpiryStage[] = [];
  for (const stage of stages.filter((s) => s !== 'credit_note')) {
    if (await claimStage(trx, order.id, stage, now)) recorded.push(stage);
  }
  let creditNote: CreditNote | undefined;
  if (stages.includes('credit_note')) {
    const outcome = await issueCreditNote(ctx, trx, order, now);
    if (outcome.kind === 'refused') {
      run.refused.push({ orderId: order.id, unusedCents: outcome.unusedCents, outstandingCents: outcome.outstandingCents });
      ctx.log.error({ orderId: order.id, unusedCents: outcome.unusedCents, outstandingCents: outcome.outstandingCents }, 'expiry: the ledger disagrees with the unused vouchers, no credit note');
    } else if (outcome.kind === 'issued') {
      creditNote = outcome.note;
      recorded.push('credit_note');
    }
  }
  for (const stage of recorded) {
    await recordAuditEvent(trx, SYSTEM_ACTOR, now, {
      action: stage === 'credit_note' ? 'order.credit_note_issued' : 'order.expiry_notice',
      subjectType: 'order',
      subjectId: order.id,
      after: stage === 'credit_note' && creditNote ? { stage, creditNote: creditNote.number, amountCents: creditNote.amountCents } : { stage },
    });
  }
  run.steps.push(...recorded.map((stage) => ({ orderId: order.id, stage })));
  if (creditNote) run.creditNotes.push(creditNote);

  // Only the latest notice is worth sending, and none after the end date.
  const notice = today <= order.valid_until ? NOTICE_STAGES.filter((s) => recorded.includes(s)).at(-1) : undefined;
  if (!notice && !creditNote?.number) return [];
  const figures = await orderFigures(trx, order.id);
  const recipients = await funderAdminEmails(trx, order.funder_id);
  const base = (to: string): ExpiryMailInput => ({
    to,
    orderNumber: formatOrderNumber(order.number),
    orderLabel: order.label,
    validUntil: order.valid_until,
    lastScanDay: schedule.lastScanDay,
    figures,
    link: `${ctx.config.publicUrl}/financeur/commandes/${order.id}`,
  });
  const mails: MailMessage[] = [];
  for (const to of recipients) {
    if (notice === 'alert_30') mails.push(expiryAlertMail(base(to)));
    // The J-15 notice links to the confirmation at the top of the order's page (confirm-expiry.ts).
    if (notice === 'block_15') mails.push(expiryBlockingMail({ ...base(to), link: `${base(to).link}#echeance` }));
    if (notice === 'acknowledge_7') mails.push(expiryAcknowledgementMail(base(to)));
    if (creditNote?.number) mails.push(creditNoteMail({ ...base(to), creditNoteNumber: creditNote.number, amountCents: creditNote.amountCents }));
  }
  return mails;
}

async function claimStage(trx: Kysely<DB>, orderId: string, stage: ExpiryStage, now: Date): Promise<boolean> {
  const row = await trx
    .insertInto('order_expiry_steps')
    .values({ order_id: orderId, stage, done_at: now, credit_note_number: null, amount_cents: null })
    .onConflict((oc) => oc.columns(['order_id', 'stage']).doNothing())
    .returning('stage')
    .executeTakeFirst();
  return row !== undefined;
}

type CreditNoteOutcome =
  | { kind: 'done_before' }
  | { kind: 'issued'; note: CreditNote }
  | { kind: 'refused'; unusedCents: number; outstandingCents: number };

/**
 * The step row is claimed first: a concurrent run waits on it, then finds it and stops. The unused
 * vouchers are then locked in id order, as redemptions lock them (no deadlock with a late scan, and
 * a scan in flight finishes before they are counted). The ledger must agree: what is outstanding
 * for the order must be exactly their face value, otherwise nothing is credited (the step is rolled
 * back and tried again on the next run, the error logged).
 */
async function issueCreditNote(ctx: AppContext, trx: Kysely<DB>, order: OrderToExpire, now: Date): Promise<CreditNoteOutcome> {
  if (!(await claimStage(trx, order.id, 'credit_note', now))) return { kind: 'done_before' };
  const { rows } = await sql<{ cents: string | number | null }>`
    select sum(face_value_cents) as cents
    from (select face_value_cents from vouchers where order_id = ${order.id} and redemption_id is null order by id for update) unused`.execute(trx);
  const unusedCents = Number(rows[0]?.cents ?? 0);
  const outstanding = await trx
    .selectFrom('ledger_accounts')
    .select('balance_cents')
    .where('id', '=', accountId(accountKey({ kind: 'vouchers_outstanding', orderId: order.id, funderId: order.funder_id })))
    .executeTakeFirst();
  // Credit balance: what the order still owes in vouchers.
  const outstandingCents = 0 - (outstanding?.balance_cents ?? 0);
  if (outstandingCents !== unusedCents) {
    await trx.deleteFrom('order_expiry_steps').where('order_id', '=', order.id).where('stage', '=', 'credit_note').execute();
    return { kind: 'refused', unusedCents, outstandingCents };
  }
  let number: string | null = null;
  if (unusedCents > 0) {
    const year = Number(parisDay(now).slice(0, 4));
    number = formatDocumentNumber('AV', year, await nextDocumentNumber(trx, 'credit_note', year));
    await postCreditNote(trx, { number, orderId: order.id, funderId: order.funder_id, amountCents: unusedCents }, now);
  }
  await trx
    .updateTable('order_expiry_steps')
    .set({ credit_note_number: number, amount_cents: unusedCents })
    .where('order_id', '=', order.id)
    .where('stage', '=', 'credit_note')
    .execute();
  return { kind: 'issued', note: { orderId: order.id, number, amountCents: unusedCents } };
}

/** The state of an order's booklets and vouchers, as the funder's notices give it. */
export async function orderFigures(db: Kysely<DB>, orderId: string): Promise<OrderFigures> {
  const booklets = await db
    .selectFrom('booklets as b')
    .select((eb) => [
      eb.fn.countAll<number>().as('booklets'),
      eb.fn.count<number>('b.distributor_id').as('allocated'),
      eb.fn.count<number>('b.handed_out_at').as('handed_out'),
      eb.fn.count<number>('b.cancelled_at').as('cancelled'),
      eb.fn
        .count<number>('b.id')
        .filterWhere(eb.exists(eb.selectFrom('vouchers as v').select('v.id').whereRef('v.booklet_id', '=', 'b.id').where('v.redemption_id', 'is not', null)))
        .as('started'),
    ])
    .where('b.order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  const vouchers = await db
    .selectFrom('vouchers')
    .select((eb) => [
      eb.fn.countAll<number>().as('vouchers'),
      eb.fn.count<number>('redemption_id').as('used'),
      eb.fn.sum<number | string | null>('face_value_cents').filterWhere('redemption_id', 'is', null).as('unused_cents'),
    ])
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  const n = (value: number | string | null) => Number(value ?? 0);
  return {
    booklets: n(booklets.booklets),
    allocated: n(booklets.allocated),
    notAllocated: n(booklets.booklets) - n(booklets.allocated),
    handedOut: n(booklets.handed_out),
    started: n(booklets.started),
    cancelled: n(booklets.cancelled),
    vouchers: n(vouchers.vouchers),
    usedVouchers: n(vouchers.used),
    unusedCents: n(vouchers.unused_cents),
  };
}

async function funderAdminEmails(db: Kysely<DB>, funderId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.email')
    .where('m.organisation_id', '=', funderId)
    .where('m.role', '=', 'admin')
    .orderBy('u.email')
    .execute();
  return rows.map((row) => row.email);
}
