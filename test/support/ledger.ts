import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { sealLedger } from '../../src/domains/ledger/seal-ledger.js';
import { verifyLedger, type LedgerCheck } from '../../src/domains/ledger/verify-ledger.js';

/** Seals everything written so far (no delay: the test's transactions are over) and checks the whole ledger. */
export async function expectSoundLedger(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<LedgerCheck> {
  await sealLedger(ctx.db, ctx.clock.now(), 0);
  const check = await verifyLedger(ctx.db, ctx.clock.now());
  expect(check.problems).toEqual([]);
  return check;
}
