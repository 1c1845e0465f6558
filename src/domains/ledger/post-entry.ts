import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB, Journal } from '../../db/schema.js';
import type { IsoDate } from '../../lib/paris-dates.js';
import { accountId, accountKey, accountRow, type AccountRef } from './accounts.js';

/**
 * Writes one journal entry and its postings, in the caller's transaction (the one of the business
 * change it records). The entry takes the next number of the chain under the ledger head's lock,
 * held until the transaction ends: numbers are continuous and the hash chain has no fork. The head
 * is taken after the business rows and before the accounts, always in that order, so writers never
 * wait on each other in a cycle. The database checks the rest: the entry balances at commit,
 * nothing is ever updated or deleted.
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

/** hash(n) = SHA-256(hash(n−1) ‖ n as 8 bytes big-endian ‖ digest(n)); the database computes the same. */
export function chainHash(previous: Buffer, seq: number, digest: Buffer): Buffer {
  const number = Buffer.alloc(8);
  number.writeBigInt64BE(BigInt(seq));
  return createHash('sha256').update(Buffer.concat([previous, number, digest])).digest();
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

/** The account rows an entry needs, to insert `on conflict do nothing` before (or with) the entry. */
export function entryAccountRows(lines: readonly EntryLine[], now: Date) {
  return [...new Map(lines.map((line) => [accountKey(line.account), accountRow(line.account, now)])).values()];
}

/**
 * Writes the entry. Two statements: the accounts it needs (skipped when the caller already inserted
 * them, e.g. in the same statement as its business rows), then one statement that moves the head,
 * inserts the entry and its postings.
 */
export async function postEntry(trx: Kysely<DB>, entry: NewEntry, now: Date, options: { accountsEnsured?: boolean } = {}): Promise<number> {
  const lines = entry.lines.filter((line) => line.amountCents !== 0);
  assertBalanced(lines);
  if (!options.accountsEnsured) {
    await trx
      .insertInto('ledger_accounts')
      .values(entryAccountRows(lines, now))
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  const content: EntryContent = {
    journal: entry.journal,
    kind: entry.kind,
    label: entry.label,
    bookedOn: entry.bookedOn,
    pieceRef: entry.pieceRef,
    orderId: entry.orderId ?? null,
    redemptionId: entry.redemptionId ?? null,
    correctsSeq: entry.correctsSeq ?? null,
    createdAt: now,
    lines: lines.map((line) => ({ accountKey: accountKey(line.account), amountCents: line.amountCents })),
  };
  const digest = entryDigest(content);
  const values = sql.join(
    content.lines.map((line, index) => sql`(${index + 1}::int, ${accountId(line.accountKey)}::uuid, ${line.amountCents}::bigint)`),
  );
  const { rows } = await sql<{ entry_seq: number }>`
    with head as (
      update ledger_head
      set last_seq = last_seq + 1,
          last_hash = sha256(last_hash || int8send(last_seq + 1) || ${digest})
      where id
      returning last_seq, last_hash
    ), entry as (
      insert into journal_entries (seq, journal, kind, label, booked_on, piece_ref, order_id, redemption_id, corrects_seq, hash, created_at)
      select head.last_seq, ${content.journal}, ${content.kind}, ${content.label}, ${content.bookedOn}, ${content.pieceRef},
             ${content.orderId}::uuid, ${content.redemptionId}::uuid, ${content.correctsSeq}::bigint, head.last_hash, ${now}
      from head
      returning seq
    )
    insert into postings (entry_seq, line, account_id, amount_cents)
    select entry.seq, v.line, v.account_id, v.amount_cents
    from entry, (values ${values}) as v (line, account_id, amount_cents)
    returning entry_seq`.execute(trx);
  if (rows.length !== lines.length) throw new Error('journal entry not written whole');
  return rows[0]!.entry_seq;
}
