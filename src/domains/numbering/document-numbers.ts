import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/**
 * Numbers without gaps, per series and year, for documents the law wants numbered continuously
 * (invoices, credit notes, statements). The counter row is locked by the update until the caller's
 * transaction ends: a rolled-back transaction gives its number back, two concurrent ones queue.
 * Call it inside the transaction that writes the document.
 */
export async function nextDocumentNumber(trx: Kysely<DB>, series: string, year: number): Promise<number> {
  const row = await trx
    .insertInto('document_counters')
    .values({ series, year, last_number: 1 })
    .onConflict((oc) => oc.columns(['series', 'year']).doUpdateSet((eb) => ({ last_number: eb('document_counters.last_number', '+', 1) })))
    .returning('last_number')
    .executeTakeFirstOrThrow();
  return row.last_number;
}

/** F-2026-000007 */
export function formatDocumentNumber(prefix: string, year: number, number: number): string {
  return `${prefix}-${year}-${String(number).padStart(6, '0')}`;
}
