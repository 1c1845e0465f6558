import { addDays, addMonths, endOfParisDay, parisDay, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';

/**
 * The dates of a monthly settlement, pure. A month is written 'YYYY-MM'. The services dated in month
 * M are paid by M's settlement; scans recorded until the end of the grace day of M + 1 (Paris time)
 * still count for M, so M can only be settled after that instant. Transfers are requested for the
 * payout day of M + 1, or the run day when that is already past, moved off week-ends.
 */

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/u;

export interface SettlementMonth {
  /** 'YYYY-MM' */
  month: string;
  /** The first day of the month, as `settlements.month` stores it. */
  firstDay: IsoDate;
  lastDay: IsoDate;
  /** The first day of the next month. */
  nextFirstDay: IsoDate;
}

export function parseSettlementMonth(text: string): SettlementMonth {
  const match = MONTH.exec(text.trim());
  if (!match || Number(match[1]) < 2000 || Number(match[1]) > 2999) throw new DomainError('settlement_month_invalid', 'month');
  const firstDay = `${match[1]}-${match[2]}-01`;
  const nextFirstDay = addMonths(firstDay, 1);
  return { month: firstDay.slice(0, 7), firstDay, lastDay: addDays(nextFirstDay, -1), nextFirstDay };
}

/** The first instant at which scans no longer count for the month: the end of its grace day. */
export function scansUntil(month: SettlementMonth, graceDay: number): Date {
  const day = Math.min(Math.max(graceDay, 0), 28);
  // graceDay 0: no grace, the month closes at its own end.
  return endOfParisDay(addDays(month.nextFirstDay, day - 1));
}

/** The execution date of the transfers (ReqdExctnDt): payout day of M + 1, never before the run day, never on a week-end. */
export function requestedOn(month: SettlementMonth, payoutDay: number, now: Date): IsoDate {
  const day = Math.min(Math.max(payoutDay, 1), 28);
  const planned = addDays(month.nextFirstDay, day - 1);
  const today = parisDay(now);
  let date = planned < today ? today : planned;
  for (;;) {
    const weekDay = new Date(`${date}T12:00:00Z`).getUTCDay();
    if (weekDay !== 0 && weekDay !== 6) return date;
    date = addDays(date, 1);
  }
}

/** The latest month whose settlement may run at `now` (its grace day is over). */
export function latestSettleableMonth(now: Date, graceDay: number): string {
  const current = parisDay(now).slice(0, 7);
  const previous = shiftMonth(current, -1);
  return now >= scansUntil(parseSettlementMonth(previous), graceDay) ? previous : shiftMonth(current, -2);
}

/** 'YYYY-MM' shifted by whole months. */
export function shiftMonth(month: string, months: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}
