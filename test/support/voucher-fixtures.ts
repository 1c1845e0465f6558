import type { AppContext } from '../../src/app-context.js';
import type { Actor } from '../../src/domains/actor.js';
import { formatBookletNumber, unsealVoucherCode, voucherKeys, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { allocateBooklets, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import { issueOrder } from '../../src/domains/vouchers/issue-vouchers.js';
import { orderForm, type OrderInput } from '../../src/domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import type { Recorder, RedemptionInput } from '../../src/domains/vouchers/redeem-vouchers.js';
import { parisDay } from '../../src/lib/paris-dates.js';
import type { TestClock } from './context.js';
import { createOrganisation, createPerson } from './fixtures.js';

let counter = 0;

/** The order form as a page sends it, parsed: 2 booklets of 5 vouchers of 10 €, billed on use. */
export function orderInput(form: Record<string, string | string[]> = {}): OrderInput {
  return orderForm.parse({ bookletCount: '2', vouchersPerBooklet: '5', fundingMode: 'billed_on_use', ...form });
}

/** A funder with its admin, and a distributor linked to it with its admin. */
export async function createFunder(ctx: AppContext) {
  const n = ++counter;
  const funder = await createOrganisation(ctx, 'funder', `Commune ${n}`);
  const distributor = await createOrganisation(ctx, 'distributor', `CCAS ${n}`);
  const funderAdmin = await createPerson(ctx, `financeur${n}-${funder.id.slice(0, 6)}@ville.fr`, [[funder.id, 'admin']]);
  const distributorAdmin = await createPerson(ctx, `distributeur${n}-${distributor.id.slice(0, 6)}@ccas.fr`, [[distributor.id, 'admin']]);
  await ctx.db.insertInto('funder_distributors').values({ funder_id: funder.id, distributor_id: distributor.id, created_at: ctx.clock.now() }).execute();
  const funderActor: Actor = { userId: funderAdmin.id, organisationId: funder.id, apiTokenId: null };
  const distributorActor: Actor = { userId: distributorAdmin.id, organisationId: distributor.id, apiTokenId: null };
  return { funder, distributor, funderAdmin, distributorAdmin, funderActor, distributorActor };
}

export type TestFunder = Awaited<ReturnType<typeof createFunder>>;

/** Draft → confirmed → committed (billed on use, engaged by the funder) → issued. */
export async function issueTestOrder(ctx: AppContext, funder: TestFunder, form: Record<string, string | string[]> = {}) {
  const draft = await saveDraftOrder(ctx, funder.funderActor, funder.funder.id, orderInput(form));
  await confirmOrder(ctx, funder.funderActor, funder.funder.id, draft.id);
  await commitOrder(ctx, funder.funderActor, { orderId: draft.id, reference: 'EJ-2026-001', by: { kind: 'funder', funderId: funder.funder.id } });
  return issueOrder(ctx, funder.funderActor, { orderId: draft.id, funderId: funder.funder.id });
}

export interface IssuedBooklet {
  number: string;
  codes: VoucherCode[];
}

/** The booklets of an order with their codes in clear, as printed. */
export async function bookletsOf(ctx: AppContext, orderId: string): Promise<IssuedBooklet[]> {
  const keys = voucherKeys(ctx.config);
  const rows = await ctx.db
    .selectFrom('vouchers')
    .innerJoin('booklets', 'booklets.id', 'vouchers.booklet_id')
    .select(['booklets.number', 'vouchers.code_sealed'])
    .where('vouchers.order_id', '=', orderId)
    .orderBy('booklets.position')
    .orderBy('vouchers.position')
    .execute();
  const booklets = new Map<number, IssuedBooklet>();
  for (const row of rows) {
    const booklet = booklets.get(row.number) ?? { number: formatBookletNumber(row.number), codes: [] };
    booklet.codes.push(unsealVoucherCode(keys, row.code_sealed));
    booklets.set(row.number, booklet);
  }
  return [...booklets.values()];
}

/** Issues an order, entrusts all its booklets to the funder's distributor and hands them all out. */
export async function activeBooklets(ctx: AppContext, funder: TestFunder, form: Record<string, string | string[]> = {}) {
  const order = await issueTestOrder(ctx, funder, form);
  await allocateBooklets(ctx, funder.funderActor, { funderId: funder.funder.id, orderId: order.id, distributorId: funder.distributor.id, count: order.booklet_count });
  const booklets = await bookletsOf(ctx, order.id);
  for (const booklet of booklets) await handOutBooklet(ctx, funder.distributorActor, { distributorId: funder.distributor.id, number: booklet.number });
  return { order, booklets };
}

/** Moves the test clock to this exact instant (forwards or backwards). */
export function setClock(clock: TestClock, instant: Date | string): void {
  const target = new Date(instant).getTime();
  clock.advanceMinutes((target - clock.now().getTime()) / 60_000);
  if (clock.now().getTime() !== target) throw new Error(`the test clock missed ${new Date(target).toISOString()}`);
}

/** Who scans at a provider's counter: its admin, on the scan page. */
export function recorderOf(provider: { organisation: { id: string }; admin: { id: string } }): Recorder {
  return { providerId: provider.organisation.id, userId: provider.admin.id, tokenId: null };
}

/** A redemption of M01 delivered today in the place, with these codes. */
export function redemptionInput(ctx: AppContext, placeId: string, codes: readonly string[], overrides: Partial<RedemptionInput> = {}): RedemptionInput {
  return { placeId, serviceCode: 'M01', serviceDate: parisDay(ctx.clock.now()), deliveryMode: 'on_site', codes, ...overrides };
}

/** Another distributor of the funder, with its admin. */
export async function addDistributor(ctx: AppContext, funder: TestFunder) {
  const n = ++counter;
  const distributor = await createOrganisation(ctx, 'distributor', `Maison France Services ${n}`);
  const admin = await createPerson(ctx, `agent${n}-${distributor.id.slice(0, 6)}@france-services.fr`, [[distributor.id, 'admin']]);
  await ctx.db.insertInto('funder_distributors').values({ funder_id: funder.funder.id, distributor_id: distributor.id, created_at: ctx.clock.now() }).execute();
  const actor: Actor = { userId: admin.id, organisationId: distributor.id, apiTokenId: null };
  return { distributor, admin, actor };
}

/** The operator's organisation and an admin acting for it (who records prepayments). */
export async function createOperator(ctx: AppContext) {
  const n = ++counter;
  const operator = await createOrganisation(ctx, 'operator', `Opérateur ${n}`);
  const admin = await createPerson(ctx, `operateur${n}-${operator.id.slice(0, 6)}@passnum.fr`, [[operator.id, 'admin']]);
  const actor: Actor = { userId: admin.id, organisationId: operator.id, apiTokenId: null };
  return { operator, admin, actor };
}

/**
 * Everything a redemption may change, to prove a refusal changed nothing but its own record: each
 * voucher's redemption, the redemptions, the booklets.
 */
export async function voucherLedger(ctx: AppContext) {
  const [vouchers, redemptions, booklets] = await Promise.all([
    ctx.db.selectFrom('vouchers').select(['id', 'redemption_id', 'redeemed_at']).orderBy('id').execute(),
    ctx.db.selectFrom('redemptions').selectAll().orderBy('id').execute(),
    ctx.db.selectFrom('booklets').select(['id', 'distributor_id', 'handed_out_at', 'cancelled_at']).orderBy('id').execute(),
  ]);
  return { vouchers, redemptions, booklets };
}
