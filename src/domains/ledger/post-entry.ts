import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { PREPARED } from '../../db/prepared.js';
import type { DB, Journal } from '../../db/schema.js';
import type { IsoDate } from '../../lib/paris-dates.js';
import { accountId, accountKey, accountRow, type AccountRef } from './accounts.js';

/**
 * Writes journal entries and their postings, in the caller's transaction (the one of the business
 * change they record). An entry takes its number from a sequence, so concurrent money transactions
 * only wait on each other where they touch the same account (its balance moves with its postings).
 * Writers lock the accounts they post to in id order, the same in every transaction, so two writers
 * never wait on each other in a cycle, and give each posting the account's balance after it and its
 * rank on the account. The database checks the rest: a statement trigger refuses postings whose
 * balance or rank does not follow from their account, each entry balances at commit, nothing is
 * ever updated or deleted (migration 0007). The hash chain is written behind, by seal-ledger.ts.
 */

export interface EntryLine {
  account: AccountRef;
  /** Signed integer cents: debit positive, credit negative. */
  amountCents: number;
}

export interface NewEntry {
  journal: Journal;
  kind: string;
  label: string;
  bookedOn: IsoDate;
  pieceRef: string;
  orderId?: string | null;
  redemptionId?: string | null;
  correctsSeq?: number | null;
  lines: readonly EntryLine[];
}

export interface EntryContent {
  journal: Journal;
  kind: string;
  label: string;
  bookedOn: IsoDate;
  pieceRef: string;
  orderId: string | null;
  redemptionId: string | null;
  correctsSeq: number | null;
  createdAt: Date;
  /** In line order (as stored). */
  lines: readonly { accountKey: string; amountCents: number }[];
}

/** What the chain hashes of an entry: everything but its number and the hashes themselves. */
export function entryDigest(content: EntryContent): Buffer {
  const canonical = JSON.stringify([
    content.journal,
    content.kind,
    content.label,
    content.bookedOn,
    content.pieceRef,
    content.orderId,
    content.redemptionId,
    content.correctsSeq,
    content.createdAt.toISOString(),
    content.lines.map((line) => [line.accountKey, line.amountCents]),
  ]);
  return createHash('sha256').update(canonical).digest();
}

/** hash(n) = SHA-256(hash of the previous seal ‖ n as 8 bytes big-endian ‖ digest(n)). */
export function chainHash(previous: Buffer, seq: number, digest: Buffer): Buffer {
  const number = Buffer.alloc(8);
  number.writeBigInt64BE(BigInt(seq));
  return createHash('sha256').update(Buffer.concat([previous, number, digest])).digest();
}

/** A stored entry's row, as the sealer and the verifier read it. */
export interface StoredEntry {
  seq: number;
  journal: Journal;
  kind: string;
  label: string;
  booked_on: string;
  piece_ref: string;
  order_id: string | null;
  redemption_id: string | null;
  corrects_seq: number | null;
  created_at: Date;
}

/** The digest of a stored entry with its lines (in line order). */
export function storedEntryDigest(entry: StoredEntry, lines: readonly { accountKey: string; amountCents: number }[]): Buffer {
  return entryDigest({
    journal: entry.journal,
    kind: entry.kind,
    label: entry.label,
    bookedOn: entry.booked_on,
    pieceRef: entry.piece_ref,
    orderId: entry.order_id,
    redemptionId: entry.redemption_id,
    correctsSeq: entry.corrects_seq,
    createdAt: entry.created_at,
    lines,
  });
}

/** The lines of the entries numbered from `first` to `last`, by entry, in line order. */
export async function loadEntryLines(db: Kysely<DB>, first: number, last: number): Promise<Map<number, { accountKey: string; amountCents: number }[]>> {
  const postings = await db
    .selectFrom('postings')
    .innerJoin('ledger_accounts', 'ledger_accounts.id', 'postings.account_id')
    .select(['postings.entry_seq', 'postings.amount_cents', 'ledger_accounts.key'])
    .where('postings.entry_seq', '>=', first)
    .where('postings.entry_seq', '<=', last)
    .orderBy('postings.entry_seq')
    .orderBy('postings.line')
    .execute();
  const linesOf = new Map<number, { accountKey: string; amountCents: number }[]>();
  for (const p of postings) {
    const lines = linesOf.get(p.entry_seq) ?? [];
    lines.push({ accountKey: p.key, amountCents: p.amount_cents });
    linesOf.set(p.entry_seq, lines);
  }
  return linesOf;
}

export function assertBalanced(lines: readonly EntryLine[]): void {
  if (lines.length < 2) throw new Error('a journal entry has at least two lines');
  let total = 0;
  for (const line of lines) {
    if (!Number.isSafeInteger(line.amountCents) || line.amountCents === 0) throw new Error(`invalid amount ${line.amountCents} in a journal entry`);
    total += line.amountCents;
  }
  if (total !== 0) throw new Error(`unbalanced journal entry: ${total} cents`);
}

/** The account rows entries need, to insert `on conflict do nothing` before (or with) them. */
export function entryAccountRows(lines: readonly EntryLine[], now: Date) {
  return [...new Map(lines.map((line) => [accountKey(line.account), accountRow(line.account, now)])).values()];
}

/** Lines without zero amounts, in the order given (their line numbers). */
function orderedLines(entry: NewEntry): EntryLine[] {
  const lines = entry.lines.filter((line) => line.amountCents !== 0);
  assertBalanced(lines);
  return lines;
}

function entryValues(entry: NewEntry, now: Date) {
  return {
    journal: entry.journal,
    kind: entry.kind,
    label: entry.label,
    booked_on: entry.bookedOn,
    piece_ref: entry.pieceRef,
    order_id: entry.orderId ?? null,
    redemption_id: entry.redemptionId ?? null,
    corrects_seq: entry.correctsSeq ?? null,
    created_at: now,
  };
}

/**
 * Writes one entry: the accounts it needs (skipped when the caller already inserted them, e.g. in
 * the same statement as its business rows), then one statement for the entry and its postings.
 */
export async function postEntry(trx: Kysely<DB>, entry: NewEntry, now: Date, options: { accountsEnsured?: boolean } = {}): Promise<number> {
  const [seq] = await postFewEntries(trx, [entry], now, options);
  return seq!;
}

/**
 * Writes a few entries (those of one batch of redemptions, say) in one statement, numbered in the
 * order given. For thousands of entries, postEntries.
 */
export async function postFewEntries(trx: Kysely<DB>, entries: readonly NewEntry[], now: Date, options: { accountsEnsured?: boolean } = {}): Promise<number[]> {
  if (entries.length === 0) return [];
  const parts = entryStatementParts(entries, now);
  if (!options.accountsEnsured) {
    await trx.insertInto('ledger_accounts').values(parts.accounts).onConflict((oc) => oc.doNothing()).execute();
  }
  const { rows } = await sql<{ i: number; seq: number; posted: number | string }>`${sql.raw(PREPARED)}
    with ${sql.join(parts.ctes)}
    select n.i, n.seq, (select count(*) from posted) as posted from numbered n order by n.i`.execute(trx);
  if (rows.length !== entries.length || Number(rows[0]!.posted) !== parts.lineCount) throw new Error('journal entries not written whole');
  return rows.map((row) => Number(row.seq));
}

/**
 * The common table expressions that write these entries, for a statement of the caller's that
 * writes its business rows in the same round trip: `numbered` (i, seq), `entries`, and `posted`
 * (one row per posting written; the caller checks its count against lineCount: a posting whose
 * account does not exist is not written). Their accounts must exist before the statement.
 */
export function entryStatementParts(entries: readonly NewEntry[], now: Date) {
  const prepared = entries.map((entry) => ({ entry, lines: orderedLines(entry) }));
  const accounts = [...new Map(prepared.flatMap((p) => entryAccountRows(p.lines, now).map((row) => [row.key, row] as const))).values()];
  // Without their creation instant: the statement gives them all `now`.
  const rows = prepared.map(({ entry }, i) => {
    const { created_at: _now, ...values } = entryValues(entry, now);
    return { i, ...values };
  });
  const postings = prepared.flatMap(({ lines }, i) =>
    lines.map((line, index) => ({ i, line: index + 1, account_id: accountId(accountKey(line.account)), amount_cents: line.amountCents })),
  );
  // Fixed text whatever the number of entries (their rows go as one JSON parameter each: built by
  // JSON.stringify at once, where arrays were escaped element by element), so that callers can prepare it.
  const ctes = [
    // Numbered from the rows themselves: a count given as a parameter (generate_series) made each
    // plan depend on its value, and PostgreSQL planned the statement again at every execution.
    sql`numbered as (
      select e.*, nextval('journal_entry_seq') as seq
      from json_to_recordset(${JSON.stringify(rows)}::json)
        as e (i int, journal text, kind text, label text, booked_on date, piece_ref text, order_id uuid, redemption_id uuid, corrects_seq bigint)
      order by e.i
    )`,
    sql`entries as (
      insert into journal_entries (seq, journal, kind, label, booked_on, piece_ref, order_id, redemption_id, corrects_seq, created_at)
      select n.seq, n.journal, n.kind, n.label, n.booked_on, n.piece_ref, n.order_id, n.redemption_id, n.corrects_seq, ${now}::timestamptz
      from numbered n
      order by n.seq
    )`,
    // The accounts locked in id order (the same in every transaction, so that writers never wait
    // on each other in a cycle), then each posting with the balance after it and its rank on its
    // account, in entry order; the statement trigger moves each account once and checks them.
    sql`locked as materialized (
      select a.id, a.balance_cents, a.postings_count from ledger_accounts a
      where a.id = any(${[...new Set(postings.map((p) => p.account_id))]}::uuid[])
      order by a.id
      for update
    )`,
    sql`posted as (
      insert into postings (entry_seq, line, account_id, amount_cents, balance_after_cents, account_line)
      select n.seq, p.line, a.id, p.amount_cents,
        a.balance_cents + sum(p.amount_cents) over w, a.postings_count + row_number() over w
      from numbered n
      join json_to_recordset(${JSON.stringify(postings)}::json) as p (i int, line int, account_id uuid, amount_cents bigint) on p.i = n.i
      join locked a on a.id = p.account_id
      window w as (partition by a.id order by n.seq, p.line rows unbounded preceding)
      returning entry_seq
    )`,
  ];
  return { ctes, accounts, lineCount: postings.length };
}

const CHUNK = 1000;
const POSTING_CHUNK = 4000;

/**
 * Writes many entries at once (a settlement posts thousands): what as many postEntry calls would
 * write, in a few statements. Numbers are reserved from the sequence in one query; the accounts are
 * locked in id order, as everyone else does, and each posting gets the balance after it and its
 * rank on its account, in entry order; each statement's trigger moves each account once.
 */
export async function postEntries(trx: Kysely<DB>, entries: readonly NewEntry[], now: Date, onProgress?: (done: number, total: number) => void): Promise<number[]> {
  if (entries.length === 0) return [];
  const prepared = entries.map((entry) => ({ entry, lines: orderedLines(entry) }));
  const accounts = [...new Map(prepared.flatMap((p) => entryAccountRows(p.lines, now).map((row) => [row.key, row] as const))).values()];
  for (let i = 0; i < accounts.length; i += CHUNK) {
    await trx.insertInto('ledger_accounts').values(accounts.slice(i, i + CHUNK)).onConflict((oc) => oc.doNothing()).execute();
  }
  const { rows: numbers } = await sql<{ seq: number }>`select nextval('journal_entry_seq') as seq from generate_series(1, ${entries.length}::int) order by 1`.execute(trx);
  const seqs = numbers.map((n) => Number(n.seq));
  for (let i = 0; i < prepared.length; i += CHUNK) {
    await trx
      .insertInto('journal_entries')
      .values(prepared.slice(i, i + CHUNK).map((p, j) => ({ seq: seqs[i + j]!, ...entryValues(p.entry, now) })))
      .execute();
  }
  // Text order of lower-case uuids is PostgreSQL's uuid order.
  const lines = prepared
    .flatMap((p, i) => p.lines.map((line, index) => ({ entry_seq: seqs[i]!, line: index + 1, account_id: accountId(accountKey(line.account)), amount_cents: line.amountCents })))
    .sort((a, b) => (a.account_id < b.account_id ? -1 : a.account_id > b.account_id ? 1 : a.entry_seq - b.entry_seq));
  const accountsNow = await lockAccounts(trx, [...new Set(lines.map((line) => line.account_id))]);
  const postings = lines.map((line) => {
    const account = accountsNow.get(line.account_id);
    if (!account) throw new Error(`posting to unknown ledger account ${line.account_id}`);
    account.balance += line.amount_cents;
    account.count += 1;
    return { ...line, balance_after_cents: account.balance, account_line: account.count };
  });
  for (let i = 0; i < postings.length; i += POSTING_CHUNK) {
    await trx.insertInto('postings').values(postings.slice(i, i + POSTING_CHUNK)).execute();
    onProgress?.(Math.min(postings.length, i + POSTING_CHUNK), postings.length);
  }
  return seqs;
}

/** Locks these accounts (sorted ids) in id order, and returns their balance and number of postings. */
async function lockAccounts(trx: Kysely<DB>, ids: readonly string[]): Promise<Map<string, { balance: number; count: number }>> {
  const accounts = new Map<string, { balance: number; count: number }>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('ledger_accounts')
      .select(['id', 'balance_cents', 'postings_count'])
      .where('id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const row of rows) accounts.set(row.id, { balance: row.balance_cents, count: row.postings_count });
  }
  return accounts;
}
