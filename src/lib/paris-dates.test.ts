import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonths, endOfParisDay, firstDayOfMonth, formatLongDate, formatMonth, isIsoDate, ofMonth, parisDay, startOfParisDay } from './paris-dates.js';

const at = (iso: string) => new Date(iso);

describe('Paris days', () => {
  it('are the calendar day in Europe/Paris, in winter (UTC+1) and in summer (UTC+2)', () => {
    expect(parisDay(at('2026-01-15T22:59:59.999Z'))).toBe('2026-01-15');
    expect(parisDay(at('2026-01-15T23:00:00.000Z'))).toBe('2026-01-16');
    expect(parisDay(at('2026-07-14T21:59:59.999Z'))).toBe('2026-07-14');
    expect(parisDay(at('2026-07-14T22:00:00.000Z'))).toBe('2026-07-15');
    expect(parisDay(at('2026-12-31T23:00:00.000Z'))).toBe('2027-01-01');
  });

  it('start at midnight Paris time, whatever the season', () => {
    expect(startOfParisDay('2026-01-16')).toEqual(at('2026-01-15T23:00:00.000Z'));
    expect(startOfParisDay('2026-07-15')).toEqual(at('2026-07-14T22:00:00.000Z'));
    expect(startOfParisDay('2027-01-01')).toEqual(at('2026-12-31T23:00:00.000Z'));
    expect(endOfParisDay('2026-01-15')).toEqual(at('2026-01-15T23:00:00.000Z'));
    expect(endOfParisDay('2026-12-31')).toEqual(at('2026-12-31T23:00:00.000Z'));
  });

  it('last 23 hours on the last Sunday of March 2026 (clocks go forward at 01:00 UTC)', () => {
    // Midnight on the 29th is still winter time; midnight on the 30th is summer time.
    expect(startOfParisDay('2026-03-29')).toEqual(at('2026-03-28T23:00:00.000Z'));
    expect(endOfParisDay('2026-03-29')).toEqual(at('2026-03-29T22:00:00.000Z'));
    expect(endOfParisDay('2026-03-29').getTime() - startOfParisDay('2026-03-29').getTime()).toBe(23 * 3_600_000);
    expect(parisDay(at('2026-03-28T22:59:59.999Z'))).toBe('2026-03-28');
    expect(parisDay(at('2026-03-28T23:00:00.000Z'))).toBe('2026-03-29');
    expect(parisDay(at('2026-03-29T00:59:59.999Z'))).toBe('2026-03-29');
    expect(parisDay(at('2026-03-29T01:00:00.000Z'))).toBe('2026-03-29');
    expect(parisDay(at('2026-03-29T21:59:59.999Z'))).toBe('2026-03-29');
    expect(parisDay(at('2026-03-29T22:00:00.000Z'))).toBe('2026-03-30');
  });

  it('last 25 hours on the last Sunday of October 2026 (clocks go back at 01:00 UTC)', () => {
    expect(startOfParisDay('2026-10-25')).toEqual(at('2026-10-24T22:00:00.000Z'));
    expect(endOfParisDay('2026-10-25')).toEqual(at('2026-10-25T23:00:00.000Z'));
    expect(endOfParisDay('2026-10-25').getTime() - startOfParisDay('2026-10-25').getTime()).toBe(25 * 3_600_000);
    expect(parisDay(at('2026-10-24T21:59:59.999Z'))).toBe('2026-10-24');
    expect(parisDay(at('2026-10-24T22:00:00.000Z'))).toBe('2026-10-25');
    // 02:30 Paris happens twice: both are the 25th.
    expect(parisDay(at('2026-10-25T00:30:00.000Z'))).toBe('2026-10-25');
    expect(parisDay(at('2026-10-25T01:30:00.000Z'))).toBe('2026-10-25');
    expect(parisDay(at('2026-10-25T22:59:59.999Z'))).toBe('2026-10-25');
    expect(parisDay(at('2026-10-25T23:00:00.000Z'))).toBe('2026-10-26');
  });

  it('each start exactly where the previous one ends, every day of a year', () => {
    let day = '2026-01-01';
    for (let i = 0; i < 366; i++) {
      const start = startOfParisDay(day);
      expect(parisDay(start)).toBe(day);
      expect(parisDay(new Date(start.getTime() - 1))).toBe(addDays(day, -1));
      expect(startOfParisDay(addDays(day, 1))).toEqual(endOfParisDay(day));
      const hours = (endOfParisDay(day).getTime() - start.getTime()) / 3_600_000;
      expect(hours).toBe(day === '2026-03-29' ? 23 : day === '2026-10-25' ? 25 : 24);
      day = addDays(day, 1);
    }
  });
});

/** The Paris day straight from Intl, as parisDay computed it before it remembered anything. */
const intlDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });
const MINUTE_MS = 60_000;

describe('Paris days, remembered', () => {
  it('agree with Intl at every minute around the changes of 29 March and 25 October 2026, in any order of asking', () => {
    for (const [from, to] of [
      ['2026-03-28T20:00:00Z', '2026-03-30T02:00:00Z'],
      ['2026-10-24T20:00:00Z', '2026-10-26T02:00:00Z'],
    ] as const) {
      for (let time = Date.parse(from); time <= Date.parse(to); time += MINUTE_MS) {
        for (const instant of [time, time - 1, time + 59_999, time - 3_600_000]) {
          expect(parisDay(new Date(instant)), new Date(instant).toISOString()).toBe(intlDay.format(instant));
        }
      }
    }
  });

  it('agree with Intl at any instant, from Paris mean time to the next century', () => {
    const instants = fc.integer({ min: Date.UTC(1890, 0, 1), max: Date.UTC(2100, 0, 1) });
    fc.assert(
      fc.property(fc.array(instants, { minLength: 1, maxLength: 20 }), (times) => {
        // Neighbours in the same hour and the one before exercise what is remembered.
        for (const time of times.flatMap((t) => [t, t + 1_000, t - 3_600_000, t])) {
          expect(parisDay(new Date(time))).toBe(intlDay.format(time));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('agree with Intl before 1911, when Paris was 9 min 21 s ahead of UTC', () => {
    expect(parisDay(at('1900-01-01T23:49:00Z'))).toBe('1900-01-01');
    expect(parisDay(at('1900-01-01T23:55:00Z'))).toBe('1900-01-02');
    expect(parisDay(at('1900-01-01T23:49:00Z'))).toBe('1900-01-01');
  });

  it('refuse an invalid date as Intl does', () => {
    expect(() => parisDay(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('start at the same instant when asked again, as a Date of the caller’s own', () => {
    const first = startOfParisDay('2026-10-25');
    first.setTime(0);
    expect(startOfParisDay('2026-10-25')).toEqual(at('2026-10-24T22:00:00.000Z'));
    expect(startOfParisDay('2026-10-25')).not.toBe(startOfParisDay('2026-10-25'));
    expect(endOfParisDay('2026-10-24')).toEqual(at('2026-10-24T22:00:00.000Z'));
  });

  it('still refuse what is not a day, every time', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => startOfParisDay('2026-02-30')).toThrow();
      expect(() => startOfParisDay('pas une date')).toThrow();
    }
  });
});

describe('calendar arithmetic', () => {
  it('adds days across months, years and leap days', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
  });

  it('adds months, clamping to the last day of the month', () => {
    expect(addMonths('2026-09-25', 1)).toBe('2026-10-25');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
    expect(addMonths('2026-12-15', 1)).toBe('2027-01-15');
    expect(addMonths('2026-01-15', -1)).toBe('2025-12-15');
    expect(addMonths('2026-03-02', 36)).toBe('2029-03-02');
    expect(addMonths('2026-05-31', 0)).toBe('2026-05-31');
  });

  it('finds the first day of the month', () => {
    expect(firstDayOfMonth('2026-03-29')).toBe('2026-03-01');
    expect(firstDayOfMonth('2026-03-01')).toBe('2026-03-01');
  });

  it('tells real dates apart', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-1-01')).toBe(false);
    expect(isIsoDate('01/02/2026')).toBe(false);
    expect(isIsoDate('')).toBe(false);
  });

  it('tells real dates apart exactly as a round trip through Date does', () => {
    const roundTrip = (value: string) => {
      if (!/^\d{4}-\d{2}-\d{2}$/u.test(value)) return false;
      const date = new Date(`${value}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
    };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    for (const year of [0, 4, 100, 400, 1582, 1900, 1970, 2000, 2024, 2026, 2028, 2100, 2400, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const value = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          expect(isIsoDate(value), value).toBe(roundTrip(value));
        }
      }
    }
    for (const odd of ['2026-02-28T00:00:00Z', ' 2026-02-28', '2026-02-28\n', '+02026-02-28', '２０２６-02-28', '2026-2-28', '20260228']) {
      expect(isIsoDate(odd), odd).toBe(roundTrip(odd));
    }
  });

  it('writes dates in French', () => {
    expect(formatLongDate('2026-11-25')).toBe('25 novembre 2026');
    expect(formatLongDate('2026-12-01')).toBe('1er décembre 2026');
  });

  it('writes months in French, from the month or any of its days', () => {
    expect(formatMonth('2026-10')).toBe('octobre 2026');
    expect(formatMonth('2026-10-01')).toBe('octobre 2026');
    expect(formatMonth('2026-10-31')).toBe('octobre 2026');
    expect(formatMonth('2027-01')).toBe('janvier 2027');
    expect(formatMonth('2026-12-15')).toBe('décembre 2026');
    for (const bad of ['2026', '2026-1', 'octobre', '2026-10-01T00:00:00Z', '']) expect(() => formatMonth(bad), bad).toThrow();
  });

  it('elides « de » before a vowel: « d’avril », « d’août », « d’octobre », but « de mars »', () => {
    const months = Array.from({ length: 12 }, (_, i) => ofMonth(`2026-${String(i + 1).padStart(2, '0')}`));
    expect(months).toEqual([
      'de janvier 2026',
      'de février 2026',
      'de mars 2026',
      'd’avril 2026',
      'de mai 2026',
      'de juin 2026',
      'de juillet 2026',
      'd’août 2026',
      'de septembre 2026',
      'd’octobre 2026',
      'de novembre 2026',
      'de décembre 2026',
    ]);
    expect(ofMonth('2026-04-01')).toBe('d’avril 2026');
  });
});
