import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashVoucherCode, parseBookletNumber, voucherKeys } from '../../src/domains/vouchers/codes.js';
import { issueOrder } from '../../src/domains/vouchers/issue-vouchers.js';
import { orderForm } from '../../src/domains/vouchers/order-model.js';
import { cancelOrder, commitOrder, confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { bookletsOf, createFunder, createOperator, issueTestOrder, orderInput, setClock, type TestFunder } from '../support/voucher-fixtures.js';

// One database for the file: each test has its own funders, and starts on 2 March 2026.
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());
beforeEach(() => setClock(t.clock, '2026-03-02T09:00:00Z'));

/** The last invoice number given in that year (0 before the first). */
async function lastInvoiceNumber(year: number): Promise<number> {
  const row = await t.ctx.db.selectFrom('document_counters').select('last_number').where('series', '=', 'invoice').where('year', '=', year).executeTakeFirst();
  return row?.last_number ?? 0;
}
const invoice = (year: number, number: number) => `F-${year}-${String(number).padStart(6, '0')}`;

const draft = (funder: TestFunder, form: Record<string, string | string[]> = {}) => saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput(form));
const confirm = (funder: TestFunder, orderId: string) => confirmOrder(t.ctx, funder.funderActor, funder.funder.id, orderId);
const commitByFunder = (funder: TestFunder, orderId: string) =>
  commitOrder(t.ctx, funder.funderActor, { orderId, reference: ' EJ-42 ', by: { kind: 'funder', funderId: funder.funder.id } });
const issue = (funder: TestFunder, orderId: string) => issueOrder(t.ctx, funder.funderActor, { orderId, funderId: funder.funder.id });

async function auditActions(subjectId: string) {
  const rows = await t.ctx.db.selectFrom('audit_events').select(['action', 'actor_user_id']).where('subject_id', '=', subjectId).orderBy('id').execute();
  return rows.map((row) => row.action);
}

describe('an order’s lifecycle', () => {
  it('goes from draft to confirmed, committed and issued, each step journaled', async () => {
    const funder = await createFunder(t.ctx);
    const order = await draft(funder, { label: 'Pass 2026', territory: '33063 33281' });
    expect(order).toMatchObject({ status: 'draft', funder_id: funder.funder.id, label: 'Pass 2026', territory: ['commune:33063', 'commune:33281'], invoice_number: null });
    t.clock.advanceMinutes(5);
    const confirmed = await confirm(funder, order.id);
    expect(confirmed).toMatchObject({ status: 'confirmed', confirmed_at: t.clock.now(), invoice_number: null });
    const committed = await commitByFunder(funder, order.id);
    expect(committed).toMatchObject({ status: 'committed', committed_at: t.clock.now(), commitment_reference: 'EJ-42' });
    const issued = await issue(funder, order.id);
    expect(issued).toMatchObject({ status: 'issued', issued_at: t.clock.now() });
    expect(await auditActions(order.id)).toEqual(['order.created', 'order.confirmed', 'order.committed', 'order.issued']);
  });

  it('replaces a draft’s content, and only while it is a draft', async () => {
    const funder = await createFunder(t.ctx);
    const order = await draft(funder);
    const edited = await saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput({ bookletCount: '7', territory: '33' }), order.id);
    expect(edited).toMatchObject({ id: order.id, booklet_count: 7, territory: ['departement:33'], status: 'draft' });
    await confirm(funder, order.id);
    await expect(saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput(), order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    expect(await auditActions(order.id)).toEqual(['order.created', 'order.updated', 'order.confirmed']);
  });

  it('refuses every step out of order', async () => {
    const funder = await createFunder(t.ctx);
    const order = await draft(funder);
    await expect(commitByFunder(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await expect(issue(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await confirm(funder, order.id);
    await expect(confirm(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await expect(issue(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await commitByFunder(funder, order.id);
    await expect(commitByFunder(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await expect(confirm(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await expect(cancelOrder(t.ctx, funder.funderActor, funder.funder.id, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await issue(funder, order.id);
    await expect(issue(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    await expect(cancelOrder(t.ctx, funder.funderActor, funder.funder.id, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    const row = await t.ctx.db.selectFrom('orders').select('status').where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('issued');
    expect(await auditActions(order.id)).toEqual(['order.created', 'order.confirmed', 'order.committed', 'order.issued']);
  });

  it('cancels a draft or a confirmed order, and nothing moves it afterwards', async () => {
    const funder = await createFunder(t.ctx);
    const first = await draft(funder);
    expect(await cancelOrder(t.ctx, funder.funderActor, funder.funder.id, first.id)).toMatchObject({ status: 'cancelled', cancelled_at: t.clock.now() });
    const second = await draft(funder);
    await confirm(funder, second.id);
    expect(await cancelOrder(t.ctx, funder.funderActor, funder.funder.id, second.id)).toMatchObject({ status: 'cancelled' });
    for (const id of [first.id, second.id]) {
      await expect(confirm(funder, id)).rejects.toMatchObject({ code: 'order_status_conflict' });
      await expect(commitByFunder(funder, id)).rejects.toMatchObject({ code: 'order_status_conflict' });
      await expect(issue(funder, id)).rejects.toMatchObject({ code: 'order_status_conflict' });
      await expect(cancelOrder(t.ctx, funder.funderActor, funder.funder.id, id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    }
    expect(await auditActions(second.id)).toEqual(['order.created', 'order.confirmed', 'order.cancelled']);
  });

  it('lets only the operator record a prepayment; the funder engages an order billed on use', async () => {
    const funder = await createFunder(t.ctx);
    const operator = await createOperator(t.ctx);
    const order = await draft(funder, { fundingMode: 'prepaid' });
    await confirm(funder, order.id);
    await expect(commitByFunder(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    const paid = await commitOrder(t.ctx, operator.actor, { orderId: order.id, reference: 'VIR-2026-03-0042', by: { kind: 'operator' } });
    expect(paid).toMatchObject({ status: 'committed', commitment_reference: 'VIR-2026-03-0042' });
    const issued = await issueOrder(t.ctx, operator.actor, { orderId: order.id });
    expect(issued.status).toBe('issued');
  });

  it('is unknown to another funder, whatever the step', async () => {
    const funder = await createFunder(t.ctx);
    const other = await createFunder(t.ctx);
    const order = await draft(funder);
    await expect(saveDraftOrder(t.ctx, other.funderActor, other.funder.id, orderInput(), order.id)).rejects.toMatchObject({ code: 'order_unknown' });
    await expect(confirm(other, order.id)).rejects.toMatchObject({ code: 'order_unknown' });
    await expect(cancelOrder(t.ctx, other.funderActor, other.funder.id, order.id)).rejects.toMatchObject({ code: 'order_unknown' });
    await confirm(funder, order.id);
    await expect(commitByFunder(other, order.id)).rejects.toMatchObject({ code: 'order_unknown' });
    await commitByFunder(funder, order.id);
    await expect(issue(other, order.id)).rejects.toMatchObject({ code: 'order_unknown' });
    await expect(confirm(funder, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'order_unknown' });
    await expect(confirm(funder, 'commande-42')).rejects.toMatchObject({ code: 'order_unknown' });
    await expect(issueOrder(t.ctx, funder.funderActor, { orderId: 'commande-42' })).rejects.toMatchObject({ code: 'order_unknown' });
    const row = await t.ctx.db.selectFrom('orders').select('status').where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('committed');
  });
});

describe('invoice numbers', () => {
  it('are given without gaps to prepaid orders when confirmed, per year, and never to orders billed on use', async () => {
    const funder = await createFunder(t.ctx);
    const prepaid1 = await draft(funder, { fundingMode: 'prepaid' });
    const billed = await draft(funder, { fundingMode: 'billed_on_use' });
    const prepaid2 = await draft(funder, { fundingMode: 'prepaid' });
    const prepaid3 = await draft(funder, { fundingMode: 'prepaid' });
    const last = await lastInvoiceNumber(2026);
    expect(await lastInvoiceNumber(2027)).toBe(0);
    expect((await confirm(funder, prepaid1.id)).invoice_number).toBe(invoice(2026, last + 1));
    expect((await confirm(funder, billed.id)).invoice_number).toBeNull();
    // A refused confirmation takes no number.
    await expect(confirm(funder, prepaid1.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    expect((await confirm(funder, prepaid2.id)).invoice_number).toBe(invoice(2026, last + 2));
    // The year is Paris's: 23:30 UTC on 31 December is already the new year.
    setClock(t.clock, '2026-12-31T23:30:00Z');
    expect((await confirm(funder, prepaid3.id)).invoice_number).toBe(invoice(2027, 1));
  });

  it('stay gapless and distinct when funders confirm at the same time', async () => {
    const funders = await Promise.all([createFunder(t.ctx), createFunder(t.ctx)]);
    const drafts: { funder: TestFunder; id: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const funder = funders[i % 2]!;
      drafts.push({ funder, id: (await draft(funder, { fundingMode: i % 3 === 2 ? 'billed_on_use' : 'prepaid' })).id });
    }
    const last = await lastInvoiceNumber(2026);
    const confirmed = await Promise.all(drafts.map(({ funder, id }) => confirm(funder, id)));
    const numbers = confirmed.flatMap((order) => (order.invoice_number === null ? [] : [order.invoice_number])).sort();
    expect(numbers).toEqual(Array.from({ length: 8 }, (_, i) => invoice(2026, last + i + 1)));
    expect(confirmed.filter((order) => order.funding_mode === 'billed_on_use').every((order) => order.invoice_number === null)).toBe(true);
  });
});

describe('the order form', () => {
  it('refuses an unknown territory code, naming the field', async () => {
    const funder = await createFunder(t.ctx);
    await expect(draft(funder, { territory: '33063 99999' })).rejects.toMatchObject({ code: 'order_territory_unknown', field: 'territory' });
    await expect(draft(funder, { territory: 'epci:123456789' })).rejects.toMatchObject({ code: 'order_territory_unknown', field: 'territory' });
    expect(await t.ctx.db.selectFrom('orders').select('id').where('funder_id', '=', funder.funder.id).execute()).toEqual([]);
  });

  it('refuses a service or a type of place the referentials do not know', async () => {
    const funder = await createFunder(t.ctx);
    await expect(draft(funder, { serviceCodes: ['M01', 'Z99'] })).rejects.toMatchObject({ code: 'order_service_unknown', field: 'serviceCodes' });
    await expect(draft(funder, { placeTypes: ['BIB', 'CASINO'] })).rejects.toMatchObject({ code: 'order_place_type_unknown', field: 'placeTypes' });
    const order = await draft(funder, { serviceCodes: ['M01', 'D01', 'M01'], serviceLevels: ['3', '1', '3'], placeTypes: ['EPN', 'BIB'] });
    expect(order).toMatchObject({ service_codes: ['D01', 'M01'], service_levels: [1, 3], place_types: ['BIB', 'EPN'] });
  });

  it('takes a validity of at most three years, not reversed, a year from today by default', async () => {
    const funder = await createFunder(t.ctx);
    expect(await draft(funder)).toMatchObject({ valid_from: '2026-03-02', valid_until: '2027-03-01' });
    expect(await draft(funder, { validFrom: '2026-06-01' })).toMatchObject({ valid_from: '2026-06-01', valid_until: '2027-05-31' });
    expect(await draft(funder, { validFrom: '2026-06-01', validUntil: '2026-06-01' })).toMatchObject({ valid_until: '2026-06-01' });
    expect(await draft(funder, { validFrom: '2026-06-01', validUntil: '2029-05-31' })).toMatchObject({ valid_until: '2029-05-31' });
    await expect(draft(funder, { validFrom: '2026-06-01', validUntil: '2029-06-01' })).rejects.toMatchObject({ code: 'order_validity_invalid', field: 'validUntil' });
    await expect(draft(funder, { validFrom: '2026-06-01', validUntil: '2026-05-31' })).rejects.toMatchObject({ code: 'order_validity_invalid', field: 'validUntil' });
    await expect(draft(funder, { validUntil: '2026-03-01' })).rejects.toMatchObject({ code: 'order_validity_invalid' });
  });

  it('always allows services in the place, and keeps the funder’s other choices', async () => {
    const funder = await createFunder(t.ctx);
    const order = await draft(funder, { deliveryModes: ['home'], holderShare: 'forbidden', activation: 'on_issue', faceValue: '12,50', vouchersPerBooklet: '10' });
    expect(order).toMatchObject({ delivery_modes: ['on_site', 'home'], holder_share_allowed: false, activation: 'on_issue', face_value_cents: 1250, vouchers_per_booklet: 10 });
    expect(await draft(funder)).toMatchObject({ delivery_modes: ['on_site'], holder_share_allowed: true, activation: 'on_hand_out', face_value_cents: 1000 });
  });

  it('refuses what the form cannot read', () => {
    const parse = (form: Record<string, string>) => orderForm.safeParse({ bookletCount: '2', vouchersPerBooklet: '5', fundingMode: 'prepaid', ...form }).success;
    expect(parse({})).toBe(true);
    expect(parse({ bookletCount: '0' })).toBe(false);
    expect(parse({ bookletCount: '20001' })).toBe(false);
    expect(parse({ vouchersPerBooklet: '7' })).toBe(false);
    expect(parse({ faceValue: '0,50' })).toBe(false);
    expect(parse({ faceValue: '101' })).toBe(false);
    expect(parse({ fundingMode: 'gratuit' })).toBe(false);
    expect(parse({ validFrom: '2026-02-30' })).toBe(false);
  });
});

describe('issuing an order', () => {
  it('creates its booklets and vouchers, each code stored only as a keyed hash and a sealed copy', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '3', vouchersPerBooklet: '10', faceValue: '15' });
    const booklets = await t.ctx.db.selectFrom('booklets').selectAll().where('order_id', '=', order.id).orderBy('position').execute();
    expect(booklets.map((b) => b.position)).toEqual([1, 2, 3]);
    expect(new Set(booklets.map((b) => b.number)).size).toBe(3);
    expect(booklets.every((b) => b.distributor_id === null && b.handed_out_at === null && b.cancelled_at === null)).toBe(true);
    const vouchers = await t.ctx.db.selectFrom('vouchers').selectAll().where('order_id', '=', order.id).execute();
    expect(vouchers).toHaveLength(30);
    expect(new Set(vouchers.map((v) => v.code_hash.toString('hex'))).size).toBe(30);
    expect(vouchers.every((v) => v.face_value_cents === 1500 && v.redemption_id === null)).toBe(true);
    for (const booklet of booklets) {
      expect(vouchers.filter((v) => v.booklet_id === booklet.id).map((v) => v.position).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    const printed = await bookletsOf(t.ctx, order.id);
    const keys = voucherKeys(t.ctx.config);
    const hashes = new Set(vouchers.map((v) => v.code_hash.toString('hex')));
    // Each booklet is printed under a number that reads back, check digit included, as its own.
    expect(printed.map((b) => parseBookletNumber(b.number))).toEqual(booklets.map((b) => b.number));
    for (const booklet of printed) {
      for (const code of booklet.codes) {
        expect(hashes.has(hashVoucherCode(keys, code).toString('hex'))).toBe(true);
        expect(vouchers.some((v) => v.code_sealed.includes(Buffer.from(code)))).toBe(false);
      }
    }
    expect(new Set(printed.flatMap((b) => b.codes)).size).toBe(30);
  });

  it('numbers booklets uniquely across orders', async () => {
    const funder = await createFunder(t.ctx);
    const other = await createFunder(t.ctx);
    const first = await issueTestOrder(t.ctx, funder, { bookletCount: '4' });
    const second = await issueTestOrder(t.ctx, other, { bookletCount: '3' });
    const numbers = [...(await bookletsOf(t.ctx, first.id)), ...(await bookletsOf(t.ctx, second.id))].map((b) => b.number);
    expect(new Set(numbers).size).toBe(7);
    for (const number of numbers) expect(parseBookletNumber(number)).toBeGreaterThan(0);
  });

  it('happens once, by the order’s funder only, and is journaled', async () => {
    const funder = await createFunder(t.ctx);
    const other = await createFunder(t.ctx);
    const order = await draft(funder);
    await confirm(funder, order.id);
    await commitByFunder(funder, order.id);
    await expect(issue(other, order.id)).rejects.toMatchObject({ code: 'order_unknown' });
    expect(await t.ctx.db.selectFrom('booklets').select('id').where('order_id', '=', order.id).execute()).toEqual([]);
    const results = await Promise.allSettled([issue(funder, order.id), issue(funder, order.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'order_status_conflict' } });
    await expect(issue(funder, order.id)).rejects.toMatchObject({ code: 'order_status_conflict' });
    expect(await t.ctx.db.selectFrom('vouchers').select('id').where('order_id', '=', order.id).execute()).toHaveLength(10);
    const event = await t.ctx.db.selectFrom('audit_events').select(['action', 'after', 'actor_user_id']).where('subject_id', '=', order.id).where('action', '=', 'order.issued').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor_user_id: funder.funderAdmin.id, after: { status: 'issued', booklets: 2, vouchers: 10, totalCents: 10_000 } });
    // The journal never holds a code.
    const codes = (await bookletsOf(t.ctx, order.id)).flatMap((b) => b.codes);
    const journal = JSON.stringify(await t.ctx.db.selectFrom('audit_events').selectAll().execute());
    for (const code of codes) expect(journal).not.toContain(code);
  });
});
