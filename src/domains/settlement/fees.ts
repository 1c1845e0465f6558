/**
 * The arithmetic of the monthly counter-payment, pure. Amounts are signed integer cents, rates
 * basis points (1/100 of a percent: 300 = 3 %). Rounding is half up, once per redemption, on the
 * total fee first; the fund's share is rounded the same way and the platform keeps the rest, so
 * that platform + fund = total fee exactly (10 € → 40 cents: 30 platform + 10 fund).
 *
 * settle-month.ts computes the same formulas in SQL (integer division of non-negative numbers
 * truncates, so `(a * b + 5000) / 10000` is the half-up rounding of a × b / 10000); fees.test.ts and
 * the settlement tests check that both agree.
 */

export interface FeeRates {
  platformFeeBp: number;
  fundFeeBp: number;
}

export interface RedemptionFees {
  totalFeeCents: number;
  platformFeeCents: number;
  fundFeeCents: number;
}

/** round_half_up(cents × bp / 10000), for non-negative integers. */
export function applyBasisPoints(cents: number, bp: number): number {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new Error(`invalid amount ${cents}`);
  if (!Number.isInteger(bp) || bp < 0 || bp > 10_000) throw new Error(`invalid rate ${bp}`);
  return Math.floor((cents * bp + 5000) / 10_000);
}

/** The fees of one redemption of `grossCents` (the face value of its vouchers). */
export function redemptionFees(grossCents: number, rates: FeeRates): RedemptionFees {
  const totalFeeCents = applyBasisPoints(grossCents, rates.platformFeeBp + rates.fundFeeBp);
  const fundFeeCents = Math.min(applyBasisPoints(grossCents, rates.fundFeeBp), totalFeeCents);
  return { totalFeeCents, platformFeeCents: totalFeeCents - fundFeeCents, fundFeeCents };
}

/** A subscription price excluding VAT, with its VAT (rounded half up) and the total. */
export function withVat(excludingVatCents: number, vatBp: number): { excludingVatCents: number; vatCents: number; includingVatCents: number } {
  const vatCents = applyBasisPoints(excludingVatCents, vatBp);
  return { excludingVatCents, vatCents, includingVatCents: excludingVatCents + vatCents };
}

/** What a payout transfers: never negative (subscriptions are only deducted when covered). */
export function payoutNet(amounts: { grossCents: number; platformFeeCents: number; fundFeeCents: number; subscriptionCents: number; carriedInCents: number }): number {
  return amounts.grossCents - amounts.platformFeeCents - amounts.fundFeeCents - amounts.subscriptionCents + amounts.carriedInCents;
}

/**
 * Which unpaid subscription invoices a payout deducts: the oldest first, as long as what is left
 * of the payout covers the next one; the first that does not fit stops the deduction (it and the
 * later ones are carried over to a later payout). `availableCents` = gross − fees + carried in.
 */
export function invoicesToDeduct<T extends { amountCents: number }>(unpaidOldestFirst: readonly T[], availableCents: number): T[] {
  const taken: T[] = [];
  let left = availableCents;
  for (const invoice of unpaidOldestFirst) {
    if (invoice.amountCents > left) break;
    taken.push(invoice);
    left -= invoice.amountCents;
  }
  return taken;
}

/**
 * The département of an INSEE commune code, whose territorial fund a place's fee goes to: two
 * characters (2A/2B for Corsica), three for the overseas départements and collectivities (97x, 98x).
 */
export function territoryOfInseeCode(inseeCode: string): string {
  return /^9[78]/u.test(inseeCode) ? inseeCode.slice(0, 3) : inseeCode.slice(0, 2);
}
