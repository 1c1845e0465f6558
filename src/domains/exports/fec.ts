import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { isIsoDate, parisDay, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import { territoryEntryName } from '../territories/territory.js';

/**
 * The accounting exports of the platform's ledger.
 *
 * The FEC (fichier des écritures comptables, LPF art. A47 A-1, ../shared/data/fec-spec/): the 18
 * fields of table VII-1 (BIC/IS) in that order, tab-separated, the field names on the first line,
 * UTF-8, CRLF line ends, dates AAAAMMJJ, amounts with a decimal comma and no thousands separator,
 * in a Debit and a Credit column (the other one 0,00). Named `<SIREN>FEC<AAAAMMJJ>.txt`, the date
 * being the closing day of the financial year (the calendar year here).
 *
 * Entries come in (booked_on, seq) order and EcritureNum numbers them 1…N in the file. The ledger's
 * own seq is continuous over the whole ledger, not within a year: a year's first entry is not 1,
 * and an entry booked on a day of year N but validated in N+1 (December's settlement, run in
 * January and booked on December's last day) would put a later seq among earlier ones. Numbering
 * in the file keeps the sequence continuous and in date order whatever the history; PieceRef and
 * the entries CSV (which carries seq and hash) join a line back to the ledger.
 *
 * Every year after the first opens with the carried-forward balances (« à-nouveaux », journal AN,
 * as the FEC requires): each balance-sheet account's balance at the end of the previous year, and
 * the cumulated income (classes 6 and 7) on 110000 or 119000 (report à nouveau) until the
 * accountant books its allocation.
 *
 * Everything is streamed page by page (a year may hold millions of postings) and written with
 * back-pressure; nothing here buffers a whole year.
 */

export const FEC_COLUMNS = [
  'JournalCode',
  'JournalLib',
  'EcritureNum',
  'EcritureDate',
  'CompteNum',
  'CompteLib',
  'CompAuxNum',
  'CompAuxLib',
  'PieceRef',
  'PieceDate',
  'EcritureLib',
  'Debit',
  'Credit',
  'EcritureLet',
  'DateLet',
  'ValidDate',
  'Montantdevise',
  'Idevise',
] as const;

const EOL = '\r\n';

export const JOURNAL_LABELS: Record<string, string> = {
  AN: 'À nouveaux',
  VT: 'Émissions de chèques, abonnements et avoirs',
  EN: 'Chèques encaissés par les lieux',
  RE: 'Règlements mensuels aux lieux',
  BQ: 'Banque',
  OD: 'Opérations diverses',
};

/** One line of an entry, as the FEC shows it. */
export interface FecPosting {
  chartNumber: string;
  accountLabel: string;
  auxNum: string;
  auxLib: string;
  /** Signed integer cents: debit positive, credit negative. */
  amountCents: number;
}

export interface FecEntry {
  journal: string;
  bookedOn: IsoDate;
  pieceRef: string;
  pieceDate: IsoDate;
  label: string;
  validatedOn: IsoDate;
  postings: readonly FecPosting[];
}

/** 'YYYY-MM-DD' → 'YYYYMMDD'. */
export function fecDate(day: IsoDate): string {
  if (!isIsoDate(day)) throw new Error(`FEC: ${day} is not a day`);
  return day.replaceAll('-', '');
}

/** Non-negative integer cents → « 1234,56 » (decimal comma, no thousands separator). */
export function fecAmount(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new Error(`FEC: invalid amount ${cents}`);
  return `${Math.trunc(cents / 100)},${String(cents % 100).padStart(2, '0')}`;
}

/** A text field: no tab, CR, LF or other control character (they would break the records). */
export function fecText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/gu, ' ').trim();
}

/** `<SIREN>FEC<AAAAMMJJ>.txt`, the SIREN being the first 9 digits of the SIRET. */
export function fecFileName(siret: string, year: number): string {
  const siren = siret.replace(/\s/gu, '').slice(0, 9);
  if (!/^\d{9}$/u.test(siren)) throw new Error(`FEC: no SIREN in the SIRET « ${siret} »`);
  return `${siren}FEC${fecDate(closingDay(year))}.txt`;
}

export function closingDay(year: number): IsoDate {
  return `${year}-12-31`;
}

export function assertFecYear(year: number): void {
  if (!Number.isInteger(year) || year < 2000 || year > 9999) throw new DomainError('export_period_invalid');
}

/** Two days, in order. */
export function assertExportPeriod(from: string, to: string): void {
  if (!isIsoDate(from) || !isIsoDate(to) || from > to) throw new DomainError('export_period_invalid');
}

/** The header and nothing else. */
export function fecHeader(): string {
  return FEC_COLUMNS.join('\t') + EOL;
}

/** The records of one entry, numbered `number`; each ends with CRLF. */
export function fecEntryLines(entry: FecEntry, number: number): string {
  let total = 0;
  let out = '';
  const label = fecText(entry.label) || '/';
  for (const posting of entry.postings) {
    total += posting.amountCents;
    out +=
      [
        entry.journal,
        JOURNAL_LABELS[entry.journal] ?? entry.journal,
        String(number),
        fecDate(entry.bookedOn),
        posting.chartNumber,
        fecText(posting.accountLabel),
        fecText(posting.auxNum),
        fecText(posting.auxLib),
        fecText(entry.pieceRef) || '/',
        fecDate(entry.pieceDate),
        label,
        fecAmount(Math.max(posting.amountCents, 0)),
        fecAmount(Math.max(-posting.amountCents, 0)),
        '',
        '',
        fecDate(entry.validatedOn),
        '',
        '',
      ].join('\t') + EOL;
  }
  if (entry.postings.length < 2 || total !== 0) throw new Error(`FEC: entry ${number} is unbalanced (${total} cents)`);
  return out;
}

export interface AccountOwner {
  kind: string;
  organisationId: string | null;
  organisationName: string | null;
  orderNumber: number | null;
  territory: string | null;
}

/**
 * The auxiliary account of a per-owner account: a short code that never changes (from the
 * owner's id, the order number or the département) and the owner's name. Blank for the others.
 * A provider's payable and its subscriptions receivable share its code: one third party.
 */
export function auxiliaryOf(account: AccountOwner): { num: string; lib: string } {
  const idCode = (id: string | null) => (id ?? '').replaceAll('-', '').slice(0, 12).toUpperCase();
  switch (account.kind) {
    case 'funder_balance':
      return { num: `FI${idCode(account.organisationId)}`, lib: account.organisationName ?? '' };
    case 'provider_payable':
    case 'subscriptions_receivable':
      return { num: `LQ${idCode(account.organisationId)}`, lib: account.organisationName ?? '' };
    case 'vouchers_outstanding':
    case 'expired_vouchers': {
      const number = `CMD${String(account.orderNumber ?? 0).padStart(6, '0')}`;
      return { num: number, lib: `${number} ${account.organisationName ?? ''}`.trim() };
    }
    case 'territorial_fund': {
      const territory = account.territory ?? '';
      const name = territoryEntryName(`departement:${territory}`);
      return { num: `FT${territory}`, lib: name ? `${name} (${territory})` : territory };
    }
    default:
      return { num: '', lib: '' };
  }
}

/**
 * Writes with back-pressure: waits for the stream to drain when its buffer is full. A stream
 * closed before the end (a download abandoned by the browser) stops the export instead of leaving
 * it waiting for a 'drain' that never comes.
 */
async function write(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed) throw new Error('export: the output was closed before the end');
  if (chunk !== '' && !out.write(chunk)) await drained(out);
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      out.off('drain', onDrain).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(new Error('export: the output was closed before the end'));
    out.on('drain', onDrain).on('error', onError).on('close', onClose);
  });
}

const PAGE = 2000;

interface EntryKey {
  seq: number;
  booked_on: string;
}

/** The entries booked from `from` to `to` (days, inclusive), page by page in (booked_on, seq) order. */
async function* entryPages(db: Kysely<DB>, from: IsoDate, to: IsoDate) {
  let after: EntryKey | undefined;
  for (;;) {
    let query = db
      .selectFrom('journal_entries as e')
      .leftJoin('ledger_seals as s', 's.seq', 'e.seq')
      .select(['e.seq', 'e.journal', 'e.kind', 'e.label', 'e.booked_on', 'e.piece_ref', 's.hash', 'e.created_at'])
      .where('e.booked_on', '>=', from)
      .where('e.booked_on', '<=', to);
    if (after) query = query.where(sql<boolean>`(e.booked_on, e.seq) > (${after.booked_on}::date, ${after.seq}::bigint)`);
    const entries = await query.orderBy('e.booked_on').orderBy('e.seq').limit(PAGE).execute();
    if (entries.length === 0) return;
    const postings = await db
      .selectFrom('postings as p')
      .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
      .leftJoin('organisations as o', 'o.id', 'a.organisation_id')
      .leftJoin('orders as r', 'r.id', 'a.order_id')
      .select([
        'p.entry_seq',
        'p.line',
        'p.amount_cents',
        'a.key',
        'a.kind',
        'a.chart_number',
        'a.label',
        'a.organisation_id',
        'a.territory',
        'o.name as organisation_name',
        'r.number as order_number',
      ])
      .where('p.entry_seq', 'in', entries.map((e) => e.seq))
      .orderBy('p.entry_seq')
      .orderBy('p.line')
      .execute();
    const bySeq = new Map<number, typeof postings>();
    for (const posting of postings) {
      const lines = bySeq.get(posting.entry_seq) ?? [];
      lines.push(posting);
      bySeq.set(posting.entry_seq, lines);
    }
    yield entries.map((entry) => ({ ...entry, postings: bySeq.get(entry.seq) ?? [] }));
    const last = entries.at(-1)!;
    after = { seq: last.seq, booked_on: last.booked_on };
    if (entries.length < PAGE) return;
  }
}

function toFecPosting(posting: {
  amount_cents: number;
  kind: string;
  chart_number: string;
  label: string;
  organisation_id: string | null;
  territory: string | null;
  organisation_name: string | null;
  order_number: number | null;
}): FecPosting {
  const aux = auxiliaryOf({
    kind: posting.kind,
    organisationId: posting.organisation_id,
    organisationName: posting.organisation_name,
    orderNumber: posting.order_number,
    territory: posting.territory,
  });
  return { chartNumber: posting.chart_number, accountLabel: posting.label, auxNum: aux.num, auxLib: aux.lib, amountCents: posting.amount_cents };
}

/** Balance-sheet accounts carried forward at the start of `year`; income summed into the result. */
async function openingEntry(db: Kysely<DB>, year: number): Promise<FecEntry | undefined> {
  const start = `${year}-01-01`;
  const balances = await db
    .selectFrom('postings as p')
    .innerJoin('journal_entries as e', 'e.seq', 'p.entry_seq')
    .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
    .leftJoin('organisations as o', 'o.id', 'a.organisation_id')
    .leftJoin('orders as r', 'r.id', 'a.order_id')
    .select((eb) => [
      'a.key',
      'a.kind',
      'a.chart_number',
      'a.label',
      'a.organisation_id',
      'a.territory',
      'o.name as organisation_name',
      'r.number as order_number',
      eb.fn.sum<number | string>('p.amount_cents').as('amount_cents'),
    ])
    .where('e.booked_on', '<', start)
    .groupBy(['a.key', 'a.kind', 'a.chart_number', 'a.label', 'a.organisation_id', 'a.territory', 'o.name', 'r.number'])
    .orderBy('a.chart_number')
    .orderBy('a.key')
    .execute();
  const postings: FecPosting[] = [];
  let result = 0;
  for (const row of balances) {
    const amount = Number(row.amount_cents);
    if (!Number.isSafeInteger(amount)) throw new Error(`FEC: balance of ${row.key} out of range`);
    if (amount === 0) continue;
    if (/^[67]/u.test(row.chart_number)) result += amount;
    else postings.push(toFecPosting({ ...row, amount_cents: amount }));
  }
  if (result !== 0) {
    postings.push({
      chartNumber: result < 0 ? '110000' : '119000',
      accountLabel: result < 0 ? 'Report à nouveau (solde créditeur)' : 'Report à nouveau (solde débiteur)',
      auxNum: '',
      auxLib: '',
      amountCents: result,
    });
  }
  if (postings.length === 0) return undefined;
  return {
    journal: 'AN',
    bookedOn: start,
    pieceRef: `AN-${year}`,
    pieceDate: start,
    label: `Reprise des soldes au 1er janvier ${year}`,
    validatedOn: start,
    postings,
  };
}

export interface FecSummary {
  fileName: string;
  year: number;
  /** Entries written (the opening entry included, when there is one). */
  entries: number;
  lines: number;
  debitCents: number;
  creditCents: number;
}

/**
 * Writes the FEC of `year` to `out` (not ended: the caller closes it). `siret` is the platform's
 * (ctx.config.platform.siret), for the file name. Throws export_period_invalid for a wrong year.
 */
export async function exportFec(
  db: Kysely<DB>,
  input: { year: number; siret: string },
  out: Writable,
  onProgress?: (entries: number) => void,
): Promise<FecSummary> {
  assertFecYear(input.year);
  const summary: FecSummary = { fileName: fecFileName(input.siret, input.year), year: input.year, entries: 0, lines: 0, debitCents: 0, creditCents: 0 };
  const add = (entry: FecEntry): string => {
    summary.entries++;
    summary.lines += entry.postings.length;
    for (const posting of entry.postings) {
      if (posting.amountCents > 0) summary.debitCents += posting.amountCents;
      else summary.creditCents -= posting.amountCents;
    }
    return fecEntryLines(entry, summary.entries);
  };
  await write(out, fecHeader());
  const opening = await openingEntry(db, input.year);
  if (opening) await write(out, add(opening));
  for await (const page of entryPages(db, `${input.year}-01-01`, closingDay(input.year))) {
    let chunk = '';
    for (const entry of page) {
      chunk += add({
        journal: entry.journal,
        bookedOn: entry.booked_on,
        pieceRef: entry.piece_ref,
        pieceDate: entry.booked_on,
        label: entry.label,
        validatedOn: parisDay(entry.created_at),
        postings: entry.postings.map(toFecPosting),
      });
    }
    await write(out, chunk);
    onProgress?.(summary.entries);
  }
  return summary;
}

export const ENTRIES_CSV_COLUMNS = ['seq', 'date', 'journal', 'kind', 'label', 'piece', 'account_number', 'account_key', 'debit', 'credit', 'hash'] as const;

/** Non-negative cents → « 1234.56 » (the CSV is for machines: a decimal point). */
function csvAmount(cents: number): string {
  return cents === 0 ? '0.00' : `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export interface EntriesCsvSummary {
  entries: number;
  lines: number;
}

/**
 * Every posting of the entries booked from `from` to `to` (inclusive), one CSV row each (RFC 4180,
 * comma, header line), in (booked_on, seq) order, with the entry's chain hash in hex: what an
 * auditor needs to check a period against `verify-ledger`. Not ended: the caller closes `out`.
 */
export async function exportEntriesCsv(db: Kysely<DB>, from: IsoDate, to: IsoDate, out: Writable): Promise<EntriesCsvSummary> {
  assertExportPeriod(from, to);
  const summary: EntriesCsvSummary = { entries: 0, lines: 0 };
  await write(out, stringify([[...ENTRIES_CSV_COLUMNS]]));
  for await (const page of entryPages(db, from, to)) {
    const rows: string[][] = [];
    for (const entry of page) {
      summary.entries++;
      // Entries too recent to be sealed have no hash yet.
      const hash = entry.hash?.toString('hex') ?? '';
      for (const posting of entry.postings) {
        summary.lines++;
        rows.push([
          String(entry.seq),
          entry.booked_on,
          entry.journal,
          entry.kind,
          entry.label,
          entry.piece_ref,
          posting.chart_number,
          posting.key,
          csvAmount(Math.max(posting.amount_cents, 0)),
          csvAmount(Math.max(-posting.amount_cents, 0)),
          hash,
        ]);
      }
    }
    await write(out, stringify(rows));
  }
  return summary;
}
