import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, recorderOf, redemptionInput } from '../support/voucher-fixtures.js';

// The counter's statements are prepared once per connection (db/client.ts). PostgreSQL plans a
// prepared statement for its first five executions with the values given, then keeps a generic
// plan if it costs no more than those did. A row count given as a parameter (generate_series over
// the number of entries) made every plan with the values look cheaper: the batch's write was
// planned again at every execution.
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({}, { poolSize: 1 });
});
afterAll(() => t.close());

describe('the counter’s prepared statements on PostgreSQL', () => {
  it('settle on a generic plan after their first five executions', async () => {
    const funder = await createFunder(t.ctx);
    const { booklets } = await activeBooklets(t.ctx, funder, { bookletCount: '2', vouchersPerBooklet: '10' });
    const { provider, place } = await createPublicPlace(t.ctx, {}, { services: [{ priceCents: 1000 }] });
    const codes = booklets.flatMap((b) => b.codes).slice(0, 12);
    for (const code of codes) {
      const { outcome } = await redeemVouchers(t.ctx, recorderOf(provider), redemptionInput(t.ctx, place.id, [code]));
      expect(outcome.ok).toBe(true);
    }
    // One connection: the statements prepared on it are those the redemptions ran.
    const { rows } = await sql<{ statement: string; generic_plans: string | number; custom_plans: string | number }>`
      select statement, generic_plans, custom_plans from pg_prepared_statements where statement like '/* prepared%'`.execute(t.ctx.db);
    const plans = (start: string) => {
      const row = rows.find((r) => r.statement.replace(/\s+/gu, ' ').includes(start));
      if (!row) throw new Error(`no prepared statement starting with ${start}`);
      return { generic: Number(row.generic_plans), custom: Number(row.custom_plans) };
    };
    // The facts (keys claimed, vouchers locked), then the write (business rows, ledger entries).
    expect(plans('with req as')).toEqual({ generic: codes.length - 5, custom: 5 });
    expect(plans('with redemption as (')).toEqual({ generic: codes.length - 5, custom: 5 });
  });
});
