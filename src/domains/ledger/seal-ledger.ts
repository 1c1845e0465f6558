import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import { chainHash, loadEntryLines, storedEntryDigest } from './post-entry.js';

/**
 * Writes the hash chain behind the entries: each entry old enough that no transaction can still
 * commit a lower number (SEAL_DELAY_MS) is sealed, in number order, with
 * SHA-256(previous seal's hash ‖ seq ‖ digest of the entry and its postings). The counter never
 * waits for this; the worker runs it every few minutes, verify-ledger checks it. One sealer at a
 * time (advisory lock); a second run with nothing new does nothing.
 */

/** Far longer than any money transaction takes between numbering an entry and committing it. */
export const SEAL_DELAY_MS = 10 * 60_000;
const PAGE = 2000;
const SEAL_LOCK = 0x5ea1_1ed9;

export interface SealReport {
  sealed: number;
  lastSeq: number;
}

export async function sealLedger(db: Kysely<DB>, now: Date, delayMs = SEAL_DELAY_MS): Promise<SealReport> {
  const before = new Date(now.getTime() - delayMs);
  let sealed = 0;
  let lastSeq = 0;
  for (;;) {
    const page = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${SEAL_LOCK})`.execute(trx);
      const head = await trx.selectFrom('ledger_head').select(['last_seq', 'last_hash']).forUpdate().executeTakeFirstOrThrow();
      const entries = await trx
        .selectFrom('journal_entries')
        .selectAll()
        .where('seq', '>', head.last_seq)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      // Stop at the first entry too recent to seal: a lower number may still be on its way.
      const tooRecent = entries.findIndex((e) => e.created_at > before);
      const ready = tooRecent === -1 ? entries : entries.slice(0, tooRecent);
      if (ready.length === 0) return { count: 0, lastSeq: head.last_seq };
      const linesOf = await loadEntryLines(trx, ready[0]!.seq, ready.at(-1)!.seq);
      let previous: Buffer = head.last_hash;
      const seals = ready.map((entry) => {
        const digest = storedEntryDigest(entry, linesOf.get(entry.seq) ?? []);
        previous = chainHash(previous, entry.seq, digest);
        return { seq: entry.seq, hash: previous, sealed_at: now };
      });
      await trx.insertInto('ledger_seals').values(seals).execute();
      const last = seals.at(-1)!;
      await trx.updateTable('ledger_head').set({ last_seq: last.seq, last_hash: last.hash }).where('id', '=', true).execute();
      return { count: seals.length, lastSeq: last.seq, full: ready.length === PAGE };
    });
    sealed += page.count;
    lastSeq = page.lastSeq;
    if (page.count < PAGE) break;
  }
  return { sealed, lastSeq };
}
