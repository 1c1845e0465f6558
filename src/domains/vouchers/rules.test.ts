import { describe, expect, it } from 'vitest';
import {
  decideRedemption,
  lastScanInstant,
  orderRefusal,
  REFUSAL_REASONS,
  serviceRefusal,
  voucherRefusal,
  voucherState,
  type OrderRules,
  type PlaceFacts,
  type RedemptionFacts,
  type RefusalReason,
  type ServiceFacts,
  type VoucherFacts,
} from './rules.js';

/** Monday 2 March 2026, 10:00 in Paris. */
const NOW = new Date('2026-03-02T09:00:00Z');
const TODAY = '2026-03-02';

function order(overrides: Partial<OrderRules> = {}): OrderRules {
  return {
    status: 'issued',
    territory: [],
    serviceLevels: [],
    serviceCodes: [],
    placeTypes: [],
    validFrom: '2026-01-01',
    validUntil: '2026-12-31',
    holderShareAllowed: true,
    deliveryModes: ['on_site'],
    activation: 'on_hand_out',
    ...overrides,
  };
}

let ids = 0;
function voucher(overrides: Partial<Omit<VoucherFacts, 'order'>> & { order?: Partial<OrderRules> } = {}): VoucherFacts {
  const { order: rules, ...rest } = overrides;
  return { id: `v${++ids}`, faceValueCents: 1000, redeemed: false, bookletHandedOut: true, bookletCancelled: false, order: order(rules), ...rest };
}

function facts(overrides: Partial<Omit<RedemptionFacts, 'place' | 'service'>> & { place?: Partial<PlaceFacts>; service?: Partial<ServiceFacts> } = {}): RedemptionFacts {
  const { place, service, ...rest } = overrides;
  return {
    now: NOW,
    serviceDate: TODAY,
    deliveryMode: 'on_site',
    mediatorIsEmployee: undefined,
    place: { inseeCode: '33063', typologies: ['BIB'], published: true, providerQualified: true, providerSuspended: false, ...place },
    service: { active: true, serviceCode: 'M01', level: 2, priceCents: 1000, deliveryModes: ['on_site'], employeesOnly: false, ...service },
    ...rest,
  };
}

const produced = new Set<RefusalReason>();
function refusal(vouchers: VoucherFacts[], redemption: RedemptionFacts): RefusalReason | undefined {
  const decision = decideRedemption(vouchers, redemption);
  if (decision.ok) return undefined;
  produced.add(decision.reason);
  return decision.reason;
}

describe('a redemption decided by the rules', () => {
  it('takes a usable voucher for a service at its price', () => {
    expect(decideRedemption([voucher()], facts())).toEqual({ ok: true, vouchersCents: 1000, holderShareCents: 0 });
  });

  const cases: { name: string; vouchers: () => VoucherFacts[]; facts?: RedemptionFacts; reason: RefusalReason }[] = [
    { name: 'the same voucher twice', vouchers: () => { const v = voucher(); return [v, { ...v }]; }, reason: 'voucher_repeated' },
    { name: 'a voucher of an order not issued', vouchers: () => [voucher({ order: { status: 'committed' } })], reason: 'voucher_not_issued' },
    { name: 'a booklet not handed out', vouchers: () => [voucher({ bookletHandedOut: false })], reason: 'voucher_not_active' },
    { name: 'a cancelled booklet', vouchers: () => [voucher({ bookletCancelled: true })], reason: 'voucher_cancelled' },
    { name: 'a voucher used', vouchers: () => [voucher({ redeemed: true })], reason: 'voucher_already_used' },
    { name: 'validity not started', vouchers: () => [voucher({ order: { validFrom: '2026-03-03' } })], reason: 'voucher_not_yet_valid' },
    {
      name: 'a service before the validity',
      vouchers: () => [voucher({ order: { validFrom: '2026-03-02' } })],
      facts: facts({ serviceDate: '2026-03-01' }),
      reason: 'voucher_not_yet_valid',
    },
    { name: 'validity and tolerance over', vouchers: () => [voucher({ order: { validFrom: '2025-01-01', validUntil: '2026-02-01' } })], reason: 'voucher_expired' },
    {
      name: 'a service after the validity, scanned within the tolerance',
      vouchers: () => [voucher({ order: { validFrom: '2025-01-01', validUntil: '2026-02-27' } })],
      facts: facts({ serviceDate: '2026-02-28' }),
      reason: 'voucher_expired',
    },
    { name: 'a service tomorrow', vouchers: () => [voucher()], facts: facts({ serviceDate: '2026-03-03' }), reason: 'service_date_invalid' },
    { name: 'a service of two months ago', vouchers: () => [voucher()], facts: facts({ serviceDate: '2026-01-31' }), reason: 'service_date_invalid' },
    { name: 'a provider not qualified', vouchers: () => [voucher()], facts: facts({ place: { providerQualified: false } }), reason: 'provider_not_qualified' },
    { name: 'a suspended provider', vouchers: () => [voucher()], facts: facts({ place: { providerSuspended: true } }), reason: 'provider_suspended' },
    { name: 'a place not published', vouchers: () => [voucher()], facts: facts({ place: { published: false } }), reason: 'place_not_published' },
    { name: 'a paused service', vouchers: () => [voucher()], facts: facts({ service: { active: false } }), reason: 'service_not_in_catalogue' },
    {
      name: 'a delivery mode the place does not offer',
      vouchers: () => [voucher({ order: { deliveryModes: ['on_site', 'remote'] } })],
      facts: facts({ deliveryMode: 'remote' }),
      reason: 'service_not_in_catalogue',
    },
    { name: 'a place outside the territory', vouchers: () => [voucher({ order: { territory: ['departement:64'] } })], reason: 'place_outside_territory' },
    { name: 'a place without a commune in a territory', vouchers: () => [voucher({ order: { territory: ['departement:33'] } })], facts: facts({ place: { inseeCode: null } }), reason: 'place_outside_territory' },
    { name: 'a type of place not listed', vouchers: () => [voucher({ order: { placeTypes: ['EPN', 'FABLAB'] } })], reason: 'place_type_not_allowed' },
    { name: 'a level not listed', vouchers: () => [voucher({ order: { serviceLevels: [1, 3] } })], reason: 'service_not_allowed' },
    { name: 'a service not listed', vouchers: () => [voucher({ order: { serviceCodes: ['M02'] } })], reason: 'service_not_allowed' },
    { name: 'neither the level nor the service listed', vouchers: () => [voucher({ order: { serviceLevels: [1], serviceCodes: ['A01'] } })], reason: 'service_not_allowed' },
    {
      name: 'remote delivery the order does not allow',
      vouchers: () => [voucher()],
      facts: facts({ deliveryMode: 'remote', service: { deliveryModes: ['on_site', 'remote'] } }),
      reason: 'delivery_mode_not_allowed',
    },
    {
      name: 'a volunteer doing it for the person',
      vouchers: () => [voucher()],
      facts: facts({ mediatorIsEmployee: false, service: { serviceCode: 'M11', employeesOnly: true } }),
      reason: 'mediator_not_allowed',
    },
    { name: 'a holder’s share the order forbids', vouchers: () => [voucher({ order: { holderShareAllowed: false } })], facts: facts({ service: { priceCents: 1500 } }), reason: 'holder_share_not_allowed' },
    { name: 'two vouchers for a 10 € service', vouchers: () => [voucher(), voucher()], reason: 'too_many_vouchers' },
  ];

  it.each(cases)('refuses $name: $reason', ({ vouchers, facts: redemption, reason }) => {
    expect(refusal(vouchers(), redemption ?? facts())).toBe(reason);
  });

  it('produces every reason but an unknown code (which only the database can tell)', () => {
    expect([...produced].sort()).toEqual(REFUSAL_REASONS.filter((r) => r !== 'voucher_unknown').sort());
  });

  it('names the voucher a refusal is about', () => {
    const good = voucher();
    const used = voucher({ redeemed: true });
    expect(decideRedemption([good, used], facts({ service: { priceCents: 2000 } }))).toEqual({ ok: false, reason: 'voucher_already_used', voucherId: used.id });
    expect(decideRedemption([good, good], facts())).toEqual({ ok: false, reason: 'voucher_repeated', voucherId: good.id });
    expect(decideRedemption([good], facts({ place: { published: false } }))).toEqual({ ok: false, reason: 'place_not_published' });
  });

  it('refuses no voucher at all', () => {
    expect(() => decideRedemption([], facts())).toThrow();
  });
});

describe('the voucher itself', () => {
  it('tells its state, used before cancelled before inactive before validity', () => {
    const state = (overrides: Parameters<typeof voucher>[0], now = NOW) => voucherState(voucher(overrides), now);
    expect(state({})).toBe('usable');
    expect(state({ redeemed: true, bookletCancelled: true, bookletHandedOut: false })).toBe('used');
    expect(state({ bookletCancelled: true, bookletHandedOut: false })).toBe('cancelled');
    expect(state({ bookletHandedOut: false, order: { validFrom: '2027-01-01', validUntil: '2027-12-31' } })).toBe('not_active');
    expect(state({ order: { status: 'committed' }, redeemed: true })).toBe('not_issued');
    expect(state({ order: { validFrom: '2027-01-01', validUntil: '2027-12-31' } })).toBe('not_yet_valid');
    expect(state({ order: { validFrom: '2025-01-01', validUntil: '2025-12-31' } })).toBe('expired');
  });

  it('is usable without a hand-out when its order activates vouchers on issue, unless cancelled', () => {
    expect(voucherState(voucher({ bookletHandedOut: false, order: { activation: 'on_issue' } }), NOW)).toBe('usable');
    expect(voucherState(voucher({ bookletHandedOut: false, bookletCancelled: true, order: { activation: 'on_issue' } }), NOW)).toBe('cancelled');
    expect(decideRedemption([voucher({ bookletHandedOut: false, order: { activation: 'on_issue' } })], facts())).toMatchObject({ ok: true });
    expect(voucherRefusal(voucher({ bookletHandedOut: false }), NOW)).toBe('voucher_not_active');
  });

  it('is scanned until the end of the Paris day one month after its validity', () => {
    expect(lastScanInstant('2026-09-25')).toEqual(new Date('2026-10-25T23:00:00Z'));
    expect(lastScanInstant('2026-02-28')).toEqual(new Date('2026-03-28T23:00:00Z'));
    // Clamped: a month after 31 January is 28 February.
    expect(lastScanInstant('2026-01-31')).toEqual(new Date('2026-02-28T23:00:00Z'));
    expect(lastScanInstant('2026-06-15')).toEqual(new Date('2026-07-15T22:00:00Z'));
  });

  it('gives the same last scan instant when asked again, as a Date of the caller’s own', () => {
    const first = lastScanInstant('2026-09-25');
    first.setTime(0);
    expect(lastScanInstant('2026-09-25')).toEqual(new Date('2026-10-25T23:00:00Z'));
    expect(lastScanInstant('2026-09-25')).not.toBe(lastScanInstant('2026-09-25'));
  });
});

describe('validity at the exact instants, Europe/Paris', () => {
  const validFrom29March = voucher({ order: { validFrom: '2026-03-29', validUntil: '2026-12-31' } });

  it('starts at midnight Paris on the day clocks go forward', () => {
    expect(voucherRefusal(validFrom29March, new Date('2026-03-28T22:59:59.999Z'))).toBe('voucher_not_yet_valid');
    expect(voucherRefusal(validFrom29March, new Date('2026-03-28T23:00:00.000Z'))).toBeUndefined();
    expect(decideRedemption([validFrom29March], facts({ now: new Date('2026-03-28T22:59:59.999Z'), serviceDate: '2026-03-28' }))).toMatchObject({
      ok: false,
      reason: 'voucher_not_yet_valid',
    });
    expect(decideRedemption([validFrom29March], facts({ now: new Date('2026-03-28T23:00:00.000Z'), serviceDate: '2026-03-29' }))).toMatchObject({ ok: true });
    // At that instant the service can be dated the 29th but not the 30th.
    expect(decideRedemption([validFrom29March], facts({ now: new Date('2026-03-28T23:00:00.000Z'), serviceDate: '2026-03-30' }))).toMatchObject({
      ok: false,
      reason: 'service_date_invalid',
    });
  });

  it('ends, tolerance included, at midnight Paris after the day clocks go back', () => {
    const untilSeptember25 = voucher({ order: { validFrom: '2026-01-01', validUntil: '2026-09-25' } });
    const last = new Date('2026-10-25T22:59:59.999Z');
    const first = new Date('2026-10-25T23:00:00.000Z');
    expect(voucherRefusal(untilSeptember25, last)).toBeUndefined();
    expect(voucherRefusal(untilSeptember25, first)).toBe('voucher_expired');
    expect(decideRedemption([untilSeptember25], facts({ now: last, serviceDate: '2026-09-25' }))).toMatchObject({ ok: true });
    expect(decideRedemption([untilSeptember25], facts({ now: first, serviceDate: '2026-09-25' }))).toMatchObject({ ok: false, reason: 'voucher_expired' });
    // One hour earlier, in summer time, would have been wrong: 22:00 UTC is still the 25th in Paris.
    expect(voucherRefusal(untilSeptember25, new Date('2026-10-25T22:00:00.000Z'))).toBeUndefined();
  });

  it('pays services dated up to the last day of validity, not the day after', () => {
    const untilSeptember25 = voucher({ order: { validFrom: '2026-01-01', validUntil: '2026-09-25' } });
    const now = new Date('2026-10-01T10:00:00Z');
    expect(orderRefusal(untilSeptember25.order, facts({ now, serviceDate: '2026-09-25' }))).toBeUndefined();
    expect(orderRefusal(untilSeptember25.order, facts({ now, serviceDate: '2026-09-26' }))).toBe('voucher_expired');
    expect(orderRefusal(untilSeptember25.order, facts({ now, serviceDate: '2025-12-31' }))).toBe('voucher_not_yet_valid');
  });
});

describe('the service and the place', () => {
  it('accept services dated from the first day of last month to today, in Paris time', () => {
    expect(serviceRefusal(facts({ serviceDate: '2026-02-01' }))).toBeUndefined();
    expect(serviceRefusal(facts({ serviceDate: '2026-01-31' }))).toBe('service_date_invalid');
    expect(serviceRefusal(facts({ serviceDate: TODAY }))).toBeUndefined();
    expect(serviceRefusal(facts({ serviceDate: '2026-03-03' }))).toBe('service_date_invalid');
    // 23:30 UTC on 2 March is already the 3rd in Paris.
    expect(serviceRefusal(facts({ now: new Date('2026-03-02T23:30:00Z'), serviceDate: '2026-03-03' }))).toBeUndefined();
    // In January, December's services are taken, November's are not.
    expect(serviceRefusal(facts({ now: new Date('2026-01-10T10:00:00Z'), serviceDate: '2025-12-01' }))).toBeUndefined();
    expect(serviceRefusal(facts({ now: new Date('2026-01-10T10:00:00Z'), serviceDate: '2025-11-30' }))).toBe('service_date_invalid');
  });

  it('let employees, or an unnamed mediator, do it for the person', () => {
    const doingForPerson = { serviceCode: 'M11', employeesOnly: true };
    expect(serviceRefusal(facts({ mediatorIsEmployee: true, service: doingForPerson }))).toBeUndefined();
    expect(serviceRefusal(facts({ mediatorIsEmployee: false, service: doingForPerson }))).toBe('mediator_not_allowed');
    expect(serviceRefusal(facts({ mediatorIsEmployee: false }))).toBeUndefined();
  });

  it('take any of the place’s types and the listed delivery modes', () => {
    const rules = order({ placeTypes: ['EPN', 'BIB'], deliveryModes: ['on_site', 'home'] });
    expect(orderRefusal(rules, facts({ place: { typologies: ['ASSO', 'BIB'] } }))).toBeUndefined();
    expect(orderRefusal(rules, facts({ place: { typologies: [] } }))).toBe('place_type_not_allowed');
    expect(orderRefusal(rules, facts({ deliveryMode: 'home' }))).toBeUndefined();
    expect(orderRefusal(rules, facts({ deliveryMode: 'remote' }))).toBe('delivery_mode_not_allowed');
  });
});

describe('service levels and services of an order', () => {
  const allowed = (rules: Partial<OrderRules>, service: Partial<ServiceFacts>) => orderRefusal(order(rules), facts({ service })) === undefined;
  const M01 = { serviceCode: 'M01', level: 2 };
  const D01 = { serviceCode: 'D01', level: 1 };
  const A01 = { serviceCode: 'A01', level: 3 };

  it('restrict nothing when both are empty', () => {
    expect(allowed({}, M01) && allowed({}, D01) && allowed({}, A01)).toBe(true);
  });

  it('restrict to the listed levels, or to the listed services', () => {
    expect(allowed({ serviceLevels: [1, 2] }, M01)).toBe(true);
    expect(allowed({ serviceLevels: [1, 2] }, A01)).toBe(false);
    expect(allowed({ serviceCodes: ['M01', 'D01'] }, D01)).toBe(true);
    expect(allowed({ serviceCodes: ['M01', 'D01'] }, A01)).toBe(false);
  });

  it('together allow a service of a listed level or a listed service', () => {
    const rules = { serviceLevels: [1], serviceCodes: ['A01'] };
    expect(allowed(rules, D01)).toBe(true);
    expect(allowed(rules, A01)).toBe(true);
    expect(allowed(rules, M01)).toBe(false);
  });
});

describe('how many vouchers pay a service', () => {
  it('refuses two 10 € vouchers for a 10 € service', () => {
    expect(decideRedemption([voucher(), voucher()], facts({ service: { priceCents: 1000 } }))).toEqual({ ok: false, reason: 'too_many_vouchers' });
  });

  it('takes two 10 € vouchers for a 15 € service, with no holder’s share', () => {
    expect(decideRedemption([voucher(), voucher()], facts({ service: { priceCents: 1500 } }))).toEqual({ ok: true, vouchersCents: 2000, holderShareCents: 0 });
  });

  it('takes one 10 € voucher for a 15 € service, the holder paying 5 €, unless the order forbids it', () => {
    expect(decideRedemption([voucher()], facts({ service: { priceCents: 1500 } }))).toEqual({ ok: true, vouchersCents: 1000, holderShareCents: 500 });
    expect(decideRedemption([voucher({ order: { holderShareAllowed: false } })], facts({ service: { priceCents: 1500 } }))).toEqual({
      ok: false,
      reason: 'holder_share_not_allowed',
    });
    // Forbidding the share does not matter when the vouchers cover the price.
    expect(decideRedemption([voucher({ order: { holderShareAllowed: false } })], facts({ service: { priceCents: 1000 } }))).toMatchObject({ ok: true });
    // One order forbidding it is enough.
    expect(decideRedemption([voucher(), voucher({ order: { holderShareAllowed: false } })], facts({ service: { priceCents: 2500 } }))).toMatchObject({
      ok: false,
      reason: 'holder_share_not_allowed',
    });
  });

  it('takes one voucher for a service cheaper than it, and three for 25 €, not four', () => {
    expect(decideRedemption([voucher()], facts({ service: { priceCents: 500 } }))).toEqual({ ok: true, vouchersCents: 1000, holderShareCents: 0 });
    expect(decideRedemption([voucher(), voucher(), voucher()], facts({ service: { priceCents: 2500 } }))).toEqual({ ok: true, vouchersCents: 3000, holderShareCents: 0 });
    expect(decideRedemption([voucher(), voucher(), voucher(), voucher()], facts({ service: { priceCents: 2500 } }))).toMatchObject({ ok: false, reason: 'too_many_vouchers' });
  });

  it('judges vouchers of different values by the smallest one', () => {
    const ten = () => voucher();
    const five = () => voucher({ faceValueCents: 500 });
    // Without the 5 € one, 10 € falls short of 12 €: both are needed.
    expect(decideRedemption([ten(), five()], facts({ service: { priceCents: 1200 } }))).toEqual({ ok: true, vouchersCents: 1500, holderShareCents: 0 });
    // Without the 5 € one, 10 € pays 10 €: the 5 € one is one too many.
    expect(decideRedemption([five(), ten()], facts({ service: { priceCents: 1000 } }))).toEqual({ ok: false, reason: 'too_many_vouchers' });
  });
});
