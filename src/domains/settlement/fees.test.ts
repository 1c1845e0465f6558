import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBasisPoints, invoicesToDeduct, payoutNet, redemptionFees, territoryOfInseeCode, withVat } from './fees.js';

const RATES = { platformFeeBp: 300, fundFeeBp: 100 };

describe('fees of a redemption', () => {
  it('takes 4 % of 10 €: 30 cents for the platform, 10 for the territorial fund', () => {
    expect(redemptionFees(1000, RATES)).toEqual({ totalFeeCents: 40, platformFeeCents: 30, fundFeeCents: 10 });
    expect(redemptionFees(2000, RATES)).toEqual({ totalFeeCents: 80, platformFeeCents: 60, fundFeeCents: 20 });
  });

  it('rounds half up, the total first, the fund’s share then, the platform keeping the rest', () => {
    // 12,50 €: 4 % = 50 exactly; 1 % = 12.5 → 13; the platform 37.
    expect(redemptionFees(1250, RATES)).toEqual({ totalFeeCents: 50, platformFeeCents: 37, fundFeeCents: 13 });
    // 12,34 €: 4 % = 49.36 → 49; 1 % = 12.34 → 12.
    expect(redemptionFees(1234, RATES)).toEqual({ totalFeeCents: 49, platformFeeCents: 37, fundFeeCents: 12 });
    // 1,25 €: 4 % = 5 ; 1 % = 1.25 → 1.
    expect(redemptionFees(125, RATES)).toEqual({ totalFeeCents: 5, platformFeeCents: 4, fundFeeCents: 1 });
    expect(applyBasisPoints(150, 100)).toBe(2);
    expect(applyBasisPoints(149, 100)).toBe(1);
    expect(redemptionFees(0, RATES)).toEqual({ totalFeeCents: 0, platformFeeCents: 0, fundFeeCents: 0 });
  });

  it('never splits a fee into more or less than its total, whatever the amounts and rates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (gross, platformFeeBp, fundFeeBp) => {
        const fees = redemptionFees(gross, { platformFeeBp, fundFeeBp });
        expect(fees.platformFeeCents + fees.fundFeeCents).toBe(fees.totalFeeCents);
        expect(fees.platformFeeCents).toBeGreaterThanOrEqual(0);
        expect(fees.fundFeeCents).toBeGreaterThanOrEqual(0);
        expect(Math.abs(fees.totalFeeCents - (gross * (platformFeeBp + fundFeeBp)) / 10_000)).toBeLessThanOrEqual(0.5);
      }),
    );
  });

  it('refuses what cannot be an amount or a rate', () => {
    expect(() => applyBasisPoints(-1, 100)).toThrow();
    expect(() => applyBasisPoints(1.5, 100)).toThrow();
    expect(() => applyBasisPoints(100, 10_001)).toThrow();
  });
});

describe('subscriptions', () => {
  it('adds 20 % of VAT, rounded half up', () => {
    expect(withVat(700, 2000)).toEqual({ excludingVatCents: 700, vatCents: 140, includingVatCents: 840 });
    expect(withVat(7700, 2000)).toEqual({ excludingVatCents: 7700, vatCents: 1540, includingVatCents: 9240 });
    expect(withVat(333, 550)).toEqual({ excludingVatCents: 333, vatCents: 18, includingVatCents: 351 });
  });

  it('deducts the oldest invoices while the payout covers them, and stops at the first that does not fit', () => {
    const invoices = [{ amountCents: 840 }, { amountCents: 840 }, { amountCents: 100 }];
    expect(invoicesToDeduct(invoices, 1700)).toEqual([invoices[0], invoices[1]]);
    expect(invoicesToDeduct(invoices, 1680)).toEqual([invoices[0], invoices[1]]);
    expect(invoicesToDeduct(invoices, 839)).toEqual([]);
    expect(invoicesToDeduct(invoices, 5000)).toEqual(invoices);
    // A yearly invoice that does not fit keeps the later, smaller one waiting: oldest first.
    const mixed = [{ amountCents: 840 }, { amountCents: 9240 }, { amountCents: 100 }];
    expect(invoicesToDeduct(mixed, 1000)).toEqual([mixed[0]]);
  });

  it('keeps every net non-negative and exact: net + fees + subscription = gross + carried in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 100, max: 10_000 }), { minLength: 0, maxLength: 30 }),
        fc.array(fc.constantFrom(840, 9240), { maxLength: 4 }),
        fc.integer({ min: 0, max: 50_000 }),
        (lines, unpaid, carriedInCents) => {
          const fees = lines.map((gross) => redemptionFees(gross, RATES));
          const grossCents = lines.reduce((s, g) => s + g, 0);
          const platformFeeCents = fees.reduce((s, f) => s + f.platformFeeCents, 0);
          const fundFeeCents = fees.reduce((s, f) => s + f.fundFeeCents, 0);
          const available = grossCents - platformFeeCents - fundFeeCents + carriedInCents;
          const subscriptionCents = invoicesToDeduct(unpaid.map((amountCents) => ({ amountCents })), available).reduce((s, i) => s + i.amountCents, 0);
          const net = payoutNet({ grossCents, platformFeeCents, fundFeeCents, subscriptionCents, carriedInCents });
          expect(net).toBeGreaterThanOrEqual(0);
          expect(net + platformFeeCents + fundFeeCents + subscriptionCents).toBe(grossCents + carriedInCents);
        },
      ),
    );
  });
});

describe('the territory of a place', () => {
  it('is the département of its commune: 2 characters, 2A/2B in Corsica, 3 overseas', () => {
    expect(territoryOfInseeCode('33063')).toBe('33');
    expect(territoryOfInseeCode('75111')).toBe('75');
    expect(territoryOfInseeCode('2A004')).toBe('2A');
    expect(territoryOfInseeCode('2B033')).toBe('2B');
    expect(territoryOfInseeCode('97411')).toBe('974');
    expect(territoryOfInseeCode('97611')).toBe('976');
    expect(territoryOfInseeCode('98818')).toBe('988');
  });
});
