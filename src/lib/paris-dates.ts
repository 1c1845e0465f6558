/**
 * Days as the scheme counts them: calendar days in Europe/Paris, written 'YYYY-MM-DD' (the form
 * PostgreSQL `date` columns come back in). Instants stay `Date` (UTC); converting between the two
 * goes through the time zone database, so daylight-saving changes are handled by Intl, not by us.
 */

export type IsoDate = string;

const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The Paris calendar day of an instant. */
export function parisDay(instant: Date): IsoDate {
  return dayFormat.format(instant);
}

export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/u.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
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

/** The instant a Paris day starts (23:00 or 22:00 UTC the day before, depending on the season). */
export function startOfParisDay(day: IsoDate): Date {
  // Paris is UTC+1 or UTC+2: try both offsets and keep the one that lands on the day's midnight.
  for (const offsetHours of [1, 2]) {
    const candidate = new Date(Date.parse(`${day}T00:00:00Z`) - offsetHours * 3_600_000);
    if (parisDay(candidate) === day && parisDay(new Date(candidate.getTime() - 1)) !== day) return candidate;
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
