import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { chainHash, loadEntryLines, storedEntryDigest } from './post-entry.js';
import { SEAL_DELAY_MS } from './seal-ledger.js';

/**
 * Reads the whole ledger and checks what the database cannot check row by row: the hash chain of
 * the sealed entries (an entry changed, removed or inserted behind the application's back breaks it
 * from there on), entries left unsealed too long, balanced entries, and each account's postings in
 * the order they were applied: ranks without gaps, balances after each posting, the final balance.
 */

export interface LedgerProblem {
  seq?: number;
  account?: string;
  problem: 'hash' | 'unsealed' | 'unbalanced' | 'balance_after' | 'account_line' | 'account_balance' | 'head';
}

export interface LedgerCheck {
  entries: number;
  postings: number;
  sealed: number;
  /** Entries too recent to be sealed yet (not a problem). */
  pending: number;
  problems: LedgerProblem[];
}

const PAGE = 5000;
const ZERO_HASH: Buffer = Buffer.alloc(32);

export async function verifyLedger(db: Kysely<DB>, now: Date = new Date(), onProgress?: (done: number, total: number) => void): Promise<LedgerCheck> {
  const head = await db.selectFrom('ledger_head').select(['last_seq', 'last_hash']).executeTakeFirstOrThrow();
  const total = await db.selectFrom('journal_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const problems: LedgerProblem[] = [];
  let previous: Buffer = ZERO_HASH;
  let entries = 0;
  let sealed = 0;
  let pending = 0;
  let lastSealed = 0;
  const unsealedBefore = new Date(now.getTime() - 2 * SEAL_DELAY_MS);

  for (let after = 0; ; ) {
    const page = await db
      .selectFrom('journal_entries as e')
      .leftJoin('ledger_seals as s', 's.seq', 'e.seq')
      .select(['e.seq', 'e.journal', 'e.kind', 'e.label', 'e.booked_on', 'e.piece_ref', 'e.order_id', 'e.redemption_id', 'e.corrects_seq', 'e.created_at', 's.hash'])
      .where('e.seq', '>', after)
      .orderBy('e.seq')
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    const linesOf = await loadEntryLines(db, page[0]!.seq, page.at(-1)!.seq);
    for (const entry of page) {
      entries++;
      const lines = linesOf.get(entry.seq) ?? [];
      if (lines.length < 2 || lines.reduce((sum, line) => sum + line.amountCents, 0) !== 0) problems.push({ seq: entry.seq, problem: 'unbalanced' });
      if (entry.hash === null) {
        if (entry.seq <= head.last_seq || entry.created_at < unsealedBefore) problems.push({ seq: entry.seq, problem: 'unsealed' });
        else pending++;
        continue;
      }
      sealed++;
      const digest = storedEntryDigest(entry, lines);
      const hash = chainHash(previous, entry.seq, digest);
      if (!hash.equals(entry.hash)) problems.push({ seq: entry.seq, problem: 'hash' });
      previous = entry.hash;
      lastSealed = entry.seq;
    }
    after = page.at(-1)!.seq;
    onProgress?.(entries, total.n);
  }
  if (lastSealed !== head.last_seq || (head.last_seq > 0 && !previous.equals(head.last_hash))) problems.push({ problem: 'head' });

  // Each account's postings in the order they were applied.
  let postings = 0;
  const balances = new Map<string, number>();
  let current: { key: string; balance: number; line: number } | undefined;
  for (let after: { account: string; line: number } | undefined; ; ) {
    let query = db
      .selectFrom('postings')
      .innerJoin('ledger_accounts', 'ledger_accounts.id', 'postings.account_id')
      .select(['postings.account_id', 'postings.account_line', 'postings.entry_seq', 'postings.amount_cents', 'postings.balance_after_cents', 'ledger_accounts.key'])
      .orderBy('postings.account_id')
      .orderBy('postings.account_line')
      .limit(PAGE);
    if (after) {
      const { account, line } = after;
      query = query.where((eb) => eb.or([eb('postings.account_id', '>', account), eb.and([eb('postings.account_id', '=', account), eb('postings.account_line', '>', line)])]));
    }
    const rows = await query.execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      postings++;
      if (current?.key !== row.key) {
        if (current) balances.set(current.key, current.balance);
        current = { key: row.key, balance: 0, line: 0 };
      }
      current.balance += row.amount_cents;
      current.line++;
      if (row.account_line !== current.line) problems.push({ seq: row.entry_seq, account: row.key, problem: 'account_line' });
      if (row.balance_after_cents !== current.balance) problems.push({ seq: row.entry_seq, account: row.key, problem: 'balance_after' });
    }
    const last = rows.at(-1)!;
    after = { account: last.account_id, line: last.account_line };
  }
  if (current) balances.set(current.key, current.balance);
  const accounts = await db.selectFrom('ledger_accounts').select(['key', 'balance_cents']).execute();
  for (const account of accounts) {
    if ((balances.get(account.key) ?? 0) !== account.balance_cents) problems.push({ account: account.key, problem: 'account_balance' });
  }
  return { entries, postings, sealed, pending, problems };
}
