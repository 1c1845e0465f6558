import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaceInput } from '../../src/domains/places/manage-places.js';
import { saveCatalogueEntry, type CatalogueInput } from '../../src/domains/places/catalogue.js';
import { findService } from '../../src/domains/referential/model.js';
import { REFERENTIAL_V1 } from '../../src/domains/referential/referential-v1.js';
import { formatVoucherCode, generateVoucherCode, hashVoucherCode, parseVoucherCode, voucherKeys } from '../../src/domains/vouchers/codes.js';
import { cancelBooklet } from '../../src/domains/vouchers/distribution.js';
import { redeemVouchers, type RedemptionInput } from '../../src/domains/vouchers/redeem-vouchers.js';
import { REFUSAL_REASONS, type RefusalReason } from '../../src/domains/vouchers/rules.js';
import type { ApplicationStatus } from '../../src/db/schema.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { addMediator, catalogueInput, createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, bookletsOf, createFunder, issueTestOrder, recorderOf, redemptionInput, voucherLedger } from '../support/voucher-fixtures.js';

// One database for the file: each test has its own funder, orders, provider and place. The limit
// on refused attempts is out of the way here (it has its own tests).
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ redemptionFailuresMax: 100_000 });
});
afterAll(async () => t.close());

interface Setup {
  order?: Record<string, string | string[]>;
  place?: Partial<PlaceInput>;
  services?: Partial<CatalogueInput>[];
  application?: ApplicationStatus;
  suspended?: boolean;
  /** Leave the booklets in the box: issued, not handed out. */
  notHandedOut?: boolean;
}

async function setUp(setup: Setup = {}) {
  const funder = await createFunder(t.ctx);
  const { order, booklets } = setup.notHandedOut
    ? await issueTestOrder(t.ctx, funder, setup.order).then(async (order) => ({ order, booklets: await bookletsOf(t.ctx, order.id) }))
    : await activeBooklets(t.ctx, funder, setup.order);
  const { provider, place } = await createPublicPlace(t.ctx, setup.place ?? {}, {
    ...(setup.services ? { services: setup.services } : {}),
    ...(setup.application ? { application: setup.application } : {}),
    ...(setup.suspended ? { suspended: true } : {}),
  });
  const codes = booklets.flatMap((b) => b.codes);
  const redeem = (sent: readonly string[], overrides: Partial<RedemptionInput> = {}) =>
    redeemVouchers(t.ctx, recorderOf(provider), redemptionInput(t.ctx, place.id, sent, overrides));
  return { funder, order, booklets, codes, provider, place, redeem };
}
type Scenario = Awaited<ReturnType<typeof setUp>>;

async function voucherIdOf(code: string): Promise<string> {
  const parsed = parseVoucherCode(code);
  if (!parsed.ok) throw new Error('not a code');
  const row = await t.ctx.db.selectFrom('vouchers').select('id').where('code_hash', '=', hashVoucherCode(voucherKeys(t.ctx.config), parsed.code)).executeTakeFirstOrThrow();
  return row.id;
}

const reasonsSeen = new Set<RefusalReason>();

/**
 * Redeems and expects this refusal: the answer names the reason (and the voucher), one refusal is
 * recorded with them, and nothing else changed.
 */
async function expectRefused(s: Scenario, sent: readonly string[], overrides: Partial<RedemptionInput>, reason: RefusalReason, voucherIndex?: number) {
  const before = await voucherLedger(t.ctx);
  const refusalsBefore = await t.ctx.db.selectFrom('redemption_refusals').select('id').where('place_id', '=', s.place.id).execute();
  const result = await s.redeem(sent, overrides);
  expect(result).toEqual({ replayed: false, outcome: { ok: false, reason, ...(voucherIndex === undefined ? {} : { voucherIndex }) } });
  expect(await voucherLedger(t.ctx)).toEqual(before);
  const refusals = await t.ctx.db
    .selectFrom('redemption_refusals')
    .selectAll()
    .where('place_id', '=', s.place.id)
    .where('id', 'not in', refusalsBefore.length > 0 ? refusalsBefore.map((r) => r.id) : ['00000000-0000-4000-8000-000000000000'])
    .execute();
  const voucherId = voucherIndex === undefined || reason === 'voucher_unknown' ? null : await voucherIdOf(sent[voucherIndex]!);
  expect(refusals).toEqual([
    expect.objectContaining({
      reason,
      provider_id: s.provider.organisation.id,
      place_id: s.place.id,
      voucher_id: voucherId,
      recorded_by_user: s.provider.admin.id,
      recorded_by_token: null,
      created_at: t.clock.now(),
    }),
  ]);
  reasonsSeen.add(reason);
}

describe('the vouchers themselves', () => {
  it('refuses an unknown code, naming which one', async () => {
    const s = await setUp();
    await expectRefused(s, [s.codes[0]!, generateVoucherCode()], {}, 'voucher_unknown', 1);
  });

  it('refuses a code sent twice, however it was typed, naming the second', async () => {
    const s = await setUp({ services: [{ priceCents: 2000 }] });
    const code = s.codes[0]!;
    await expectRefused(s, [code, formatVoucherCode(code).toLowerCase()], {}, 'voucher_repeated', 1);
    await expectRefused(s, [s.codes[1]!, code, s.codes[2]!, code], { serviceCode: 'M01' }, 'voucher_repeated', 3);
  });

  it('refuses a voucher whose booklet was not handed out', async () => {
    const s = await setUp({ notHandedOut: true });
    await expectRefused(s, [s.codes[0]!], {}, 'voucher_not_active', 0);
  });

  it('refuses a voucher of a cancelled booklet', async () => {
    const s = await setUp();
    await cancelBooklet(t.ctx, s.funder.funderActor, { organisationId: s.funder.funder.id, number: s.booklets[1]!.number, reason: 'stolen' });
    await expectRefused(s, [s.codes[0]!, s.booklets[1]!.codes[2]!], {}, 'voucher_cancelled', 1);
  });

  it('refuses a voucher already used, here or elsewhere', async () => {
    const s = await setUp();
    expect((await s.redeem([s.codes[0]!])).outcome).toMatchObject({ ok: true });
    await expectRefused(s, [s.codes[0]!], {}, 'voucher_already_used', 0);
    const elsewhere = await setUp();
    expect((await elsewhere.redeem([elsewhere.codes[0]!])).outcome).toMatchObject({ ok: true });
    await expectRefused({ ...s, codes: elsewhere.codes }, [elsewhere.codes[0]!], {}, 'voucher_already_used', 0);
  });

  it('refuses a voucher before its validity and after it, tolerance included', async () => {
    const early = await setUp({ order: { validFrom: '2026-03-03' } });
    await expectRefused(early, [early.codes[0]!], {}, 'voucher_not_yet_valid', 0);
    const late = await setUp({ order: { validFrom: '2025-01-01', validUntil: '2025-12-31' } });
    await expectRefused(late, [late.codes[0]!], { serviceDate: '2026-02-01' }, 'voucher_expired', 0);
    // Within the tolerance, a service delivered after the last day is not paid.
    const tolerance = await setUp({ order: { validFrom: '2025-03-01', validUntil: '2026-02-27' } });
    await expectRefused(tolerance, [tolerance.codes[0]!], { serviceDate: '2026-02-28' }, 'voucher_expired', 0);
    expect((await tolerance.redeem([tolerance.codes[0]!], { serviceDate: '2026-02-27' })).outcome).toMatchObject({ ok: true });
  });
});

describe('the service, the place and its provider', () => {
  it('refuses a service dated in the future or before last month', async () => {
    const s = await setUp({ order: { validFrom: '2026-01-01' } });
    await expectRefused(s, [s.codes[0]!], { serviceDate: '2026-03-03' }, 'service_date_invalid');
    await expectRefused(s, [s.codes[0]!], { serviceDate: '2026-01-31' }, 'service_date_invalid');
    expect((await s.redeem([s.codes[0]!], { serviceDate: '2026-02-01' })).outcome).toMatchObject({ ok: true, redemption: { serviceDate: '2026-02-01' } });
  });

  it('refuses at a provider not qualified, or suspended', async () => {
    const submitted = await setUp({ application: 'submitted' });
    await expectRefused(submitted, [submitted.codes[0]!], {}, 'provider_not_qualified');
    const suspended = await setUp({ suspended: true });
    await expectRefused(suspended, [suspended.codes[0]!], {}, 'provider_suspended');
  });

  it('refuses at a place not published', async () => {
    const s = await setUp();
    await t.ctx.db.updateTable('places').set({ status: 'withdrawn' }).where('id', '=', s.place.id).execute();
    await expectRefused(s, [s.codes[0]!], {}, 'place_not_published');
  });

  it('refuses a service the place does not offer, has paused, or does not deliver that way', async () => {
    const s = await setUp({ order: { deliveryModes: ['remote'] }, services: [{}, { serviceCode: 'M02', active: false }] });
    await expectRefused(s, [s.codes[0]!], { serviceCode: 'M03' }, 'service_not_in_catalogue');
    await expectRefused(s, [s.codes[0]!], { serviceCode: 'Z99' }, 'service_not_in_catalogue');
    await expectRefused(s, [s.codes[0]!], { serviceCode: 'M02' }, 'service_not_in_catalogue');
    await expectRefused(s, [s.codes[0]!], { deliveryMode: 'remote' }, 'service_not_in_catalogue');
  });

  it('refuses a volunteer doing it for the person, and takes an employee', async () => {
    const M11 = findService(REFERENTIAL_V1, 'M11');
    expect(M11?.doingForPerson).toBe(true);
    const s = await setUp({ order: { bookletCount: '1' } });
    const employee = await addMediator(t.ctx, s.provider.organisation.id, 'employee');
    const volunteer = await addMediator(t.ctx, s.provider.organisation.id, 'volunteer');
    const civic = await addMediator(t.ctx, s.provider.organisation.id, 'civic_service');
    await saveCatalogueEntry(t.ctx, s.provider.actor, s.provider.organisation.id, s.place.id, catalogueInput({ serviceCode: 'M11' }));
    await expectRefused(s, [s.codes[0]!], { serviceCode: 'M11', mediatorId: volunteer.id }, 'mediator_not_allowed');
    await expectRefused(s, [s.codes[0]!], { serviceCode: 'M11', mediatorId: civic.id }, 'mediator_not_allowed');
    // A volunteer may deliver the other services.
    expect((await s.redeem([s.codes[0]!], { serviceCode: 'M01', mediatorId: volunteer.id })).outcome).toMatchObject({ ok: true });
    expect((await s.redeem([s.codes[1]!], { serviceCode: 'M11', mediatorId: employee.id })).outcome).toMatchObject({ ok: true });
    const rows = await t.ctx.db.selectFrom('redemptions').select(['service_code', 'mediator_id']).where('place_id', '=', s.place.id).orderBy('service_code').execute();
    expect(rows).toEqual([
      { service_code: 'M01', mediator_id: volunteer.id },
      { service_code: 'M11', mediator_id: employee.id },
    ]);
  });

  it('throws, without recording a refusal, for a place of another provider or an unknown mediator', async () => {
    const s = await setUp();
    const other = await setUp();
    const before = await voucherLedger(t.ctx);
    await expect(s.redeem([s.codes[0]!], { placeId: other.place.id })).rejects.toMatchObject({ code: 'place_unknown' });
    const foreignMediator = await addMediator(t.ctx, other.provider.organisation.id, 'employee');
    await expect(s.redeem([s.codes[0]!], { mediatorId: foreignMediator.id })).rejects.toMatchObject({ code: 'mediator_unknown' });
    await expect(s.redeem(['ABCD'])).rejects.toMatchObject({ code: 'code_malformed', field: 'codes.0' });
    const typo = s.codes[0]!.slice(0, 16) + (s.codes[0]![16] === '0' ? '1' : '0');
    await expect(s.redeem([s.codes[1]!, typo])).rejects.toMatchObject({ code: 'code_check_failed', field: 'codes.1' });
    await expect(s.redeem([s.codes[0]!], { placeId: 'lieu-1' })).rejects.toMatchObject({ code: 'place_unknown', field: 'placeId' });
    await expect(s.redeem([s.codes[0]!], { serviceDate: '2026-02-30' })).rejects.toMatchObject({ code: 'service_date_invalid', field: 'serviceDate' });
    await expect(s.redeem([s.codes[0]!], { serviceDate: '02/03/2026' })).rejects.toMatchObject({ code: 'service_date_invalid', field: 'serviceDate' });
    await expect(s.redeem([s.codes[0]!], { mediatorId: 'Marie' })).rejects.toMatchObject({ code: 'mediator_unknown', field: 'mediatorId' });
    await expect(s.redeem([])).rejects.toMatchObject({ code: 'redemption_vouchers_required' });
    await expect(s.redeem(s.codes.slice(0, 10).concat(s.codes.slice(0, 10), [s.codes[0]!]))).rejects.toMatchObject({ code: 'redemption_vouchers_required' });
    expect(await voucherLedger(t.ctx)).toEqual(before);
    expect(await t.ctx.db.selectFrom('redemption_refusals').select('id').where('provider_id', '=', s.provider.organisation.id).execute()).toEqual([]);
    // An empty mediator, as a form sends it, is no mediator.
    const result = await s.redeem([s.codes[0]!], { mediatorId: '' });
    expect(result.outcome).toMatchObject({ ok: true });
    if (!result.outcome.ok) throw new Error('refused');
    const row = await t.ctx.db.selectFrom('redemptions').select('mediator_id').where('id', '=', result.outcome.redemption.id).executeTakeFirstOrThrow();
    expect(row.mediator_id).toBeNull();
  });
});

describe('the order’s rules', () => {
  it('refuses a place outside the territory: commune, EPCI, département, région', async () => {
    // The place is in Bordeaux (33063), in Bordeaux Métropole, Gironde, Nouvelle-Aquitaine.
    for (const territory of ['33281', '200067254', '64', 'R11', '33281 64 R11 200067254']) {
      const s = await setUp({ order: { territory } });
      await expectRefused(s, [s.codes[0]!], {}, 'place_outside_territory', 0);
    }
    for (const territory of ['33063', '243300316', '33', 'R75', '64 33063']) {
      const s = await setUp({ order: { territory } });
      expect((await s.redeem([s.codes[0]!])).outcome, territory).toMatchObject({ ok: true });
    }
  });

  it('takes a place of Paris 12e with vouchers for Paris, not with vouchers for Paris 11e', async () => {
    const paris12 = { postcode: '75012', inseeCode: '75112', latitude: 48.8412, longitude: 2.3876 };
    const paris = await setUp({ order: { territory: '75056' }, place: paris12 });
    expect((await paris.redeem([paris.codes[0]!])).outcome).toMatchObject({ ok: true });
    const eleventh = await setUp({ order: { territory: '75111' }, place: paris12 });
    await expectRefused(eleventh, [eleventh.codes[0]!], {}, 'place_outside_territory', 0);
  });

  it('refuses a type of place not listed', async () => {
    const s = await setUp({ order: { placeTypes: ['EPN', 'FABLAB'] } });
    await expectRefused(s, [s.codes[0]!], {}, 'place_type_not_allowed', 0);
    const listed = await setUp({ order: { placeTypes: ['EPN', 'BIB'] } });
    expect((await listed.redeem([listed.codes[0]!])).outcome).toMatchObject({ ok: true });
  });

  it('refuses a service outside the listed levels and services', async () => {
    const level = await setUp({ order: { serviceLevels: ['1', '3'] } });
    await expectRefused(level, [level.codes[0]!], {}, 'service_not_allowed', 0);
    const service = await setUp({ order: { serviceCodes: ['M02', 'D01'] } });
    await expectRefused(service, [service.codes[0]!], {}, 'service_not_allowed', 0);
    const either = await setUp({ order: { serviceLevels: ['1'], serviceCodes: ['M01'] } });
    expect((await either.redeem([either.codes[0]!])).outcome).toMatchObject({ ok: true });
  });

  it('refuses remote delivery the order does not allow, the place offering it', async () => {
    const s = await setUp({ services: [{ deliveryModes: ['on_site', 'remote'] }] });
    await expectRefused(s, [s.codes[0]!], { deliveryMode: 'remote' }, 'delivery_mode_not_allowed', 0);
    const allowed = await setUp({ order: { deliveryModes: ['remote'] }, services: [{ deliveryModes: ['on_site', 'remote'] }] });
    expect((await allowed.redeem([allowed.codes[0]!], { deliveryMode: 'remote' })).outcome).toMatchObject({ ok: true, redemption: { deliveryMode: 'remote' } });
  });

  it('refuses a holder’s share the order forbids', async () => {
    const s = await setUp({ order: { holderShare: 'forbidden' }, services: [{ priceCents: 1500 }] });
    await expectRefused(s, [s.codes[0]!], {}, 'holder_share_not_allowed');
    // Two vouchers cover the price: no share, accepted.
    expect((await s.redeem([s.codes[0]!, s.codes[1]!])).outcome).toMatchObject({ ok: true, redemption: { vouchersCents: 2000, holderShareCents: 0 } });
  });

  it('refuses more vouchers than the price needs', async () => {
    const s = await setUp();
    await expectRefused(s, [s.codes[0]!, s.codes[1]!], {}, 'too_many_vouchers');
  });
});

describe('several vouchers for one service', () => {
  it('pay it together, each marked with the one redemption, the holder paying what is left', async () => {
    const s = await setUp({ services: [{ priceCents: 2500 }] });
    const result = await s.redeem([s.codes[0]!, s.booklets[1]!.codes[4]!, s.codes[3]!], { publicAge: '75_plus', publicSituation: 'retired' });
    expect(result).toEqual({
      replayed: false,
      outcome: {
        ok: true,
        redemption: {
          id: expect.any(String),
          placeId: s.place.id,
          serviceCode: 'M01',
          serviceDate: '2026-03-02',
          deliveryMode: 'on_site',
          priceCents: 2500,
          vouchersCents: 3000,
          holderShareCents: 0,
          voucherCount: 3,
          createdAt: t.clock.now().toISOString(),
        },
      },
    });
    if (!result.outcome.ok) throw new Error('refused');
    const id = result.outcome.redemption.id;
    const redemption = await t.ctx.db.selectFrom('redemptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(redemption).toMatchObject({ provider_id: s.provider.organisation.id, price_cents: 2500, vouchers_cents: 3000, voucher_count: 3, public_age: '75_plus', recorded_by_user: s.provider.admin.id });
    const marked = await t.ctx.db.selectFrom('vouchers').select('id').where('redemption_id', '=', id).execute();
    expect(marked.map((v) => v.id).sort()).toEqual((await Promise.all([s.codes[0]!, s.booklets[1]!.codes[4]!, s.codes[3]!].map(voucherIdOf))).sort());
    const oneVoucher = await s.redeem([s.codes[5]!]);
    expect(oneVoucher.outcome).toMatchObject({ ok: true, redemption: { vouchersCents: 1000, holderShareCents: 1500, voucherCount: 1 } });
  });
});

describe('the database itself', () => {
  it('refuses to give a redeemed voucher another redemption, to change a voucher, or to delete', async () => {
    const s = await setUp();
    const first = await s.redeem([s.codes[0]!]);
    const second = await s.redeem([s.codes[1]!]);
    if (!first.outcome.ok || !second.outcome.ok) throw new Error('refused');
    const redeemed = await voucherIdOf(s.codes[0]!);
    const fresh = await voucherIdOf(s.codes[2]!);
    const before = await voucherLedger(t.ctx);
    await expect(sql`update vouchers set redemption_id = ${second.outcome.redemption.id} where id = ${redeemed}`.execute(t.ctx.db)).rejects.toThrow(/already redeemed/u);
    await expect(sql`update vouchers set redemption_id = null, redeemed_at = null where id = ${redeemed}`.execute(t.ctx.db)).rejects.toThrow(/already redeemed/u);
    await expect(sql`update vouchers set face_value_cents = 5000 where id = ${fresh}`.execute(t.ctx.db)).rejects.toThrow(/never change/u);
    await expect(sql`delete from vouchers where id = ${fresh}`.execute(t.ctx.db)).rejects.toThrow();
    await expect(sql`delete from redemptions where id = ${first.outcome.redemption.id}`.execute(t.ctx.db)).rejects.toThrow();
    await expect(sql`update redemptions set price_cents = 0 where id = ${first.outcome.redemption.id}`.execute(t.ctx.db)).rejects.toThrow();
    await expect(sql`truncate redemptions cascade`.execute(t.ctx.db)).rejects.toThrow();
    expect(await voucherLedger(t.ctx)).toEqual(before);
  });
});

describe('repeated refusals', () => {
  it('stop the counter of a place, and a person at any place, for ten minutes', async () => {
    const limited = { ...t.ctx, config: { ...t.ctx.config, redemptionFailuresMax: 3 } };
    const s = await setUp();
    const other = await createPublicPlace(t.ctx);
    const redeem = (placeId: string, sent: string[], recorder = recorderOf(s.provider)) => redeemVouchers(limited, recorder, redemptionInput(limited, placeId, sent));
    for (let i = 0; i < 3; i++) expect((await redeem(s.place.id, [generateVoucherCode()])).outcome).toMatchObject({ ok: false, reason: 'voucher_unknown' });
    const before = await voucherLedger(t.ctx);
    // Even a good voucher is not looked at now, and nothing more is recorded.
    await expect(redeem(s.place.id, [s.codes[0]!])).rejects.toMatchObject({ code: 'too_many_refusals' });
    // Another member of the same provider at that place is stopped too (the place's limit)…
    await expect(redeem(s.place.id, [s.codes[0]!], { ...recorderOf(s.provider), userId: s.provider.member.id })).rejects.toMatchObject({ code: 'too_many_refusals' });
    expect(await voucherLedger(t.ctx)).toEqual(before);
    expect(await t.ctx.db.selectFrom('redemption_refusals').select('id').where('place_id', '=', s.place.id).execute()).toHaveLength(3);
    // …another provider's place stays unknown to this person, whatever their limits (nothing to learn there);
    await expect(redeem(other.place.id, [generateVoucherCode()])).rejects.toMatchObject({ code: 'place_unknown' });
    // the person's own limit holds at any place of their provider: another member is stopped at the place only.
    await expect(redeem(s.place.id, [generateVoucherCode()])).rejects.toMatchObject({ code: 'too_many_refusals' });
    expect((await redeem(other.place.id, [generateVoucherCode()], recorderOf(other.provider))).outcome).toMatchObject({ reason: 'voucher_unknown' });
    t.clock.advanceMinutes(10);
    try {
      expect((await redeem(s.place.id, [s.codes[0]!])).outcome).toMatchObject({ ok: true });
    } finally {
      t.clock.advanceMinutes(-10);
    }
  });
});

describe('every reason', () => {
  it('has been produced through the database above, but the order not issued (no voucher exists before issue)', () => {
    expect([...reasonsSeen].sort()).toEqual(REFUSAL_REASONS.filter((reason) => reason !== 'voucher_not_issued').sort());
  });
});
