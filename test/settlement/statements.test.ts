import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { DomainError } from '../../src/domains/errors.js';
import { issueFunderInvoices } from '../../src/domains/settlement/funder-invoices.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import {
  funderMonthlyStatement,
  listFunderStatementMonths,
  listProviderPayouts,
  loadStatement,
  maskIban,
  nextTransfer,
  parseMonth,
  transferDateFor,
} from '../../src/domains/settlement/statements.js';
import { formatVoucherSerial } from '../../src/domains/vouchers/codes.js';
import { renderStatement } from '../../src/print/statement.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { buildMoneyWorld, insertCarriedSubscription, insertSettledMonth, markRejected, moveClock, type MoneyWorld } from '../support/payout-fixtures.js';

let t: TestContext;
let world: MoneyWorld;
/** The world of payout-fixtures.ts, fresh for each test of the describe blocks that call it. */
function withMoneyWorld(): void {
  beforeEach(async () => {
    t = await createTestContext();
    world = await buildMoneyWorld(t);
  });
  afterEach(async () => t.close());
}

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
}

/** The printed serials of vouchers, by their booklet number and position as printed. */
async function serialsOf(redemptionId: string): Promise<string[]> {
  const rows = await t.ctx.db
    .selectFrom('vouchers')
    .innerJoin('booklets', 'booklets.id', 'vouchers.booklet_id')
    .select(['booklets.number', 'vouchers.position'])
    .where('vouchers.redemption_id', '=', redemptionId)
    .orderBy('booklets.number')
    .orderBy('vouchers.position')
    .execute();
  return rows.map((row) => formatVoucherSerial(row.number, row.position));
}

describe('helpers', () => {
  it('parses months, dates the transfer and masks IBANs', () => {
    expect(parseMonth('2026-03')).toBe('2026-03-01');
    expect(parseMonth('2026-12-01')).toBe('2026-12-01');
    for (const bad of ['2026-13', '2026-3', 'mars', '2026-03-02', '1999-01']) expect(() => parseMonth(bad)).toThrow(DomainError);
    // The payout day of the next month, never before the run, never on a week-end (10 May 2026 is a Sunday).
    expect(transferDateFor('2026-03-01', 10, new Date('2026-04-06T07:00:00Z'))).toBe('2026-04-10');
    expect(transferDateFor('2026-04-01', 10, new Date('2026-05-06T07:00:00Z'))).toBe('2026-05-11');
    expect(transferDateFor('2026-03-01', 10, new Date('2026-04-15T07:00:00Z'))).toBe('2026-04-15');
    expect(maskIban('FR1420041010050500013M02606')).toBe('**** **** **** **** **** ***2 606');
    expect(maskIban('FR14 2004 1010 0505 0001 3M02 606')).toBe('**** **** **** **** **** ***2 606');
    expect(maskIban(null)).toBeNull();
  });
});

describe('a provider statement', () => {
  withMoneyWorld();

  it('lists every service and voucher paid, with the totals, rates and transfer of the payout', async () => {
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const { payouts } = await insertSettledMonth(t.ctx, '2026-03-01', {
      subscriptions: [{ providerId: world.lac.provider.organisation.id, excludingVatCents: 700, vatCents: 140 }],
    });
    const lacPayout = payouts.find((p) => p.providerId === world.lac.provider.organisation.id)!;
    const statement = await loadStatement(t.ctx, lacPayout.id, world.lac.provider.organisation.id);

    expect(statement.statementNumber).toBe(lacPayout.statementNumber);
    expect(statement.statementNumber).toMatch(/^R-2026-\d{6}$/u);
    expect(statement.month).toBe('2026-03-01');
    expect(statement.issuedOn).toBe('2026-04-06');
    expect(statement.provider).toMatchObject({ name: world.lac.provider.organisation.name, siret: '35600000000048', address: '1 place de la Mairie, 33000 Bordeaux' });
    expect(statement.platform).toEqual(t.ctx.config.platform);
    expect(statement.rates).toEqual({ platformFeeBp: 300, fundFeeBp: 100 });
    expect(statement.transfer).toMatchObject({
      netCents: 3000,
      ibanMasked: '**** **** **** **** **** ***2 606',
      accountHolder: 'Association Médiathèque du Lac',
      status: 'file_generated',
      requestedOn: '2026-04-10',
      rejectedReason: null,
    });
    expect(statement.totals).toEqual({
      redemptions: 3,
      vouchers: 4,
      grossCents: 4000,
      platformFeeCents: 120,
      fundFeeCents: 40,
      subscriptionCents: 840,
      subscriptionInvoices: ['A-2026-000001'],
      carriedInCents: 0,
      carriedFrom: null,
      netCents: 3000,
    });
    const { r1, r2, r4 } = world.redemptions;
    expect(statement.lines).toEqual([
      { serviceDate: '2026-03-10', placeName: 'Médiathèque du Lac', commune: 'Bordeaux', serviceCode: 'M01', serviceLabel: expect.any(String), voucherCount: 1, vouchers: await serialsOf(r1), grossCents: 1000, platformFeeCents: 30, fundFeeCents: 10 },
      { serviceDate: '2026-03-20', placeName: 'Médiathèque du Lac', commune: 'Bordeaux', serviceCode: 'M01', serviceLabel: expect.any(String), voucherCount: 2, vouchers: await serialsOf(r2), grossCents: 2000, platformFeeCents: 60, fundFeeCents: 20 },
      { serviceDate: '2026-03-31', placeName: 'Médiathèque du Lac', commune: 'Bordeaux', serviceCode: 'M01', serviceLabel: expect.any(String), voucherCount: 1, vouchers: await serialsOf(r4), grossCents: 1000, platformFeeCents: 30, fundFeeCents: 10 },
    ]);
    expect(statement.lines[1]!.vouchers).toHaveLength(2);
    expect(statement.lines[0]!.serviceLabel).not.toBe('M01');
    // The lines add up to the payout, to the cent.
    const sum = statement.lines.reduce((s, l) => ({ gross: s.gross + l.grossCents, fees: s.fees + l.platformFeeCents + l.fundFeeCents }), { gross: 0, fees: 0 });
    expect(sum).toEqual({ gross: statement.totals.grossCents, fees: statement.totals.platformFeeCents + statement.totals.fundFeeCents });
  });

  it('is another provider’s business: payout_unknown, as for a payout that does not exist', async () => {
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const { payouts } = await insertSettledMonth(t.ctx, '2026-03-01');
    const merignacPayout = payouts.find((p) => p.providerId === world.merignac.provider.organisation.id)!;
    await rejects(loadStatement(t.ctx, merignacPayout.id, world.lac.provider.organisation.id), 'payout_unknown');
    await rejects(loadStatement(t.ctx, '00000000-0000-4000-8000-000000000000'), 'payout_unknown');
    await rejects(loadStatement(t.ctx, 'not-a-uuid'), 'payout_unknown');
    // The operator (no provider given) reads any.
    expect((await loadStatement(t.ctx, merignacPayout.id)).provider.id).toBe(world.merignac.provider.organisation.id);
  });

  it('without a batch yet, gives the payout day as the requested date', async () => {
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const { payouts } = await insertSettledMonth(t.ctx, '2026-03-01', { batch: false });
    const statement = await loadStatement(t.ctx, payouts[0]!.id);
    expect(statement.transfer).toMatchObject({ status: 'pending', requestedOn: '2026-04-10' });
  });

  it('shows a rejected payout paid again, and lists payouts the latest first', async () => {
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const march = await insertSettledMonth(t.ctx, '2026-03-01');
    const merignacId = world.merignac.provider.organisation.id;
    const rejected = march.payouts.find((p) => p.providerId === merignacId)!;
    await markRejected(t.ctx, rejected.id);
    moveClock(t.clock, '2026-05-06T07:00:00Z');
    const april = await insertSettledMonth(t.ctx, '2026-04-01', { retries: [{ payoutId: rejected.id, providerId: merignacId, cents: rejected.netCents }] });
    const retry = april.payouts.find((p) => p.providerId === merignacId)!;
    const statement = await loadStatement(t.ctx, retry.id, merignacId);
    expect(statement.lines).toEqual([]);
    expect(statement.totals).toMatchObject({ grossCents: 0, carriedInCents: 960, carriedFrom: rejected.statementNumber, netCents: 960 });
    expect(statement.transfer.requestedOn).toBe('2026-05-11');

    const list = await listProviderPayouts(t.ctx, merignacId);
    expect(list.map((p) => [p.month, p.statementNumber, p.status, p.netCents])).toEqual([
      ['2026-04-01', retry.statementNumber, 'file_generated', 960],
      ['2026-03-01', rejected.statementNumber, 'rejected', 960],
    ]);
    expect(list[1]!.rejectedReason).toBe('Compte clos (AC04)');
    expect(await listProviderPayouts(t.ctx, world.funderA.funder.id)).toEqual([]);
  });

  it('numbers statements without gaps, one per provider and month', async () => {
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const march = await insertSettledMonth(t.ctx, '2026-03-01');
    moveClock(t.clock, '2026-05-06T07:00:00Z');
    const april = await insertSettledMonth(t.ctx, '2026-04-01');
    const numbers = [...march.payouts, ...april.payouts].map((p) => p.statementNumber);
    expect(numbers).toEqual(numbers.map((_, i) => `R-2026-${String(i + 1).padStart(6, '0')}`));
  });
});

describe('the next transfer', () => {
  withMoneyWorld();

  it('before last month is settled: the payout day of this month, for last month’s unpaid services', async () => {
    const lac = world.lac.provider.organisation.id;
    const next = await nextTransfer(t.ctx, lac, t.clock.now());
    // 10 + 20 + 10 € of March; the service of 3 April waits for May.
    expect(next).toEqual({
      expectedOn: '2026-04-10',
      month: '2026-03-01',
      redemptions: 3,
      grossCents: 4000,
      feesCents: 160,
      carriedInCents: 0,
      subscriptionCents: 0,
      subscriptionInvoices: [],
      subscriptionCarriedOverCents: 0,
      netCents: 3840,
    });
  });

  it('once last month is settled: next month’s transfer, less the subscription invoices it covers, the others carried over', async () => {
    const lac = world.lac.provider.organisation.id;
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    await insertSettledMonth(t.ctx, '2026-03-01');
    // 10 May 2026 is a Sunday: the transfer is asked for Monday the 11th.
    expect(await nextTransfer(t.ctx, lac, t.clock.now())).toMatchObject({ expectedOn: '2026-05-11', month: '2026-04-01', redemptions: 1, grossCents: 1000, feesCents: 40, netCents: 960 });

    const first = await insertCarriedSubscription(t.ctx, lac, '2026-04-01');
    expect(await nextTransfer(t.ctx, lac, t.clock.now())).toMatchObject({ subscriptionCents: 840, subscriptionInvoices: [first], subscriptionCarriedOverCents: 0, netCents: 120 });
    await insertCarriedSubscription(t.ctx, lac, '2026-05-01');
    expect(await nextTransfer(t.ctx, lac, t.clock.now())).toMatchObject({ subscriptionCents: 840, subscriptionInvoices: [first], subscriptionCarriedOverCents: 840, netCents: 120 });

    // Nothing to pay: the invoice waits, the amount never goes below zero.
    const merignac = world.merignac.provider.organisation.id;
    await insertCarriedSubscription(t.ctx, merignac, '2026-04-01');
    expect(await nextTransfer(t.ctx, merignac, t.clock.now())).toMatchObject({ grossCents: 0, subscriptionCents: 0, subscriptionInvoices: [], subscriptionCarriedOverCents: 840, netCents: 0 });
  });

  it('adds a rejected payout until a later payout pays it again', async () => {
    const merignac = world.merignac.provider.organisation.id;
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const march = await insertSettledMonth(t.ctx, '2026-03-01');
    const rejected = march.payouts.find((p) => p.providerId === merignac)!;
    expect(await nextTransfer(t.ctx, merignac, t.clock.now())).toMatchObject({ carriedInCents: 0, netCents: 0 });
    await markRejected(t.ctx, rejected.id);
    expect(await nextTransfer(t.ctx, merignac, t.clock.now())).toMatchObject({ carriedInCents: 960, netCents: 960 });
    moveClock(t.clock, '2026-05-06T07:00:00Z');
    await insertSettledMonth(t.ctx, '2026-04-01', { retries: [{ payoutId: rejected.id, providerId: merignac, cents: rejected.netCents }] });
    expect(await nextTransfer(t.ctx, merignac, t.clock.now())).toMatchObject({ expectedOn: '2026-06-10', carriedInCents: 0, netCents: 0 });
  });
});

describe('a funder’s month', () => {
  withMoneyWorld();

  it('gives what its vouchers paid, per order and per place and commune, counting a service once', async () => {
    const statement = await funderMonthlyStatement(t.ctx, world.funderA.funder.id, '2026-03');
    expect(statement.month).toBe('2026-03-01');
    expect(statement.funder.name).toBe(world.funderA.funder.name);
    expect(statement.totals).toEqual({ services: 3, vouchers: 4, amountCents: 4000 });
    expect(statement.byOrder).toEqual([
      { orderId: world.a1.order.id, orderNumber: expect.stringMatching(/^CMD-\d{6}$/u), label: world.a1.order.label, fundingMode: 'billed_on_use', vouchers: 3, amountCents: 3000 },
      { orderId: world.a2.order.id, orderNumber: expect.stringMatching(/^CMD-\d{6}$/u), label: world.a2.order.label, fundingMode: 'billed_on_use', vouchers: 1, amountCents: 1000 },
    ]);
    expect(statement.byPlace).toEqual([{ placeName: 'Médiathèque du Lac', commune: 'Bordeaux', postcode: '33300', services: 3, vouchers: 4, amountCents: 4000 }]);
    expect(statement.byCommune).toEqual([{ commune: 'Bordeaux', inseeCode: '33063', services: 3, vouchers: 4, amountCents: 4000 }]);
    expect(statement.invoice).toBeNull();

    const other = await funderMonthlyStatement(t.ctx, world.funderB.funder.id, '2026-03');
    expect(other.totals).toEqual({ services: 1, vouchers: 1, amountCents: 1000 });
    expect(other.byCommune).toEqual([{ commune: 'Mérignac', inseeCode: '33281', services: 1, vouchers: 1, amountCents: 1000 }]);

    const april = await funderMonthlyStatement(t.ctx, world.funderA.funder.id, '2026-04');
    expect(april.totals).toEqual({ services: 1, vouchers: 1, amountCents: 1000 });
    const empty = await funderMonthlyStatement(t.ctx, world.funderB.funder.id, '2026-04');
    expect(empty).toMatchObject({ totals: { services: 0, vouchers: 0, amountCents: 0 }, byOrder: [], byPlace: [], byCommune: [] });
  });

  it('refuses a month that is not one, and an organisation that is not a funder', async () => {
    await rejects(funderMonthlyStatement(t.ctx, world.funderA.funder.id, '2026-13'), 'settlement_month_invalid');
    await rejects(funderMonthlyStatement(t.ctx, world.lac.provider.organisation.id, '2026-03'), 'organisation_unknown');
  });

  it('lists the months its vouchers were used, the latest first', async () => {
    expect(await listFunderStatementMonths(t.ctx, world.funderA.funder.id)).toEqual([
      { month: '2026-04-01', services: 1, vouchers: 1, amountCents: 1000 },
      { month: '2026-03-01', services: 3, vouchers: 4, amountCents: 4000 },
    ]);
    expect(await listFunderStatementMonths(t.ctx, world.funderB.funder.id)).toEqual([{ month: '2026-03-01', services: 1, vouchers: 1, amountCents: 1000 }]);
  });
});

describe('after a real settlement (settleMonth)', () => {
  withMoneyWorld();

  it('reads back what the settlement paid: every line, the totals to the cent, the batch’s date', async () => {
    moveClock(t.clock, '2026-04-06T07:00:00Z');
    const { settlement } = await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    expect(settlement.status).toBe('done');
    const lacId = world.lac.provider.organisation.id;
    const [payout] = await listProviderPayouts(t.ctx, lacId);
    expect(payout).toMatchObject({ month: '2026-03-01', status: 'file_generated', requestedOn: '2026-04-10' });
    const statement = await loadStatement(t.ctx, payout!.id, lacId);
    const paidLines = await t.ctx.db.selectFrom('payout_lines').selectAll().where('payout_id', '=', payout!.id).execute();
    expect(statement.lines).toHaveLength(paidLines.length);
    expect(statement.lines.map((line) => line.serviceDate)).toEqual(['2026-03-10', '2026-03-20', '2026-03-31']);
    const sum = (pick: (line: (typeof statement.lines)[number]) => number) => statement.lines.reduce((total, line) => total + pick(line), 0);
    expect(statement.totals.grossCents).toBe(sum((line) => line.grossCents));
    expect(statement.totals.platformFeeCents).toBe(sum((line) => line.platformFeeCents));
    expect(statement.totals.fundFeeCents).toBe(sum((line) => line.fundFeeCents));
    expect(statement.totals.netCents).toBe(statement.totals.grossCents - statement.totals.platformFeeCents - statement.totals.fundFeeCents - statement.totals.subscriptionCents + statement.totals.carriedInCents);
    expect(statement.totals).toMatchObject({ grossCents: 4000, platformFeeCents: 120, fundFeeCents: 40 });
    expect(statement.transfer).toMatchObject({ status: 'file_generated', requestedOn: '2026-04-10', ibanMasked: '**** **** **** **** **** ***2 606' });
    expect((await renderStatement(statement)).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // The next transfer moves on to April, and the funders' invoices follow the settlement's window.
    expect(await nextTransfer(t.ctx, lacId, t.clock.now())).toMatchObject({ month: '2026-04-01', redemptions: 1, grossCents: 1000 });
    const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
    expect(issued.map((invoice) => invoice.amountCents).sort((a, b) => a - b)).toEqual([1000, 4000]);
  });
});
