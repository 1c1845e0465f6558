/** The cast of the settlement tests: a funder's vouchers, places in several territories, their scans. */
import { sql } from 'kysely';
import type { AppContext } from '../../src/app-context.js';
import { saveCatalogueEntry } from '../../src/domains/places/catalogue.js';
import { createPlace, type PlaceInput } from '../../src/domains/places/manage-places.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { parisDay } from '../../src/lib/paris-dates.js';
import type { TestClock } from '../support/context.js';
import { catalogueInput, createPublicPlace, placeInput } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, recorderOf, setClock, type TestFunder } from '../support/voucher-fixtures.js';

export const TERRITORIES = {
  bordeaux: { postcode: '33000', inseeCode: '33063', name: 'Médiathèque de Bordeaux' },
  paris: { postcode: '75011', inseeCode: '75111', name: 'Espace numérique Paris 11' },
  ajaccio: { postcode: '20000', inseeCode: '2A004', name: 'Tiers-lieu d’Ajaccio' },
  reunion: { postcode: '97400', inseeCode: '97411', name: 'Cyberbase de Saint-Denis' },
} as const satisfies Record<string, Partial<PlaceInput> & { name: string }>;

export type Territory = keyof typeof TERRITORIES;

export const IBANS = ['FR1420041010050500013M02606', 'FR7630001007941234567890185', 'DE89370400440532013000'] as const;

/** A qualified provider with a published place (service M01 at 30 €), with bank details or not. */
export async function createPaidProvider(ctx: AppContext, name: string, territory: Territory, bank: { iban: string; bic: string | null } | null) {
  const { provider, place } = await createPublicPlace(ctx, { ...TERRITORIES[territory], name: `${TERRITORIES[territory].name}` }, { services: [{ priceCents: 3000 }] });
  await ctx.db
    .updateTable('organisations')
    .set({ name })
    .where('id', '=', provider.organisation.id)
    .execute();
  if (bank) {
    await ctx.db
      .updateTable('providers')
      .set({ iban: bank.iban, bic: bank.bic, account_holder: name })
      .where('organisation_id', '=', provider.organisation.id)
      .execute();
  }
  return { provider, places: { [territory]: place.id } as Partial<Record<Territory, string>>, name, home: territory };
}

export type PaidProvider = Awaited<ReturnType<typeof createPaidProvider>>;

/** Another published place of the provider, in another territory. */
export async function addPlace(ctx: AppContext, provider: PaidProvider, territory: Territory) {
  const place = await createPlace(ctx, provider.provider.actor, provider.provider.organisation.id, placeInput(TERRITORIES[territory]));
  await saveCatalogueEntry(ctx, provider.provider.actor, provider.provider.organisation.id, place.id, catalogueInput({ priceCents: 3000 }));
  provider.places[territory] = place.id;
}

/** Hands out vouchers one at a time, from booklets issued for the test. */
export class VoucherPurse {
  private codes: string[] = [];
  constructor(
    private readonly ctx: AppContext,
    readonly funder: TestFunder,
    private readonly form: Record<string, string>,
  ) {}

  async take(count: number): Promise<string[]> {
    while (this.codes.length < count) {
      const { booklets } = await activeBooklets(this.ctx, this.funder, { bookletCount: '4', vouchersPerBooklet: '10', ...this.form });
      this.codes.push(...booklets.flatMap((b) => b.codes));
    }
    return this.codes.splice(0, count);
  }
}

export async function createPurse(ctx: AppContext, form: Record<string, string> = {}) {
  return new VoucherPurse(ctx, await createFunder(ctx), form);
}

/** A scan at the provider's place of this territory, now, for a service of `serviceDate` (today by default). */
export async function scan(ctx: AppContext, provider: PaidProvider, territory: Territory, codes: readonly string[], serviceDate?: string) {
  const placeId = provider.places[territory];
  if (!placeId) throw new Error(`${provider.name} has no place in ${territory}`);
  const result = await redeemVouchers(ctx, recorderOf(provider.provider), {
    placeId,
    serviceCode: 'M01',
    serviceDate: serviceDate ?? parisDay(ctx.clock.now()),
    deliveryMode: 'on_site',
    codes,
  });
  if (!result.outcome.ok) throw new Error(`scan refused: ${result.outcome.reason}`);
  return result.outcome.redemption;
}

export { setClock };

export function at(clock: TestClock, instant: string): void {
  setClock(clock, instant);
}

/** Counts of everything a settlement writes, to prove a second run or a refusal wrote nothing. */
export async function moneyRows(ctx: AppContext) {
  const { rows } = await sql<Record<string, number>>`
    select (select count(*) from settlements)::int8 as settlements,
           (select count(*) from payouts)::int8 as payouts,
           (select count(*) from payout_lines)::int8 as payout_lines,
           (select count(*) from payout_batches)::int8 as payout_batches,
           (select count(*) from provider_subscriptions)::int8 as subscriptions,
           (select count(*) from subscription_invoices)::int8 as invoices,
           (select count(*) from journal_entries)::int8 as journal_entries,
           (select coalesce(sum(last_number), 0) from document_counters where series in ('statement', 'subscription_invoice'))::int8 as numbers`.execute(ctx.db);
  return rows[0]!;
}

/** The value of a tag of the SEPA file (first occurrence). */
export function xmlTag(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`, 'u').exec(xml)?.[1];
}

/** The payout of a provider for a month ('YYYY-MM'), if the month was settled with one. */
export async function payoutOf(ctx: AppContext, provider: PaidProvider, month: string) {
  return ctx.db
    .selectFrom('payouts')
    .innerJoin('settlements', 'settlements.id', 'payouts.settlement_id')
    .selectAll('payouts')
    .where('payouts.provider_id', '=', provider.provider.organisation.id)
    .where('settlements.month', '=', `${month}-01`)
    .executeTakeFirst();
}
