import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { chainHash, entryDigest } from './post-entry.js';

/**
 * Reads the whole ledger in order and checks what the database cannot check row by row: the hash
 * chain (an entry changed, removed or inserted behind the application's back breaks it from there
 * on), continuous numbers, balanced entries, and balances equal to the sum of their postings.
 */

export interface LedgerProblem {
  seq?: number;
  account?: string;
  problem: 'gap' | 'hash' | 'unbalanced' | 'balance_after' | 'account_balance' | 'head';
}

export interface LedgerCheck {
  entries: number;
  postings: number;
  lastSeq: number;
  problems: LedgerProblem[];
}

const PAGE = 2000;
const ZERO_HASH: Buffer = Buffer.alloc(32);

export async function verifyLedger(db: Kysely<DB>, onProgress?: (seq: number, last: number) => void): Promise<LedgerCheck> {
  const head = await db.selectFrom('ledger_head').select(['last_seq', 'last_hash']).executeTakeFirstOrThrow();
  const problems: LedgerProblem[] = [];
  const running = new Map<string, number>();
  let previousHash: Buffer = ZERO_HASH;
  let expected = 1;
  let postings = 0;
  let entries = 0;
  for (let after = 0; ; ) {
    const rows = await db
      .selectFrom('journal_entries as e')
      .innerJoin('postings as p', 'p.entry_seq', 'e.seq')
      .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
      .select([
        'e.seq',
        'e.journal',
        'e.kind',
        'e.label',
        'e.booked_on',
        'e.piece_ref',
        'e.order_id',
        'e.redemption_id',
        'e.corrects_seq',
        'e.hash',
        'e.created_at',
        'p.line',
        'p.amount_cents',
        'p.balance_after_cents',
        'a.key',
      ])
      .where('e.seq', '>', after)
      .where('e.seq', '<=', after + PAGE)
      .orderBy('e.seq')
      .orderBy('p.line')
      .execute();
    if (rows.length === 0 && after >= head.last_seq) break;
    for (let i = 0; i < rows.length; ) {
      const first = rows[i]!;
      const lines: typeof rows = [];
      while (i < rows.length && rows[i]!.seq === first.seq) lines.push(rows[i++]!);
      entries++;
      postings += lines.length;
      if (first.seq !== expected) problems.push({ seq: expected, problem: 'gap' });
      expected = first.seq + 1;
      const digest = entryDigest({
        journal: first.journal,
        kind: first.kind,
        label: first.label,
        bookedOn: first.booked_on,
        pieceRef: first.piece_ref,
        orderId: first.order_id,
        redemptionId: first.redemption_id,
        correctsSeq: first.corrects_seq,
        createdAt: first.created_at,
        lines: lines.map((line) => ({ accountKey: line.key, amountCents: line.amount_cents })),
      });
      const hash = chainHash(previousHash, first.seq, digest);
      if (!hash.equals(first.hash)) problems.push({ seq: first.seq, problem: 'hash' });
      previousHash = first.hash;
      if (lines.length < 2 || lines.reduce((sum, line) => sum + line.amount_cents, 0) !== 0) problems.push({ seq: first.seq, problem: 'unbalanced' });
      for (const line of lines) {
        const balance = (running.get(line.key) ?? 0) + line.amount_cents;
        running.set(line.key, balance);
        if (balance !== line.balance_after_cents) problems.push({ seq: first.seq, account: line.key, problem: 'balance_after' });
      }
    }
    after += PAGE;
    onProgress?.(Math.min(after, head.last_seq), head.last_seq);
    if (after >= head.last_seq) break;
  }
  if (expected !== head.last_seq + 1 || (head.last_seq > 0 && !previousHash.equals(head.last_hash))) problems.push({ problem: 'head' });
  const accounts = await db.selectFrom('ledger_accounts').select(['key', 'balance_cents']).execute();
  for (const account of accounts) {
    if ((running.get(account.key) ?? 0) !== account.balance_cents) problems.push({ account: account.key, problem: 'account_balance' });
  }
  return { entries, postings, lastSeq: head.last_seq, problems };
}
