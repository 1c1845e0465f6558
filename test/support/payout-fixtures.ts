import { createHash } from 'node:crypto';
import type { AppContext } from '../../src/app-context.js';
import type { PayoutStatus } from '../../src/db/schema.js';
import { formatDocumentNumber, nextDocumentNumber } from '../../src/domains/numbering/document-numbers.js';
import { buildPain001 } from '../../src/domains/settlement/sepa.js';
import { redemptionFees } from '../../src/domains/settlement/fees.js';
import { scansUntil, transferDateFor } from '../../src/domains/settlement/statements.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { addMonths, parisDay } from '../../src/lib/paris-dates.js';
import type { TestClock, TestContext } from './context.js';
import { createPublicPlace } from './places-fixtures.js';
import { activeBooklets, createFunder } from './voucher-fixtures.js';

/**
 * Settled months written straight into the tables, as the settlement leaves them: a settlement
 * row, one payout per provider with its lines (fees per line as fees.ts computes them), gapless statement numbers and,
 * unless told otherwise, a batch with its pain.001 file. For the tests of what reads them
 * (statements, pages), independent of the settlement's own code.
 */

export const TEST_PROVIDER_IBAN = 'FR1420041010050500013M02606';

export interface FixtureSubscription {
  providerId: string;
  excludingVatCents: number;
  vatCents: number;
}

export interface FixturePayout {
  id: string;
  providerId: string;
  statementNumber: string;
  grossCents: number;
  platformFeeCents: number;
  fundFeeCents: number;
  subscriptionCents: number;
  carriedInCents: number;
  netCents: number;
  redemptionIds: string[];
}

export async function insertSettledMonth(
  ctx: AppContext,
  month: string,
  options: { batch?: boolean; status?: PayoutStatus; subscriptions?: FixtureSubscription[]; retries?: { payoutId: string; providerId: string; cents: number }[] } = {},
): Promise<{ settlementId: string; batchId: string | null; payouts: FixturePayout[] }> {
  const now = ctx.clock.now();
  const { platformFeeBp, fundFeeBp, subscriptionMonthlyCents, subscriptionYearlyCents, vatBp, payoutDay, debtor } = ctx.config.money;
  const next = addMonths(month, 1);
  const year = Number(parisDay(now).slice(0, 4));
  return ctx.db.transaction().execute(async (trx) => {
    const until = await scansUntil(trx, ctx.config, month);
    const settlement = await trx
      .insertInto('settlements')
      .values({
        month,
        platform_fee_bp: platformFeeBp,
        fund_fee_bp: fundFeeBp,
        scans_until: until,
        subscription_monthly_cents: subscriptionMonthlyCents,
        subscription_yearly_cents: subscriptionYearlyCents,
        vat_bp: vatBp,
        status: 'running',
        started_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const redemptions = await trx
      .selectFrom('redemptions')
      .innerJoin('places', 'places.id', 'redemptions.place_id')
      .select(['redemptions.id', 'redemptions.provider_id', 'redemptions.vouchers_cents', 'places.insee_code'])
      .where('redemptions.service_date', '<', next)
      .where('redemptions.created_at', '<', until)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('payout_lines').select('payout_lines.redemption_id').whereRef('payout_lines.redemption_id', '=', 'redemptions.id'))))
      .orderBy('redemptions.service_date')
      .orderBy('redemptions.id')
      .execute();
    const byProvider = new Map<string, typeof redemptions>();
    for (const row of redemptions) byProvider.set(row.provider_id, [...(byProvider.get(row.provider_id) ?? []), row]);
    for (const extra of [...(options.subscriptions ?? []), ...(options.retries ?? [])]) if (!byProvider.has(extra.providerId)) byProvider.set(extra.providerId, []);

    const payouts: FixturePayout[] = [];
    for (const [providerId, lines] of [...byProvider].sort(([a], [b]) => a.localeCompare(b))) {
      const provider = await trx.selectFrom('providers').innerJoin('organisations', 'organisations.id', 'providers.organisation_id').select(['organisations.name', 'providers.iban', 'providers.bic', 'providers.account_holder']).where('organisation_id', '=', providerId).executeTakeFirstOrThrow();
      const fees = lines.map((line) => {
        const fee = redemptionFees(line.vouchers_cents, { platformFeeBp, fundFeeBp });
        return { ...line, platform: fee.platformFeeCents, fund: fee.fundFeeCents };
      });
      const grossCents = fees.reduce((sum, line) => sum + line.vouchers_cents, 0);
      const platformFeeCents = fees.reduce((sum, line) => sum + line.platform, 0);
      const fundFeeCents = fees.reduce((sum, line) => sum + line.fund, 0);
      const subscription = options.subscriptions?.find((s) => s.providerId === providerId);
      const subscriptionCents = subscription ? subscription.excludingVatCents + subscription.vatCents : 0;
      const retry = options.retries?.find((r) => r.providerId === providerId);
      const carriedInCents = retry?.cents ?? 0;
      const netCents = grossCents - platformFeeCents - fundFeeCents - subscriptionCents + carriedInCents;
      const statementNumber = formatDocumentNumber('R', year, await nextDocumentNumber(trx, 'statement', year));
      const payout = await trx
        .insertInto('payouts')
        .values({
          settlement_id: settlement.id,
          provider_id: providerId,
          statement_number: statementNumber,
          gross_cents: grossCents,
          platform_fee_cents: platformFeeCents,
          fund_fee_cents: fundFeeCents,
          subscription_cents: subscriptionCents,
          carried_in_cents: carriedInCents,
          net_cents: netCents,
          iban: provider.iban ?? TEST_PROVIDER_IBAN,
          bic: provider.bic,
          account_holder: provider.account_holder ?? provider.name,
          end_to_end_id: statementNumber,
          status: netCents === 0 ? 'nothing_to_pay' : 'pending',
          retries_payout_id: retry?.payoutId ?? null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (fees.length > 0) {
        await trx
          .insertInto('payout_lines')
          .values(fees.map((line) => ({ redemption_id: line.id, payout_id: payout.id, gross_cents: line.vouchers_cents, platform_fee_cents: line.platform, fund_fee_cents: line.fund, territory: (line.insee_code ?? '33').slice(0, 2) })))
          .execute();
      }
      if (subscription) {
        const number = formatDocumentNumber('A', year, await nextDocumentNumber(trx, 'subscription_invoice', year));
        await trx
          .insertInto('subscription_invoices')
          .values({
            provider_id: providerId,
            number,
            period_start: month,
            period_end: addMonths(month, 1),
            amount_excl_vat_cents: subscription.excludingVatCents,
            vat_cents: subscription.vatCents,
            amount_incl_vat_cents: subscriptionCents,
            paid_by_payout_id: payout.id,
            created_at: now,
          })
          .execute();
      }
      payouts.push({ id: payout.id, providerId, statementNumber, grossCents, platformFeeCents, fundFeeCents, subscriptionCents, carriedInCents, netCents, redemptionIds: lines.map((line) => line.id) });
    }

    let batchId: string | null = null;
    const payable = payouts.filter((payout) => payout.netCents > 0);
    if (options.batch !== false && payable.length > 0) {
      const messageId = `PASSNUM-${month.slice(0, 7)}-1`;
      const requestedOn = transferDateFor(month, payoutDay, now);
      const file = buildPain001({
        messageId,
        createdAt: now,
        requestedOn,
        debtor,
        payments: await Promise.all(
          payable.map(async (payout) => {
            const row = await trx.selectFrom('payouts').select(['iban', 'bic', 'account_holder']).where('id', '=', payout.id).executeTakeFirstOrThrow();
            return { endToEndId: payout.statementNumber, amountCents: payout.netCents, creditor: { name: row.account_holder!, iban: row.iban!, bic: row.bic }, remittance: `pass numerique ${month.slice(0, 7)} ${payout.statementNumber}` };
          }),
        ),
      });
      const batch = await trx
        .insertInto('payout_batches')
        .values({
          settlement_id: settlement.id,
          message_id: messageId,
          transactions: file.transactions,
          control_sum_cents: file.controlSumCents,
          requested_on: requestedOn,
          file_name: `${messageId}.xml`,
          file_sha256: createHash('sha256').update(file.xml).digest('hex'),
          xml: file.xml,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      batchId = batch.id;
      await trx
        .updateTable('payouts')
        .set({ batch_id: batch.id, status: options.status ?? 'file_generated', updated_at: now })
        .where('id', 'in', payable.map((payout) => payout.id))
        .execute();
    }
    const totals = payouts.reduce(
      (sum, p) => ({ gross: sum.gross + p.grossCents, platform: sum.platform + p.platformFeeCents, fund: sum.fund + p.fundFeeCents, subscription: sum.subscription + p.subscriptionCents, net: sum.net + p.netCents, lines: sum.lines + p.redemptionIds.length }),
      { gross: 0, platform: 0, fund: 0, subscription: 0, net: 0, lines: 0 },
    );
    await trx
      .updateTable('settlements')
      .set({
        status: 'done',
        completed_at: now,
        redemptions: totals.lines,
        gross_cents: totals.gross,
        platform_fee_cents: totals.platform,
        fund_fee_cents: totals.fund,
        subscription_cents: totals.subscription,
        net_cents: totals.net,
      })
      .where('id', '=', settlement.id)
      .execute();
    return { settlementId: settlement.id, batchId, payouts };
  });
}

/** The bank rejected this payout (as the operator records it). */
export async function markRejected(ctx: AppContext, payoutId: string, reason = 'Compte clos (AC04)'): Promise<void> {
  await ctx.db.updateTable('payouts').set({ status: 'rejected', rejected_reason: reason, updated_at: ctx.clock.now() }).where('id', '=', payoutId).execute();
}

/** A subscription invoice not yet deducted (carried over). */
export async function insertCarriedSubscription(ctx: AppContext, providerId: string, periodStart: string, excludingVatCents = 700, vatCents = 140): Promise<string> {
  const year = Number(parisDay(ctx.clock.now()).slice(0, 4));
  return ctx.db.transaction().execute(async (trx) => {
    const number = formatDocumentNumber('A', year, await nextDocumentNumber(trx, 'subscription_invoice', year));
    await trx
      .insertInto('subscription_invoices')
      .values({ provider_id: providerId, number, period_start: periodStart, period_end: addMonths(periodStart, 1), amount_excl_vat_cents: excludingVatCents, vat_cents: vatCents, amount_incl_vat_cents: excludingVatCents + vatCents, paid_by_payout_id: null, created_at: ctx.clock.now() })
      .execute();
    return number;
  });
}

// ---------------------------------------------------------------------------------------------
// A small world with money in it

/** Moves a test clock to this exact instant (forwards or backwards). */
export function moveClock(clock: TestClock, instant: string): void {
  const target = new Date(instant).getTime();
  clock.advanceMinutes((target - clock.now().getTime()) / 60_000);
}

async function redeem(ctx: AppContext, provider: TestPlace, codes: string[], serviceDate: string): Promise<string> {
  const result = await redeemVouchers(
    ctx,
    { providerId: provider.provider.organisation.id, userId: provider.provider.admin.id, tokenId: null },
    { placeId: provider.place.id, serviceCode: 'M01', serviceDate, deliveryMode: 'on_site', codes },
  );
  if (!result.outcome.ok) throw new Error(`redemption refused: ${result.outcome.reason}`);
  return result.outcome.redemption.id;
}

type TestPlace = Awaited<ReturnType<typeof createPublicPlace>>;

/**
 * Two funders (A with two orders, B with one, all billed on use), two providers in two communes,
 * and services from March to April 2026 (clock moved along):
 *
 *   10 March   lac       A1#1                  10 €
 *   20 March   lac       A1#2 + A2#1           20 € (one service paid by two orders)
 *   25 March   merignac  B1#1                  10 €
 *   3 April    lac       A1#3 dated 31 March   10 € (late scan, within the grace day)
 *   3 April    lac       A2#2 dated 3 April    10 €
 *
 * The clock is left on 3 April 2026, 10:00 Paris.
 */
export async function buildMoneyWorld(t: TestContext) {
  moveClock(t.clock, '2026-03-02T09:00:00Z');
  const funderA = await createFunder(t.ctx);
  const funderB = await createFunder(t.ctx);
  const a1 = await activeBooklets(t.ctx, funderA);
  const a2 = await activeBooklets(t.ctx, funderA);
  const b1 = await activeBooklets(t.ctx, funderB);
  const lac = await createPublicPlace(t.ctx, { name: 'Médiathèque du Lac' }, { services: [{ serviceCode: 'M01', priceCents: 2000 }] });
  const merignac = await createPublicPlace(t.ctx, { name: 'Espace numérique & Cie', postcode: '33700', inseeCode: '33281', latitude: 44.84, longitude: -0.65 });
  await t.ctx.db
    .updateTable('providers')
    .set({ iban: TEST_PROVIDER_IBAN, bic: 'PSSTFRPPBOR', account_holder: 'Association Médiathèque du Lac' })
    .where('organisation_id', '=', lac.provider.organisation.id)
    .execute();
  const code = (order: typeof a1, index: number) => order.booklets.flatMap((booklet) => booklet.codes)[index]!;

  moveClock(t.clock, '2026-03-10T10:00:00Z');
  const r1 = await redeem(t.ctx, lac, [code(a1, 0)], '2026-03-10');
  moveClock(t.clock, '2026-03-20T10:00:00Z');
  const r2 = await redeem(t.ctx, lac, [code(a1, 1), code(a2, 0)], '2026-03-20');
  moveClock(t.clock, '2026-03-25T10:00:00Z');
  const r3 = await redeem(t.ctx, merignac, [code(b1, 0)], '2026-03-25');
  moveClock(t.clock, '2026-04-03T08:00:00Z');
  const r4 = await redeem(t.ctx, lac, [code(a1, 2)], '2026-03-31');
  const r5 = await redeem(t.ctx, lac, [code(a2, 1)], '2026-04-03');
  return { funderA, funderB, a1, a2, b1, lac, merignac, code, redemptions: { r1, r2, r3, r4, r5 }, redeem: (place: TestPlace, codes: string[], day: string) => redeem(t.ctx, place, codes, day) };
}

export type MoneyWorld = Awaited<ReturnType<typeof buildMoneyWorld>>;
