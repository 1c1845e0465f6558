import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PayoutStatus } from '../../src/db/schema.js';
import { postPayout } from '../../src/domains/ledger/money-events.js';
import { loadTransparency } from '../../src/domains/transparency/transparency.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { redeemEach } from '../support/export-fixtures.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder } from '../support/voucher-fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => t.close());

let statements = 0;

/** A month's settlement as the settlement writes it: the settlement, a payout per provider, a line per redemption. */
async function settle(month: string, payouts: { providerId: string; territory: string; redemptions: string[]; status: PayoutStatus; retries?: string }[]) {
  const now = t.clock.now();
  const settlement = await t.ctx.db
    .insertInto('settlements')
    .values({
      month,
      platform_fee_bp: 300,
      fund_fee_bp: 100,
      scans_until: now,
      subscription_monthly_cents: 700,
      subscription_yearly_cents: 7700,
      vat_bp: 2000,
      status: 'done',
      started_at: now,
      completed_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids: string[] = [];
  for (const payout of payouts) {
    const gross = payout.redemptions.length * 1000;
    const platformFee = payout.redemptions.length * 30;
    const fundFee = payout.redemptions.length * 10;
    const carried = payout.retries ? 960 : 0;
    const statementNumber = `R-2026-${String(++statements).padStart(6, '0')}`;
    const row = await t.ctx.db
      .insertInto('payouts')
      .values({
        settlement_id: settlement.id,
        provider_id: payout.providerId,
        statement_number: statementNumber,
        gross_cents: gross,
        platform_fee_cents: platformFee,
        fund_fee_cents: fundFee,
        subscription_cents: 0,
        carried_in_cents: carried,
        net_cents: gross - platformFee - fundFee + carried,
        end_to_end_id: statementNumber,
        status: payout.status,
        retries_payout_id: payout.retries ?? null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
    if (payout.redemptions.length > 0) {
      await t.ctx.db
        .insertInto('payout_lines')
        .values(payout.redemptions.map((id) => ({ redemption_id: id, payout_id: row.id, gross_cents: 1000, platform_fee_cents: 30, fund_fee_cents: 10, territory: payout.territory })))
        .execute();
      await t.ctx.db.transaction().execute((trx) =>
        postPayout(
          trx,
          {
            statementNumber,
            providerId: payout.providerId,
            grossCents: gross,
            platformFeeCents: platformFee,
            fundFeeByTerritory: new Map([[payout.territory, fundFee]]),
            subscriptionCents: 0,
            carriedInCents: 0,
            netCents: gross - platformFee - fundFee,
          },
          `${month.slice(0, 8)}28`,
          now,
        ),
      );
    }
  }
  return ids;
}

/** March 2026: three vouchers used in Bordeaux (paid), one in Paris (its transfer rejected, then retried in April). */
async function marchInTwoDepartements(retryStatus: PayoutStatus) {
  const funder = await createFunder(t.ctx);
  const { booklets } = await activeBooklets(t.ctx, funder);
  const bordeaux = await createPublicPlace(t.ctx);
  const paris = await createPublicPlace(t.ctx, { name: 'Espace Paris 11', postcode: '75011', inseeCode: '75111', latitude: 48.859, longitude: 2.38 });
  const codes = booklets.flatMap((b) => b.codes);
  const inBordeaux = await redeemEach(t.ctx, bordeaux, codes.slice(0, 3));
  const inParis = await redeemEach(t.ctx, paris, codes.slice(3, 4));
  const [, rejected] = await settle('2026-03-01', [
    { providerId: bordeaux.provider.organisation.id, territory: '33', redemptions: inBordeaux, status: 'settled' },
    { providerId: paris.provider.organisation.id, territory: '75', redemptions: inParis, status: 'rejected' },
  ]);
  const [retry] = await settle('2026-04-01', [{ providerId: paris.provider.organisation.id, territory: '75', redemptions: [], status: retryStatus, retries: rejected! }]);
  return { retry: retry! };
}

describe('the transparency figures', () => {
  it('count vouchers by month and département, what was paid once the transfer is settled, the fees and the funds', async () => {
    await marchInTwoDepartements('sent');
    const report = await loadTransparency(t.ctx.db, '2026-04-15');
    expect(report.from).toBe('2024-05');
    expect(report.to).toBe('2026-04');
    expect(report.rows).toEqual([
      { month: '2026-03', territory: '33', territoryName: 'Gironde', vouchersUsed: 3, vouchersCents: 3000, paidToPlacesCents: 2880, platformFeeCents: 90, fundFeeCents: 30 },
      // The retry of the rejected transfer is not settled yet: nothing paid in Paris so far.
      { month: '2026-03', territory: '75', territoryName: 'Paris', vouchersUsed: 1, vouchersCents: 1000, paidToPlacesCents: 0, platformFeeCents: 30, fundFeeCents: 10 },
    ]);
    expect(report.totals).toEqual({ vouchersUsed: 4, vouchersCents: 4000, paidToPlacesCents: 2880, platformFeeCents: 120, fundFeeCents: 40 });
    expect(report.funds).toEqual([
      { territory: '33', territoryName: 'Gironde', balanceCents: 30 },
      { territory: '75', territoryName: 'Paris', balanceCents: 10 },
    ]);
    // Outside the window, nothing.
    expect((await loadTransparency(t.ctx.db, '2028-04-15')).rows).toEqual([]);
  });

  it('count a rejected transfer as paid once the payout that retried it is settled', async () => {
    await marchInTwoDepartements('settled');
    const report = await loadTransparency(t.ctx.db, '2026-04-15');
    expect(report.rows.find((row) => row.territory === '75')).toMatchObject({ paidToPlacesCents: 960 });
    expect(report.totals.paidToPlacesCents).toBe(2880 + 960);
  });
});

describe('/transparence and /api/v1/transparency', () => {
  it('refuses unknown parameters on the API', async () => {
    const response = await t.app.inject({ url: '/api/v1/transparency?mois=3' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('explains the fees with the rates in force and shows the figures to anyone, in accessible tables', async () => {
    const empty = await t.app.inject({ url: '/transparence' });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('Aucun chèque n’a été utilisé');
    expect(empty.body).toContain('Aucun fonds territorial');

    const { retry } = await marchInTwoDepartements('sent');
    // Figures are kept a few minutes: the page still shows the empty state, then the new figures.
    expect((await t.app.inject({ url: '/transparence' })).body).toContain('Aucun chèque n’a été utilisé');
    t.clock.advanceMinutes(6);
    const page = await t.app.inject({ url: '/transparence' });
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toContain('<h1>Transparence financière</h1>');
    expect(body).toContain('<strong>4 %</strong> de frais');
    expect(body).toContain('<strong>3 %</strong> pour la plateforme');
    expect(body).toContain('<strong>1 %</strong> pour le <strong>fonds territorial');
    expect(body).toContain('Pour un chèque de 10 €, le lieu reçoit 9,60 € ; 0,30 € vont à la plateforme et 0,10 € au fonds territorial.');
    expect(body).toMatch(/<caption>Chèques utilisés, sommes versées aux lieux et frais, d’avril 2024 à mars 2026/);
    expect(body).toContain('<th scope="col">Versé aux lieux</th>');
    expect(body).toContain('<tr><th scope="row">mars 2026</th><td>Gironde (33)</td><td>3</td><td>30 €</td><td>28,80 €</td><td>0,90 €</td><td>0,30 €</td></tr>');
    expect(body).toContain('<tr><th scope="row">mars 2026</th><td>Paris (75)</td><td>1</td><td>10 €</td><td>0 €</td><td>0,30 €</td><td>0,10 €</td></tr>');
    expect(body).toContain('<tfoot><tr><th scope="row" colspan="2">Total</th><td>4</td><td>40 €</td><td>28,80 €</td><td>1,20 €</td><td>0,40 €</td></tr></tfoot>');
    expect(body).toContain('<tr><th scope="row">Gironde (33)</th><td>0,30 €</td></tr>');
    expect(body).toContain('<a href="/transparence">Transparence financière</a>');

    await t.ctx.db.updateTable('payouts').set({ status: 'settled' }).where('id', '=', retry).execute();
    t.clock.advanceMinutes(6);
    const api = await t.app.inject({ url: '/api/v1/transparency' });
    expect(api.statusCode).toBe(200);
    const json = api.json();
    expect(json.rates).toEqual({ platformFeeBp: 300, fundFeeBp: 100 });
    expect(json.months).toHaveLength(2);
    expect(json.months[1]).toEqual({ month: '2026-03', territory: '75', territoryName: 'Paris', vouchersUsed: 1, vouchersCents: 1000, paidToPlacesCents: 960, platformFeeCents: 30, fundFeeCents: 10 });
    expect(json.territorialFunds).toEqual([
      { territory: '33', territoryName: 'Gironde', balanceCents: 30 },
      { territory: '75', territoryName: 'Paris', balanceCents: 10 },
    ]);
    const openapi = (await t.app.inject({ url: '/api/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toContain('/api/v1/transparency');
  });
});

describe('/transparence with other rates', () => {
  it('shows the rates of the configuration', async () => {
    const other = await createTestApp({ money: { ...t.ctx.config.money, platformFeeBp: 250, fundFeeBp: 125 } });
    try {
      const body = (await other.app.inject({ url: '/transparence' })).body;
      expect(body).toContain('<strong>3,75 %</strong> de frais');
      expect(body).toContain('<strong>2,5 %</strong> pour la plateforme');
      expect(body).toContain('<strong>1,25 %</strong> pour le <strong>fonds territorial');
      expect((await other.app.inject({ url: '/api/v1/transparency' })).json().rates).toEqual({ platformFeeBp: 250, fundFeeBp: 125 });
    } finally {
      await other.close();
    }
  });
});
