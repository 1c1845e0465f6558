import type { AppContext } from '../app-context.js';
import type { PublicAge, PublicSituation } from '../db/schema.js';
import { issueFunderInvoices, recordFunderPayment } from '../domains/settlement/funder-invoices.js';
import { markBatchSent, markPayoutSettled } from '../domains/settlement/payout-lifecycle.js';
import { settleMonth } from '../domains/settlement/settle-month.js';
import { latestSettleableMonth, parseSettlementMonth, requestedOn, scansUntil, shiftMonth } from '../domains/settlement/settlement-calendar.js';
import { allocateBooklets, handOutBooklet } from '../domains/vouchers/distribution.js';
import { issueOrder } from '../domains/vouchers/issue-vouchers.js';
import { orderForm } from '../domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../domains/vouchers/orders.js';
import { redeemVouchers } from '../domains/vouchers/redeem-vouchers.js';
import type { Clock } from '../lib/clock.js';
import { addDays, parisDay, startOfParisDay, type IsoDate } from '../lib/paris-dates.js';
import { codesOf, linkDemoDistributor, type DemoCast } from './demo-vouchers.js';

/**
 * The money of the demo world: two months already settled, made through the same use cases as the
 * pages and the monthly job, on a clock that walks through those months.
 *
 * - The demo world begins on the first morning of the older month. The funder orders booklets for
 *   the Gironde (billed on use), the CCAS hands three of them out, and the demo place scans
 *   vouchers on several days of each month (one service with a holder's share, one scanned late
 *   during the grace days).
 * - The older month is settled after its grace day (settleMonth: SEPA file, statements, fees), its
 *   funder invoice issued; the operator notes the file sent, the bank pays the transfer, the funder
 *   pays its invoice. The newer month is settled too, and left there: its SEPA file waits to be
 *   sent to the bank.
 * - The two months are the latest that can be settled an hour ago (the month before this one
 *   once its grace day is over, the one before otherwise): a month after them, still open, gets a
 *   few scans of its own, waiting for their settlement. Everything happens before that hour, so
 *   that the present of the demo (its vouchers, scanned today) comes after its past.
 */

/** The months of the demo's past, computed from the present. */
export interface DemoTimeline {
  /** The first morning of the demo world: 8:00 in Paris on the first day of the older settled month. */
  start: Date;
  /** The two settled months, older first ('YYYY-MM'). */
  settled: [string, string];
  /** The months between them and the current month, not settled yet (none or one). */
  open: string[];
  /** Nothing in the demo's past happens at or after this instant (an hour before the present). */
  until: Date;
}

const HOUR_MS = 3_600_000;

export function demoTimeline(now: Date, graceDay: number): DemoTimeline {
  const until = new Date(now.getTime() - HOUR_MS);
  const newer = latestSettleableMonth(until, graceDay);
  const older = shiftMonth(newer, -1);
  const current = parisDay(now).slice(0, 7);
  const open: string[] = [];
  for (let month = shiftMonth(newer, 1); month < current; month = shiftMonth(month, 1)) open.push(month);
  return { start: atParisTime(`${older}-01`, 8, 0), settled: [older, newer], open, until };
}

/**
 * A clock that the demo moves forward through its past. Each reading is a second after the
 * previous one, so that what the demo does in a row keeps its order in every list sorted by time.
 */
export class DemoClock implements Clock {
  private current: Date;
  constructor(start: Date) {
    this.current = new Date(start);
  }
  now(): Date {
    const now = new Date(this.current);
    this.current = new Date(now.getTime() + 1000);
    return now;
  }
  /** Moves forward to `instant` (never back: the seconds already read stay in the past). */
  moveTo(instant: Date): void {
    if (instant > this.current) this.current = new Date(instant);
  }
}

/** An instant given by its Paris day and wall-clock time. */
function atParisTime(day: IsoDate, hours: number, minutes: number): Date {
  return new Date(startOfParisDay(day).getTime() + (hours * 60 + minutes) * 60_000);
}

/** A day of a month ('YYYY-MM'), clamped to its last day. */
function dayOf(month: string, day: number): IsoDate {
  const { lastDay } = parseSettlementMonth(month);
  const wanted = `${month}-${String(day).padStart(2, '0')}`;
  return wanted > lastDay ? lastDay : wanted;
}

/** A service delivered at the demo place and scanned. */
interface DemoScan {
  serviceDate: IsoDate;
  scannedAt: Date;
  serviceCode: 'D01' | 'M01' | 'M11';
  vouchers: number;
  publicAge: PublicAge;
  publicSituation: PublicSituation | null;
}

/** The services of a month: dates, services and publics vary; M11 (12,50 €) leaves 2,50 € to the holder. */
function scansOf(month: string, pattern: 'settled' | 'open'): DemoScan[] {
  const plan: [day: number, hour: number, code: DemoScan['serviceCode'], age: PublicAge, situation: PublicSituation | null][] =
    pattern === 'settled'
      ? [
          [3, 10, 'D01', '60_74', 'retired'],
          [8, 14, 'M01', '75_plus', 'retired'],
          [14, 11, 'M11', '26_59', 'job_seeker'],
          [21, 16, 'D01', 'under_26', 'student'],
          [27, 10, 'M01', '26_59', 'minimum_income'],
        ]
      : [
          [4, 10, 'M01', '60_74', 'retired'],
          [16, 15, 'D01', '26_59', 'job_seeker'],
        ];
  return plan.map(([day, hour, serviceCode, publicAge, publicSituation]) => {
    const serviceDate = dayOf(month, day);
    return { serviceDate, scannedAt: atParisTime(serviceDate, hour, 0), serviceCode, vouchers: 1, publicAge, publicSituation };
  });
}

export interface DemoMoney {
  /** The settled months, older first ('YYYY-MM'). */
  settled: [string, string];
  /** Redemptions recorded in the demo's past. */
  redemptions: number;
}

/**
 * Writes the demo's past: `ctx` must read `clock`, which starts at `timeline.start` (the world's
 * organisations, people and place already exist then). Returns with the clock before `timeline.until`.
 */
export async function loadDemoMoney(ctx: AppContext, clock: DemoClock, cast: DemoCast, timeline: DemoTimeline): Promise<DemoMoney> {
  const [older, newer] = timeline.settled;
  const funderId = cast.funder.organisationId;
  const distributorId = cast.distributor.organisationId;
  clock.moveTo(timeline.start);

  // The first morning: an order billed on use, three booklets handed out by the CCAS.
  await linkDemoDistributor(ctx, cast);
  const draft = await saveDraftOrder(
    ctx,
    cast.funder,
    funderId,
    orderForm.parse({ label: 'Pass numérique Gironde – lancement', bookletCount: '3', vouchersPerBooklet: '10', fundingMode: 'billed_on_use', territory: '33' }),
  );
  await confirmOrder(ctx, cast.funder, funderId, draft.id);
  await commitOrder(ctx, cast.funder, { orderId: draft.id, reference: 'EJ-33-2026-0017', by: { kind: 'funder', funderId } });
  const order = await issueOrder(ctx, cast.funder, { orderId: draft.id, funderId });
  await allocateBooklets(ctx, cast.funder, { funderId, orderId: order.id, distributorId, count: 3 });
  const booklets = (await codesOf(ctx, [order.id])).get(order.id)!;
  const publics: [PublicAge, PublicSituation][] = [
    ['60_74', 'retired'],
    ['26_59', 'job_seeker'],
    ['under_26', 'student'],
  ];
  for (const [index, booklet] of booklets.entries()) {
    const [publicAge, publicSituation] = publics[index % publics.length]!;
    await handOutBooklet(ctx, cast.distributor, { distributorId, number: booklet.number, publicAge, publicSituation });
  }
  const purse = booklets.flatMap((booklet) => booklet.codes);

  const recorder = { providerId: cast.provider.organisationId, userId: cast.provider.userId, tokenId: null };
  let redemptions = 0;
  const scan = async (item: DemoScan) => {
    const codes = purse.splice(0, item.vouchers);
    if (codes.length < item.vouchers) throw new Error('the demo order has no voucher left');
    const { outcome } = await redeemVouchers(ctx, recorder, {
      placeId: cast.provider.placeId,
      serviceCode: item.serviceCode,
      serviceDate: item.serviceDate,
      deliveryMode: 'on_site',
      codes,
      publicAge: item.publicAge,
      publicSituation: item.publicSituation,
    });
    if (!outcome.ok) throw new Error(`demo redemption of ${item.serviceDate} refused: ${outcome.reason}`);
    redemptions++;
  };

  // What happens, in time order: the scans, and the settlement of each month after its grace day.
  // An optional event (the scans of an open month…) is left out when it would fall in the last hour.
  const events: { at: Date; run: () => Promise<void>; optional?: boolean }[] = [];
  for (const month of timeline.settled) for (const item of scansOf(month, 'settled')) events.push({ at: item.scannedAt, run: () => scan(item) });
  for (const month of timeline.open) for (const item of scansOf(month, 'open')) events.push({ at: item.scannedAt, run: () => scan(item), optional: true });
  // A service of the older month's last day, scanned on the 2nd of the next: it still counts for its month.
  const lastDay = parseSettlementMonth(older).lastDay;
  const late: DemoScan = { serviceDate: lastDay, scannedAt: atParisTime(addDays(lastDay, 2), 9, 30), serviceCode: 'D01', vouchers: 1, publicAge: '75_plus', publicSituation: null };
  events.push({ at: late.scannedAt, run: () => scan(late) });

  const { graceDay, payoutDay } = ctx.config.money;
  // Ten minutes after the month's scans close (before `until`: the timeline chose months closed by then).
  const settleAt = (month: string) => {
    const closes = scansUntil(parseSettlementMonth(month), graceDay).getTime();
    return new Date(Math.max(closes, Math.min(closes + 10 * 60_000, timeline.until.getTime() - 60_000)));
  };
  const settle = async (month: string): Promise<string | undefined> => {
    const { settlement } = await settleMonth(ctx, cast.operator, { month });
    // The funder's invoice of its vouchers billed on use (a no-op if the settlement issued it).
    await issueFunderInvoices(ctx, month);
    return settlement.batches[0]?.id;
  };

  // The older month: settled, its file sent to the bank the next morning, the transfer executed on
  // the day asked for (or the day after the file was sent), the funder's invoice paid a week later
  // (left out if that is already the present).
  const olderSettledAt = settleAt(older);
  const sentAt = atParisTime(addDays(parisDay(olderSettledAt), 1), 9, 30);
  const executedAt = new Date(Math.max(atParisTime(requestedOn(parseSettlementMonth(older), payoutDay, olderSettledAt), 16, 0).getTime(), sentAt.getTime() + HOUR_MS));
  events.push({
    at: olderSettledAt,
    run: async () => {
      const batchId = await settle(older);
      if (!batchId) throw new Error(`the demo settlement of ${older} wrote no SEPA file`);
      events.push({ at: sentAt, run: async () => void (await markBatchSent(ctx, cast.operator, { batchId })) });
      events.push({
        at: executedAt,
        run: async () => {
          const sent = await ctx.db.selectFrom('payouts').select('id').where('batch_id', '=', batchId).where('status', '=', 'sent').execute();
          for (const payout of sent) await markPayoutSettled(ctx, cast.operator, { payoutId: payout.id });
        },
      });
      events.push({
        at: new Date(executedAt.getTime() + 7 * 24 * HOUR_MS),
        optional: true,
        run: async () => {
          const invoices = await ctx.db.selectFrom('funder_invoices').select(['id', 'number']).where('month', '=', `${older}-01`).execute();
          for (const invoice of invoices) await recordFunderPayment(ctx, cast.operator, invoice.id, `VIR-DEP33-${invoice.number}`);
        },
      });
    },
  });
  // The newer month: settled, its SEPA file waiting to be sent.
  events.push({ at: settleAt(newer), run: async () => void (await settle(newer)) });

  // Events may add later ones: take the earliest each time.
  while (events.length > 0) {
    events.sort((a, b) => a.at.getTime() - b.at.getTime());
    const next = events.shift()!;
    if (next.optional && next.at >= timeline.until) continue;
    clock.moveTo(next.at);
    await next.run();
  }
  return { settled: timeline.settled, redemptions };
}
