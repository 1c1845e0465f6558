/**
 * Days as the scheme counts them: calendar days in Europe/Paris, written 'YYYY-MM-DD' (the form
 * PostgreSQL `date` columns come back in). Instants stay `Date` (UTC); converting between the two
 * goes through the time zone database, so daylight-saving changes are handled by Intl, not by us.
 */

export type IsoDate = string;

const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });

const HOUR_MS = 3_600_000;

/**
 * Since the EU rules of 1977, Paris is UTC+1 or UTC+2 and changes at 01:00 UTC: its midnights fall
 * on whole UTC hours, so every instant of one UTC hour is on the same Paris day. Earlier instants
 * (Paris mean time was UTC+00:09:21) always go through Intl.
 */
const WHOLE_HOUR_OFFSETS_SINCE = Date.UTC(1977, 0, 1);

/**
 * The last UTC hour asked and its Paris day: formatting through Intl is the costly part of each
 * redemption's date checks, and nearly every call asks about "now", so one hour is enough.
 */
let rememberedHour = Number.NaN;
let rememberedDay: IsoDate = '';

/** The Paris calendar day of an instant. */
export function parisDay(instant: Date): IsoDate {
  const time = instant.getTime();
  // An invalid date (NaN) fails this test and throws in Intl, as it always did.
  if (!(time >= WHOLE_HOUR_OFFSETS_SINCE)) return dayFormat.format(instant);
  const hour = Math.floor(time / HOUR_MS);
  if (hour !== rememberedHour) {
    rememberedDay = dayFormat.format(instant);
    rememberedHour = hour;
  }
  return rememberedDay;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/u;

/**
 * A real day of the proleptic Gregorian calendar, written 'YYYY-MM-DD' (what `Date` accepts and
 * writes back unchanged), checked by arithmetic rather than by a round trip through `Date`.
 */
export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const month = Number(match[2]);
  const day = Number(match[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(match[1]), month);
}

/** Days in a month (1–12) of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Calendar arithmetic on days (no time zone involved). */
export function addDays(day: IsoDate, days: number): IsoDate {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Same day of the month `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb). */
export function addMonths(day: IsoDate, months: number): IsoDate {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(year, month - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(date, last));
  return first.toISOString().slice(0, 10);
}

export function firstDayOfMonth(day: IsoDate): IsoDate {
  return `${day.slice(0, 7)}-01`;
}

/**
 * Paris midnights already found, by day: the rules ask for the same few days (the validity of the
 * orders) on every redemption, and finding one takes up to four trips through Intl. Cleared when
 * full rather than evicted one by one: refilling it is cheap, and it never grows without bound.
 */
const parisMidnights = new Map<IsoDate, number>();
const PARIS_MIDNIGHTS_KEPT = 4096;

/** The instant a Paris day starts (23:00 or 22:00 UTC the day before, depending on the season). */
export function startOfParisDay(day: IsoDate): Date {
  let time = parisMidnights.get(day);
  if (time === undefined) {
    time = findParisMidnight(day);
    if (parisMidnights.size >= PARIS_MIDNIGHTS_KEPT) parisMidnights.clear();
    parisMidnights.set(day, time);
  }
  // A new Date each time: callers own what they are given.
  return new Date(time);
}

function findParisMidnight(day: IsoDate): number {
  // Paris is UTC+1 or UTC+2: try both offsets and keep the one that lands on the day's midnight.
  // Straight through Intl, so that these probes do not push "now" out of parisDay's memory.
  for (const offsetHours of [1, 2]) {
    const candidate = Date.parse(`${day}T00:00:00Z`) - offsetHours * HOUR_MS;
    if (dayFormat.format(candidate) === day && dayFormat.format(candidate - 1) !== day) return candidate;
  }
  throw new Error(`no Paris midnight found for ${day}`);
}

/** The first instant after a Paris day (the start of the next one). */
export function endOfParisDay(day: IsoDate): Date {
  return startOfParisDay(addDays(day, 1));
}

/** 25 novembre 2026, 1er décembre 2026 (French writes the first of the month as an ordinal). */
export function formatLongDate(day: IsoDate): string {
  const text = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(`${day}T00:00:00Z`));
  return text.replace(/^1 /u, '1er ');
}

const monthFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'long', year: 'numeric' });

/** « octobre 2026 », from the month ('2026-10') or any of its days ('2026-10-01'). */
export function formatMonth(month: string): string {
  const match = /^(\d{4}-\d{2})(?:-\d{2})?$/u.exec(month);
  if (!match) throw new Error(`not a month: ${month}`);
  return monthFormat.format(new Date(`${match[1]}-01T00:00:00Z`));
}

/**
 * « de mars 2026 », « d’avril 2026 », « d’octobre 2026 »: the month after « de », elided before a
 * vowel or a mute h (no month name starts with an aspirated one).
 */
export function ofMonth(month: string): string {
  const text = formatMonth(month);
  return /^[aeiouyàâäéèêëîïôöùûüh]/iu.test(text) ? `d’${text}` : `de ${text}`;
}
