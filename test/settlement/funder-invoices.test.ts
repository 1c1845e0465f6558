import { expectSoundLedger } from '../support/ledger.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domains/actor.js';
import { DomainError } from '../../src/domains/errors.js';
import { issueFunderInvoices, listFunderInvoices, loadFunderInvoice, recordFunderPayment } from '../../src/domains/settlement/funder-invoices.js';
import { funderMonthlyStatement } from '../../src/domains/settlement/statements.js';
import { allocateBooklets, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import { issueOrder } from '../../src/domains/vouchers/issue-vouchers.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { buildMoneyWorld, moveClock, type MoneyWorld } from '../support/payout-fixtures.js';
import { bookletsOf, createFunder, createOperator, orderInput } from '../support/voucher-fixtures.js';

let t: TestContext;
let world: MoneyWorld;
let operator: Actor;
beforeEach(async () => {
  t = await createTestContext();
  world = await buildMoneyWorld(t);
  operator = (await createOperator(t.ctx)).actor;
});
afterEach(async () => t.close());

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
}

async function invoicesOf(month: string) {
  return t.ctx.db.selectFrom('funder_invoices').select(['funder_id', 'number', 'amount_cents']).where('month', '=', month).orderBy('number').execute();
}

/** Scans of March close at the end of 5 April, Paris time (grace day 5): 22:00 UTC. */
const MARCH_CLOSED = '2026-04-05T22:00:00Z';

describe('issuing the invoices of a month', () => {
  it('waits for the month’s scans to close', async () => {
    moveClock(t.clock, '2026-04-05T21:59:00Z');
    await rejects(issueFunderInvoices(t.ctx, '2026-03'), 'settlement_month_not_over');
    await rejects(issueFunderInvoices(t.ctx, '2026-3'), 'settlement_month_invalid');
    expect(await invoicesOf('2026-03-01')).toEqual([]);
    moveClock(t.clock, MARCH_CLOSED);
    expect((await issueFunderInvoices(t.ctx, '2026-03')).issued).toHaveLength(2);
  });

  it('invoices each funder billed on use for its vouchers used, once, with gapless numbers', async () => {
    moveClock(t.clock, MARCH_CLOSED);
    const first = await issueFunderInvoices(t.ctx, '2026-03');
    expect(first.month).toBe('2026-03-01');
    expect(first.alreadyIssued).toBe(0);
    const byFunder = new Map(first.issued.map((invoice) => [invoice.funderId, invoice]));
    // A: 10 € (10 March) + 20 € (20 March, two orders) + 10 € (31 March, scanned on 3 April, within the grace day).
    expect(byFunder.get(world.funderA.funder.id)).toMatchObject({ amountCents: 4000, vouchers: 4 });
    expect(byFunder.get(world.funderB.funder.id)).toMatchObject({ amountCents: 1000, vouchers: 1 });
    expect(first.issued.map((invoice) => invoice.number).sort()).toEqual(['FU-2026-000001', 'FU-2026-000002']);

    const again = await issueFunderInvoices(t.ctx, '2026-03');
    expect(again).toEqual({ month: '2026-03-01', issued: [], alreadyIssued: 2 });
    expect(await invoicesOf('2026-03-01')).toHaveLength(2);

    const audit = await t.ctx.db.selectFrom('audit_events').select('subject_id').where('action', '=', 'funder_invoice.issued').execute();
    expect(audit.map((row) => row.subject_id).sort()).toEqual(first.issued.map((invoice) => invoice.id).sort());
    expect((await funderMonthlyStatement(t.ctx, world.funderA.funder.id, '2026-03')).invoice).toMatchObject({ number: byFunder.get(world.funderA.funder.id)!.number, amountCents: 4000 });
  });

  it('leaves prepaid orders out', async () => {
    // A prepaid order, paid and issued on 2 March, used on 28 March.
    moveClock(t.clock, '2026-03-02T10:00:00Z');
    const funder = await createFunder(t.ctx);
    const draft = await saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput({ fundingMode: 'prepaid' }));
    await confirmOrder(t.ctx, funder.funderActor, funder.funder.id, draft.id);
    await commitOrder(t.ctx, operator, { orderId: draft.id, reference: 'VIR-42', by: { kind: 'operator' } });
    await issueOrder(t.ctx, operator, { orderId: draft.id });
    await allocateBooklets(t.ctx, funder.funderActor, { funderId: funder.funder.id, orderId: draft.id, distributorId: funder.distributor.id, count: 2 });
    const booklets = await bookletsOf(t.ctx, draft.id);
    await handOutBooklet(t.ctx, funder.distributorActor, { distributorId: funder.distributor.id, number: booklets[0]!.number });
    moveClock(t.clock, '2026-03-28T10:00:00Z');
    await world.redeem(world.merignac, [booklets[0]!.codes[0]!], '2026-03-28');

    moveClock(t.clock, MARCH_CLOSED);
    const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
    expect(issued.map((invoice) => invoice.funderId).sort()).toEqual([world.funderA.funder.id, world.funderB.funder.id].sort());
    expect((await funderMonthlyStatement(t.ctx, funder.funder.id, '2026-03')).totals.amountCents).toBe(1000);
  });

  it('puts a service scanned after the grace day on the next month’s invoice, and never changes an issued one', async () => {
    moveClock(t.clock, MARCH_CLOSED);
    const march = await issueFunderInvoices(t.ctx, '2026-03');
    const marchA = march.issued.find((invoice) => invoice.funderId === world.funderA.funder.id)!;

    // 20 April: a service of 31 March, scanned late (allowed until the end of April).
    moveClock(t.clock, '2026-04-20T08:00:00Z');
    await world.redeem(world.lac, [world.code(world.a2, 2)], '2026-03-31');
    expect((await loadFunderInvoice(t.ctx, marchA.id)).totalCents).toBe(4000);

    moveClock(t.clock, '2026-05-05T22:00:00Z');
    const april = await issueFunderInvoices(t.ctx, '2026-04');
    // A: the service of 3 April and the late one of 31 March; B used nothing.
    expect(april.issued).toEqual([expect.objectContaining({ funderId: world.funderA.funder.id, amountCents: 2000, vouchers: 2, number: 'FU-2026-000003' })]);
    const document = await loadFunderInvoice(t.ctx, april.issued[0]!.id, world.funderA.funder.id);
    expect(document.lines).toEqual([expect.objectContaining({ orderNumber: expect.stringMatching(/^CMD-/u), vouchers: 2, unitCents: 1000, amountCents: 2000, commitmentReference: 'EJ-2026-001' })]);
  });

  it('issues each invoice once when two runs race', async () => {
    moveClock(t.clock, MARCH_CLOSED);
    const runs = await Promise.all([issueFunderInvoices(t.ctx, '2026-03'), issueFunderInvoices(t.ctx, '2026-03')]);
    expect(runs.map((run) => run.issued.length).sort()).toEqual([0, 2]);
    expect((await invoicesOf('2026-03-01')).map((row) => row.number)).toEqual(['FU-2026-000001', 'FU-2026-000002']);
    const counter = await t.ctx.db.selectFrom('document_counters').select('last_number').where('series', '=', 'funder_invoice').executeTakeFirstOrThrow();
    expect(counter.last_number).toBe(2);
  });
});

describe('an invoice', () => {
  it('lists its vouchers by order, for its funder only', async () => {
    moveClock(t.clock, MARCH_CLOSED);
    const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
    const invoiceA = issued.find((invoice) => invoice.funderId === world.funderA.funder.id)!;
    const document = await loadFunderInvoice(t.ctx, invoiceA.id, world.funderA.funder.id);
    expect(document).toMatchObject({ number: invoiceA.number, month: '2026-03-01', issuedOn: '2026-04-06', totalCents: 4000, paid: null, funder: { id: world.funderA.funder.id } });
    expect(document.scansUntil.toISOString()).toBe('2026-04-05T22:00:00.000Z');
    expect(document.lines.map((line) => [line.vouchers, line.amountCents])).toEqual([
      [3, 3000],
      [1, 1000],
    ]);
    await rejects(loadFunderInvoice(t.ctx, invoiceA.id, world.funderB.funder.id), 'funder_invoice_unknown');
    await rejects(loadFunderInvoice(t.ctx, 'nope'), 'funder_invoice_unknown');
  });
});

describe('recording a funder’s payment', () => {
  it('posts the payment to the ledger once, with the bank reference in the journal', async () => {
    moveClock(t.clock, MARCH_CLOSED);
    const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
    const invoice = issued.find((i) => i.funderId === world.funderA.funder.id)!;
    moveClock(t.clock, '2026-04-20T09:00:00Z');

    await rejects(recordFunderPayment(t.ctx, operator, invoice.id, '   '), 'funder_payment_reference_required');
    await rejects(recordFunderPayment(t.ctx, operator, invoice.id, 'x'.repeat(101)), 'funder_payment_reference_required');
    await rejects(recordFunderPayment(t.ctx, operator, '00000000-0000-4000-8000-000000000000', 'VIR-1'), 'funder_invoice_unknown');

    const paid = await recordFunderPayment(t.ctx, operator, invoice.id, ' VIR-2026-0415 ');
    expect(paid).toMatchObject({ invoiceId: invoice.id, number: invoice.number, amountCents: 4000 });
    const entry = await t.ctx.db.selectFrom('journal_entries').selectAll().where('seq', '=', paid.entrySeq).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ journal: 'BQ', kind: 'funder_payment', piece_ref: invoice.number, booked_on: '2026-04-20' });
    const postings = await t.ctx.db
      .selectFrom('postings')
      .innerJoin('ledger_accounts', 'ledger_accounts.id', 'postings.account_id')
      .select(['ledger_accounts.kind', 'ledger_accounts.organisation_id', 'postings.amount_cents'])
      .where('postings.entry_seq', '=', paid.entrySeq)
      .orderBy('postings.line')
      .execute();
    expect(postings).toEqual([
      { kind: 'bank', organisation_id: null, amount_cents: 4000 },
      { kind: 'funder_balance', organisation_id: world.funderA.funder.id, amount_cents: -4000 },
    ]);

    await rejects(recordFunderPayment(t.ctx, operator, invoice.id, 'VIR-2026-0415'), 'funder_invoice_already_paid');
    const invoices = await listFunderInvoices(t.ctx, world.funderA.funder.id);
    expect(invoices).toEqual([{ id: invoice.id, number: invoice.number, month: '2026-03-01', amountCents: 4000, issuedOn: '2026-04-06', paid: { on: '2026-04-20', reference: 'VIR-2026-0415' } }]);
    expect((await loadFunderInvoice(t.ctx, invoice.id)).paid).toEqual({ on: '2026-04-20', reference: 'VIR-2026-0415' });
    await expectSoundLedger(t.ctx);
  });

  it('records one payment when two operators record it at once', async () => {
    moveClock(t.clock, MARCH_CLOSED);
    const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
    const invoice = issued[0]!;
    const outcomes = await Promise.allSettled([recordFunderPayment(t.ctx, operator, invoice.id, 'VIR-A'), recordFunderPayment(t.ctx, operator, invoice.id, 'VIR-B')]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const failure = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((failure.reason as DomainError).code).toBe('funder_invoice_already_paid');
    const entries = await t.ctx.db.selectFrom('journal_entries').select('seq').where('kind', '=', 'funder_payment').where('piece_ref', '=', invoice.number).execute();
    expect(entries).toHaveLength(1);
  });
});
