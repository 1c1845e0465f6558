import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../app-context.js';
import type { Actor } from '../domains/actor.js';
import { formatBookletNumber, formatVoucherCode, unsealVoucherCode, voucherKeys } from '../domains/vouchers/codes.js';
import { allocateBooklets, cancelBooklet, handOutBooklet } from '../domains/vouchers/distribution.js';
import { issueOrder } from '../domains/vouchers/issue-vouchers.js';
import { orderForm } from '../domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../domains/vouchers/orders.js';
import { redeemVouchers } from '../domains/vouchers/redeem-vouchers.js';
import type { VoucherState } from '../domains/vouchers/rules.js';
import { addDays, addMonths, parisDay } from '../lib/paris-dates.js';

/**
 * The vouchers of the demo world, made through the same use cases as the pages: orders at every
 * step of their lifecycle, and vouchers in every state (usable, not yet handed out, cancelled,
 * used, expired, not yet valid, restricted to another territory). Their codes go to a file of the
 * data directory (never to the logs), to try /mon-pass and the scan page.
 */

export interface DemoCast {
  funder: Actor & { organisationId: string };
  distributor: Actor & { organisationId: string };
  operator: Actor;
  provider: { organisationId: string; userId: string; placeId: string };
}

export interface DemoVoucher {
  state: VoucherState | 'outside_territory';
  code: string;
  note: string;
}

export async function loadDemoVouchers(ctx: AppContext, cast: DemoCast): Promise<DemoVoucher[]> {
  const today = parisDay(ctx.clock.now());
  const funderId = cast.funder.organisationId;
  const distributorId = cast.distributor.organisationId;
  await linkDemoDistributor(ctx, cast);

  const order = async (form: Record<string, string | string[]>, until: 'draft' | 'confirmed' | 'issued') => {
    const draft = await saveDraftOrder(ctx, cast.funder, funderId, orderForm.parse(form));
    if (until === 'draft') return draft;
    const confirmed = await confirmOrder(ctx, cast.funder, funderId, draft.id);
    if (until === 'confirmed') return confirmed;
    await (confirmed.funding_mode === 'prepaid'
      ? commitOrder(ctx, cast.operator, { orderId: draft.id, reference: 'VIR-DEMO-2026-001', by: { kind: 'operator' } })
      : commitOrder(ctx, cast.funder, { orderId: draft.id, reference: 'EJ-33-2026-0042', by: { kind: 'funder', funderId } }));
    return issueOrder(ctx, cast.funder, { orderId: draft.id, funderId });
  };

  // The main order: Gironde only, handed out by the CCAS, billed on use.
  const main = await order(
    { label: 'Pass numérique Gironde 2026', bookletCount: '20', vouchersPerBooklet: '10', fundingMode: 'billed_on_use', territory: '33', deliveryModes: ['remote'] },
    'issued',
  );
  // Paid in advance, restricted to Paris, usable as soon as issued.
  const paris = await order(
    { label: 'Agents parisiens en mobilité', bookletCount: '2', vouchersPerBooklet: '5', fundingMode: 'prepaid', territory: '75', activation: 'on_issue' },
    'issued',
  );
  // Last year's campaign, past its tolerance month: its vouchers are expired.
  const past = await order(
    {
      label: 'Campagne 2025',
      bookletCount: '1',
      vouchersPerBooklet: '5',
      fundingMode: 'billed_on_use',
      activation: 'on_issue',
      validFrom: addMonths(today, -14),
      validUntil: addMonths(today, -3),
    },
    'issued',
  );
  // Next semester's campaign: valid from next month.
  const next = await order(
    { label: 'Campagne du printemps', bookletCount: '1', vouchersPerBooklet: '5', fundingMode: 'billed_on_use', activation: 'on_issue', validFrom: addDays(addMonths(today, 1), 0) },
    'issued',
  );
  await order({ label: 'Commande à compléter', bookletCount: '50', vouchersPerBooklet: '10', fundingMode: 'prepaid', territory: '243300316' }, 'draft');
  await order({ label: 'Commande en attente de virement', bookletCount: '10', vouchersPerBooklet: '10', fundingMode: 'prepaid', territory: '33' }, 'confirmed');

  await allocateBooklets(ctx, cast.funder, { funderId, orderId: main.id, distributorId, count: 6 });
  const codes = await codesOf(ctx, [main.id, paris.id, past.id, next.id]);
  const mainBooklets = codes.get(main.id)!;
  for (const booklet of mainBooklets.slice(0, 4)) {
    await handOutBooklet(ctx, cast.distributor, { distributorId, number: booklet.number, publicAge: '60_74', publicSituation: 'retired' });
  }
  await cancelBooklet(ctx, cast.distributor, { organisationId: distributorId, number: mainBooklets[3]!.number, reason: 'stolen' });

  const recorder = { providerId: cast.provider.organisationId, userId: cast.provider.userId, tokenId: null };
  const redeem = async (serviceCode: string, voucherCodes: string[]) => {
    const { outcome } = await redeemVouchers(ctx, recorder, {
      placeId: cast.provider.placeId,
      serviceCode,
      serviceDate: today,
      deliveryMode: 'on_site',
      codes: voucherCodes,
      publicAge: '60_74',
    });
    if (!outcome.ok) throw new Error(`demo redemption refused: ${outcome.reason}`);
  };
  await redeem('D01', [mainBooklets[0]!.codes[0]!]);
  await redeem('M11', [mainBooklets[0]!.codes[1]!, mainBooklets[0]!.codes[2]!]);
  await redeem('M01', [mainBooklets[1]!.codes[0]!]);

  const vouchers: DemoVoucher[] = [
    { state: 'usable', code: mainBooklets[0]!.codes[3]!, note: `carnet ${mainBooklets[0]!.number} remis, valable en Gironde` },
    { state: 'usable', code: mainBooklets[2]!.codes[0]!, note: `carnet ${mainBooklets[2]!.number} remis, valable en Gironde` },
    { state: 'used', code: mainBooklets[0]!.codes[0]!, note: 'utilisé aujourd’hui aux Clés du numérique' },
    { state: 'not_active', code: mainBooklets[4]!.codes[0]!, note: `carnet ${mainBooklets[4]!.number} confié au CCAS, pas encore remis` },
    { state: 'cancelled', code: mainBooklets[3]!.codes[0]!, note: `carnet ${mainBooklets[3]!.number} déclaré volé` },
    { state: 'outside_territory', code: codes.get(paris.id)![0]!.codes[0]!, note: 'valable seulement à Paris : refusé à Bordeaux' },
    { state: 'expired', code: codes.get(past.id)![0]!.codes[0]!, note: 'campagne 2025, échue' },
    { state: 'not_yet_valid', code: codes.get(next.id)![0]!.codes[0]!, note: 'valable à partir du mois prochain' },
  ];
  return vouchers;
}

/** The CCAS distributes the funder's booklets (once: the demo's past may have linked them already). */
export async function linkDemoDistributor(ctx: AppContext, cast: DemoCast): Promise<void> {
  await ctx.db
    .insertInto('funder_distributors')
    .values({ funder_id: cast.funder.organisationId, distributor_id: cast.distributor.organisationId, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['funder_id', 'distributor_id']).doNothing())
    .execute();
}

/** The codes of each order's vouchers, by booklet in their order, as printed. */
export async function codesOf(ctx: AppContext, orderIds: string[]) {
  const keys = voucherKeys(ctx.config);
  const rows = await ctx.db
    .selectFrom('vouchers')
    .innerJoin('booklets', 'booklets.id', 'vouchers.booklet_id')
    .select(['vouchers.order_id', 'booklets.number', 'vouchers.code_sealed'])
    .where('vouchers.order_id', 'in', orderIds)
    .orderBy('booklets.position')
    .orderBy('vouchers.position')
    .execute();
  const byOrder = new Map<string, { number: string; codes: string[] }[]>();
  for (const row of rows) {
    const booklets = byOrder.get(row.order_id) ?? [];
    const number = formatBookletNumber(row.number);
    let booklet = booklets.at(-1);
    if (booklet?.number !== number) booklets.push((booklet = { number, codes: [] }));
    booklet.codes.push(formatVoucherCode(unsealVoucherCode(keys, row.code_sealed)));
    byOrder.set(row.order_id, booklets);
  }
  return byOrder;
}

/** Writes the demo codes next to the database: a file to read, never a log line. */
export async function writeDemoVouchersFile(dataDir: string, vouchers: DemoVoucher[]): Promise<string> {
  const file = path.join(dataDir, 'demo-cheques.txt');
  await mkdir(dataDir, { recursive: true });
  const lines = [
    'Chèques du monde de démonstration passnum (à essayer sur /mon-pass et, connecté comme lieu@demo.passnum.fr, sur /structure/encaisser) :',
    '',
    ...vouchers.map((v) => `${v.code}  ${v.state.padEnd(18)} ${v.note}`),
    '',
  ];
  await writeFile(file, lines.join('\n'), { mode: 0o600 });
  return file;
}
