import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import type { VoucherActivation } from '../../src/db/schema.js';
import { DomainError } from '../../src/domains/errors.js';
import { codeFromBytes, formatBookletNumber, hashVoucherCode, voucherKeys, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { allocateBooklets, cancelBooklet, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import { redeemVouchers, type RedemptionOutcome } from '../../src/domains/vouchers/redeem-vouchers.js';
import { addDays, addMonths, parisDay, type IsoDate } from '../../src/lib/paris-dates.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { bookletsOf, createFunder, issueTestOrder, recorderOf, setClock, type TestFunder } from '../support/voucher-fixtures.js';

/**
 * Random sequences of orders, allocations, hand-outs, cancellations, redemptions and days passing,
 * applied both to a small model of the scheme written here and to the database through the use
 * cases; after every step, both must agree on every voucher, booklet, redemption and refusal.
 * One database for all runs: each run has its own funder and starts on the same day.
 */

const START = '2026-03-02T09:00:00Z';
const RUNS = 50;
const MAX_COMMANDS = 15;

// ---------------------------------------------------------------------------------------------
// The model

interface ModelVoucher {
  code: VoucherCode;
  redeemed: boolean;
  booklet: ModelBooklet;
}

interface ModelBooklet {
  number: string;
  allocated: boolean;
  handedOut: boolean;
  cancelled: boolean;
  order: ModelOrder;
  vouchers: ModelVoucher[];
}

interface ModelOrder {
  id: string;
  activation: VoucherActivation;
  /** The one commune the vouchers are good in, or anywhere. */
  commune: string | null;
  validUntil: IsoDate;
  booklets: ModelBooklet[];
}

interface Model {
  now: Date;
  orders: ModelOrder[];
  booklets: ModelBooklet[];
  vouchers: ModelVoucher[];
  redemptions: number;
  refusals: string[];
}

interface ModelPlace {
  id: string;
  inseeCode: string;
  priceCents: number;
  recorder: ReturnType<typeof recorderOf>;
}

interface Real {
  ctx: AppContext;
  funder: TestFunder;
}

const FACE_VALUE = 1000;

/** What the scheme should answer to a redemption, by the rules as the issue states them. */
type Expected = Extract<RedemptionOutcome, { ok: false }> | { ok: true; vouchersCents: number; holderShareCents: number };

function expectedRedemption(model: Model, place: ModelPlace, sent: (ModelVoucher | undefined)[]): Expected {
  const unknown = sent.findIndex((v) => v === undefined);
  if (unknown >= 0) return { ok: false, reason: 'voucher_unknown', voucherIndex: unknown };
  const vouchers = sent as ModelVoucher[];
  if (vouchers.length === 2 && vouchers[0] === vouchers[1]) return { ok: false, reason: 'voucher_repeated', voucherIndex: 1 };
  // The service is delivered today, at a place that meets every other rule.
  const today = parisDay(model.now);
  for (const [index, voucher] of vouchers.entries()) {
    const { booklet } = voucher;
    const refuse = (reason: Extract<RedemptionOutcome, { ok: false }>['reason']) => ({ ok: false as const, reason, voucherIndex: index });
    if (voucher.redeemed) return refuse('voucher_already_used');
    if (booklet.cancelled) return refuse('voucher_cancelled');
    if (booklet.order.activation === 'on_hand_out' && !booklet.handedOut) return refuse('voucher_not_active');
    if (today > booklet.order.validUntil) return refuse('voucher_expired');
    if (booklet.order.commune !== null && booklet.order.commune !== place.inseeCode) return refuse('place_outside_territory');
  }
  const vouchersCents = vouchers.length * FACE_VALUE;
  if (vouchers.length > 1 && vouchersCents - FACE_VALUE >= place.priceCents) return { ok: false, reason: 'too_many_vouchers' };
  return { ok: true, vouchersCents, holderShareCents: Math.max(place.priceCents - vouchersCents, 0) };
}

// ---------------------------------------------------------------------------------------------
// The database, as seen after each step

let t: TestContext;
let places: ModelPlace[];
let hashes: Map<VoucherCode, string>;

beforeAll(async () => {
  t = await createTestContext({ redemptionFailuresMax: 1_000_000 });
  setClock(t.clock, START);
  // Two places in two communes of Bordeaux Métropole: a 20 € service in Bordeaux, 10 € in Mérignac.
  const bordeaux = await createPublicPlace(t.ctx, {}, { services: [{ priceCents: 2000 }] });
  const merignac = await createPublicPlace(t.ctx, { postcode: '33700', inseeCode: '33281', latitude: 44.8386, longitude: -0.6436 }, { services: [{ priceCents: 1000 }] });
  places = [
    { id: bordeaux.place.id, inseeCode: '33063', priceCents: 2000, recorder: recorderOf(bordeaux.provider) },
    { id: merignac.place.id, inseeCode: '33281', priceCents: 1000, recorder: recorderOf(merignac.provider) },
  ];
  hashes = new Map();
}, 120_000);
afterAll(async () => t.close());

function hashOf(code: VoucherCode): string {
  let hash = hashes.get(code);
  if (hash === undefined) {
    hash = hashVoucherCode(voucherKeys(t.ctx.config), code).toString('hex');
    hashes.set(code, hash);
  }
  return hash;
}

/** Ids of refusals and redemptions that existed before the run: the run's own are the others. */
let before: { refusals: Set<string>; redemptions: number };

async function assertAgreement(model: Model, real: Real): Promise<void> {
  const orderIds = model.orders.map((o) => o.id);
  if (orderIds.length > 0) {
    const vouchers = await real.ctx.db.selectFrom('vouchers').select(['code_hash', 'redemption_id']).where('order_id', 'in', orderIds).execute();
    const redeemed = new Map(vouchers.map((v) => [v.code_hash.toString('hex'), v.redemption_id !== null]));
    expect(redeemed.size).toBe(model.vouchers.length);
    for (const voucher of model.vouchers) expect(redeemed.get(hashOf(voucher.code)), `voucher ${voucher.code}`).toBe(voucher.redeemed);
    const booklets = await real.ctx.db
      .selectFrom('booklets')
      .select(['number', 'distributor_id', 'handed_out_at', 'cancelled_at'])
      .where('order_id', 'in', orderIds)
      .execute();
    const actual = new Map(booklets.map((b) => [formatBookletNumber(b.number), b]));
    expect(actual.size).toBe(model.booklets.length);
    for (const booklet of model.booklets) {
      const row = actual.get(booklet.number);
      expect({ allocated: row?.distributor_id === real.funder.distributor.id, handedOut: row?.handed_out_at !== null, cancelled: row?.cancelled_at !== null }, `booklet ${booklet.number}`).toEqual({
        allocated: booklet.allocated,
        handedOut: booklet.handedOut,
        cancelled: booklet.cancelled,
      });
    }
  }
  const redemptions = await real.ctx.db.selectFrom('redemptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  expect(Number(redemptions.n) - before.redemptions).toBe(model.redemptions);
  const refusals = (await real.ctx.db.selectFrom('redemption_refusals').select(['id', 'reason']).execute()).filter((r) => !before.refusals.has(r.id));
  expect(refusals.map((r) => r.reason).sort()).toEqual([...model.refusals].sort());
}

async function domainErrorOf(action: Promise<unknown>): Promise<string | undefined> {
  try {
    await action;
    return undefined;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The commands

type Command = fc.AsyncCommand<Model, Real>;

class IssueOrder implements Command {
  constructor(
    readonly booklets: number,
    readonly activation: VoucherActivation,
    readonly commune: string | null,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const order = await issueTestOrder(real.ctx, real.funder, {
      bookletCount: String(this.booklets),
      vouchersPerBooklet: '5',
      activation: this.activation,
      territory: this.commune ?? '',
    });
    const today = parisDay(model.now);
    const modelOrder: ModelOrder = { id: order.id, activation: this.activation, commune: this.commune, validUntil: addDays(addMonths(today, 12), -1), booklets: [] };
    expect({ from: order.valid_from, until: order.valid_until }).toEqual({ from: today, until: modelOrder.validUntil });
    for (const printed of await bookletsOf(real.ctx, order.id)) {
      const booklet: ModelBooklet = { number: printed.number, allocated: false, handedOut: false, cancelled: false, order: modelOrder, vouchers: [] };
      booklet.vouchers = printed.codes.map((code) => ({ code, redeemed: false, booklet }));
      modelOrder.booklets.push(booklet);
      model.booklets.push(booklet);
      model.vouchers.push(...booklet.vouchers);
    }
    expect(modelOrder.booklets).toHaveLength(this.booklets);
    model.orders.push(modelOrder);
    await assertAgreement(model, real);
  }
  toString = () => `issue(${this.booklets} booklets, ${this.activation}, ${this.commune ?? 'anywhere'})`;
}

class Allocate implements Command {
  constructor(
    readonly order: number,
    readonly count: number,
  ) {}
  check = (model: Readonly<Model>) => model.orders.length > 0;
  async run(model: Model, real: Real) {
    const order = model.orders[this.order % model.orders.length]!;
    const free = order.booklets.filter((b) => !b.allocated && !b.cancelled);
    const call = allocateBooklets(real.ctx, real.funder.funderActor, { funderId: real.funder.funder.id, orderId: order.id, distributorId: real.funder.distributor.id, count: this.count });
    if (free.length < this.count) {
      expect(await domainErrorOf(call)).toBe('not_enough_booklets');
    } else {
      const taken = free.slice(0, this.count);
      expect((await call).numbers.sort()).toEqual(taken.map((b) => b.number).sort());
      for (const booklet of taken) booklet.allocated = true;
    }
    await assertAgreement(model, real);
  }
  toString = () => `allocate(order ${this.order}, ${this.count})`;
}

class HandOut implements Command {
  constructor(
    readonly booklet: number,
    /** Any booklet, rather than one the distributor holds and has not handed out yet. */
    readonly any: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.booklets.length > 0;
  async run(model: Model, real: Real) {
    const held = model.booklets.filter((b) => b.allocated && !b.handedOut && !b.cancelled);
    const among = this.any || held.length === 0 ? model.booklets : held;
    const booklet = among[this.booklet % among.length]!;
    const expected = !booklet.allocated ? 'booklet_not_allocated' : booklet.cancelled ? 'booklet_cancelled' : booklet.handedOut ? 'booklet_already_handed_out' : undefined;
    const error = await domainErrorOf(handOutBooklet(real.ctx, real.funder.distributorActor, { distributorId: real.funder.distributor.id, number: booklet.number }));
    expect(error).toBe(expected);
    if (expected === undefined) booklet.handedOut = true;
    await assertAgreement(model, real);
  }
  toString = () => `handOut(${this.any ? 'any' : 'held'} booklet ${this.booklet})`;
}

class CancelBooklet implements Command {
  constructor(
    readonly booklet: number,
    readonly byDistributor: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.booklets.length > 0;
  async run(model: Model, real: Real) {
    const booklet = model.booklets[this.booklet % model.booklets.length]!;
    const organisationId = this.byDistributor ? real.funder.distributor.id : real.funder.funder.id;
    const actor = this.byDistributor ? real.funder.distributorActor : real.funder.funderActor;
    const expected = this.byDistributor && !booklet.allocated ? 'booklet_unknown' : booklet.cancelled ? 'booklet_cancelled' : undefined;
    const error = await domainErrorOf(cancelBooklet(real.ctx, actor, { organisationId, number: booklet.number, reason: 'lost' }));
    expect(error).toBe(expected);
    if (expected === undefined) booklet.cancelled = true;
    await assertAgreement(model, real);
  }
  toString = () => `cancel(booklet ${this.booklet}, by ${this.byDistributor ? 'distributor' : 'funder'})`;
}

/** A voucher of the run (any, or one not used yet), or a code nobody issued. */
type VoucherRef = { kind: 'existing' | 'unused'; index: number } | { kind: 'unknown'; bytes: Uint8Array };

class Redeem implements Command {
  constructor(
    readonly refs: VoucherRef[],
    readonly place: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const place = places[this.place]!;
    const unused = model.vouchers.filter((v) => !v.redeemed);
    const sent = this.refs.map((ref) => {
      if (ref.kind === 'unknown') return { code: codeFromBytes(ref.bytes), voucher: undefined };
      const among = ref.kind === 'unused' && unused.length > 0 ? unused : model.vouchers;
      const voucher = among[ref.index % among.length]!;
      return { code: voucher.code, voucher };
    });
    const expected = expectedRedemption(model, place, sent.map((s) => s.voucher));
    const { outcome } = await redeemVouchers(real.ctx, place.recorder, {
      placeId: place.id,
      serviceCode: 'M01',
      serviceDate: parisDay(model.now),
      deliveryMode: 'on_site',
      codes: sent.map((s) => s.code),
    });
    if (expected.ok) {
      expect(outcome).toMatchObject({ ok: true, redemption: { vouchersCents: expected.vouchersCents, holderShareCents: expected.holderShareCents, voucherCount: sent.length } });
      for (const { voucher } of sent) voucher!.redeemed = true;
      model.redemptions++;
    } else {
      expect(outcome).toEqual(expected);
      model.refusals.push(expected.reason);
    }
    await assertAgreement(model, real);
  }
  toString = () =>
    `redeem(${this.refs.map((r) => (r.kind === 'unknown' ? 'unknown' : `${r.kind} #${r.index}`)).join(' + ')} at ${this.place === 0 ? 'Bordeaux' : 'Mérignac'})`;
}

class AdvanceClock implements Command {
  constructor(readonly minutes: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    model.now = new Date(model.now.getTime() + this.minutes * 60_000);
    setClock(t.clock, model.now);
    await assertAgreement(model, real);
  }
  toString = () => `advance(${Math.floor(this.minutes / 1440)} d ${this.minutes % 1440} min)`;
}

const voucherRef: fc.Arbitrary<VoucherRef> = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 1000 }).map((index) => ({ kind: 'existing' as const, index })) },
  { weight: 5, arbitrary: fc.nat({ max: 1000 }).map((index) => ({ kind: 'unused' as const, index })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 10, maxLength: 10 }).map((bytes) => ({ kind: 'unknown' as const, bytes })) },
);

const issueOrder = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.constantFrom<VoucherActivation>('on_hand_out', 'on_issue'), fc.constantFrom<string | null>(null, '33063', '33281'))
  .map(([booklets, activation, commune]) => new IssueOrder(booklets, activation, commune));
const redeem = fc.tuple(fc.array(voucherRef, { minLength: 1, maxLength: 2 }), fc.integer({ min: 0, max: 1 })).map(([refs, place]) => new Redeem(refs, place));

// fc.commands picks among these evenly: redemptions are listed twice. Time mostly passes by hours
// or days; now and then by months, so that vouchers expire.
const commands = [
  issueOrder,
  fc.tuple(fc.nat({ max: 100 }), fc.integer({ min: 1, max: 2 })).map(([order, count]) => new Allocate(order, count)),
  fc.tuple(fc.nat({ max: 100 }), fc.boolean()).map(([booklet, any]) => new HandOut(booklet, any)),
  fc.tuple(fc.nat({ max: 100 }), fc.boolean()).map(([booklet, byDistributor]) => new CancelBooklet(booklet, byDistributor)),
  redeem,
  redeem,
  fc
    .oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 * 1440 }) }, { weight: 1, arbitrary: fc.integer({ min: 30 * 1440, max: 400 * 1440 }) })
    .map((minutes) => new AdvanceClock(minutes)),
];

describe('the database against a model of the scheme', () => {
  it(
    'agrees after every step of random orders, hand-outs, cancellations, redemptions and days passing',
    async () => {
      await fc.assert(
        // Each run starts with an order issued, then up to MAX_COMMANDS random steps.
        fc.asyncProperty(issueOrder, fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (first, steps) => {
          setClock(t.clock, START);
          const funder = await createFunder(t.ctx);
          const refusals = await t.ctx.db.selectFrom('redemption_refusals').select('id').execute();
          const redemptions = await t.ctx.db.selectFrom('redemptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          before = { refusals: new Set(refusals.map((r) => r.id)), redemptions: Number(redemptions.n) };
          const model: Model = { now: new Date(START), orders: [], booklets: [], vouchers: [], redemptions: 0, refusals: [] };
          const real: Real = { ctx: t.ctx, funder };
          await first.run(model, real);
          await fc.asyncModelRun(() => ({ model, real }), steps);
        }),
        { numRuns: RUNS },
      );
    },
    900_000,
  );
});
