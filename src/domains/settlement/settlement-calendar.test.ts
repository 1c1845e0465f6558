import { describe, expect, it } from 'vitest';
import { latestSettleableMonth, parseSettlementMonth, requestedOn, scansUntil, shiftMonth } from './settlement-calendar.js';

describe('the dates of a settlement', () => {
  it('reads a month, and refuses anything else', () => {
    expect(parseSettlementMonth('2026-02')).toEqual({ month: '2026-02', firstDay: '2026-02-01', lastDay: '2026-02-28', nextFirstDay: '2026-03-01' });
    expect(parseSettlementMonth('2028-02').lastDay).toBe('2028-02-29');
    for (const text of ['2026-13', '2026-00', '26-01', '2026-1', 'janvier', '2026-01-01']) {
      expect(() => parseSettlementMonth(text)).toThrow(expect.objectContaining({ code: 'settlement_month_invalid' }));
    }
  });

  it('closes a month at the end of its grace day, Paris time, in summer and in winter', () => {
    expect(scansUntil(parseSettlementMonth('2026-03'), 5).toISOString()).toBe('2026-04-05T22:00:00.000Z');
    expect(scansUntil(parseSettlementMonth('2026-10'), 5).toISOString()).toBe('2026-11-05T23:00:00.000Z');
    expect(scansUntil(parseSettlementMonth('2026-12'), 5).toISOString()).toBe('2027-01-05T23:00:00.000Z');
    // No grace: the month closes at its own end.
    expect(scansUntil(parseSettlementMonth('2026-10'), 0).toISOString()).toBe('2026-10-31T23:00:00.000Z');
  });

  it('asks for the transfers on the payout day, never before the run, never on a week-end', () => {
    const october = parseSettlementMonth('2026-10');
    expect(requestedOn(october, 10, new Date('2026-11-06T08:00:00Z'))).toBe('2026-11-10');
    // 2027-01-10 is a Sunday.
    expect(requestedOn(parseSettlementMonth('2026-12'), 10, new Date('2027-01-06T08:00:00Z'))).toBe('2027-01-11');
    // Settled late, on Friday 2026-11-20: the same day.
    expect(requestedOn(october, 10, new Date('2026-11-20T08:00:00Z'))).toBe('2026-11-20');
    // Settled late on Saturday 2026-11-21: Monday.
    expect(requestedOn(october, 10, new Date('2026-11-21T08:00:00Z'))).toBe('2026-11-23');
  });

  it('knows the latest month that may be settled, and shifts months', () => {
    expect(latestSettleableMonth(new Date('2026-11-05T22:59:59Z'), 5)).toBe('2026-09');
    expect(latestSettleableMonth(new Date('2026-11-05T23:00:00Z'), 5)).toBe('2026-10');
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(shiftMonth('2026-05', -17)).toBe('2024-12');
  });
});
