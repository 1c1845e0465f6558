import type { AppContext } from '../../app-context.js';
import { addMonths, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import { loadReferential } from '../referential/publish-referential.js';
import { formatVoucherCode, hashVoucherCode, parseVoucherCode, voucherKeys, type CodeProblem } from './codes.js';
import { describeOrderRules } from './describe-order.js';
import { assertUnderRefusalLimit, lockVouchers, type Recorder } from './redeem-vouchers.js';
import { SCAN_TOLERANCE_MONTHS, voucherState, type OrderRules, type VoucherState } from './rules.js';

/**
 * Looking at vouchers without spending them: the scan page shows each voucher's state before the
 * mediator confirms, and the holder's page (/mon-pass) tells whether a voucher is valid, until
 * when, and where. Same rules as the counter (rules.ts).
 */

export interface VoucherCheck {
  code: string;
  state: VoucherState;
  faceValueCents: number;
  validFrom: IsoDate;
  validUntil: IsoDate;
  /** Last day a service delivered in time can still be scanned. */
  lastScanDay: IsoDate;
  rules: string[];
  order: OrderRules;
  /** The day of the service it paid, when used. */
  usedOn: IsoDate | null;
}

export type PreviewLine = { input: string; problem: CodeProblem | 'voucher_unknown' } | { input: string; voucher: VoucherCheck };

async function checkHashes(ctx: AppContext, hashes: Buffer[]) {
  const vouchers = await lockVouchers(ctx.db, hashes, false);
  const usedOn = new Map<string, IsoDate>();
  const redeemedIds = [...vouchers.byId.values()].filter((v) => v.redeemed).map((v) => v.id);
  if (redeemedIds.length > 0) {
    const rows = await ctx.db
      .selectFrom('vouchers')
      .innerJoin('redemptions', 'redemptions.id', 'vouchers.redemption_id')
      .select(['vouchers.id', 'redemptions.service_date'])
      .where('vouchers.id', 'in', redeemedIds)
      .execute();
    for (const row of rows) usedOn.set(row.id, row.service_date);
  }
  const referential = await loadReferential(ctx.db);
  const now = ctx.clock.now();
  return (hash: Buffer, code: string): VoucherCheck | undefined => {
    const voucher = vouchers.byHash.get(hash.toString('hex'));
    if (!voucher) return undefined;
    const order = voucher.order;
    return {
      code,
      state: voucherState(voucher, now),
      faceValueCents: voucher.faceValueCents,
      validFrom: order.validFrom,
      validUntil: order.validUntil,
      lastScanDay: addMonths(order.validUntil, SCAN_TOLERANCE_MONTHS),
      rules: describeOrderRules(
        {
          territory: order.territory,
          service_levels: order.serviceLevels,
          service_codes: order.serviceCodes,
          place_types: order.placeTypes,
          holder_share_allowed: order.holderShareAllowed,
          delivery_modes: order.deliveryModes,
        },
        referential,
      ),
      order,
      usedOn: usedOn.get(voucher.id) ?? null,
    };
  };
}

/**
 * For the scan page: each code typed or scanned, with its state. Unknown codes count as refused
 * attempts (they are what guessing looks like), so the same limit applies as at the counter.
 */
export async function previewVouchers(ctx: AppContext, recorder: Recorder, inputs: readonly string[], placeId: string | null): Promise<PreviewLine[]> {
  const keys = voucherKeys(ctx.config);
  const now = ctx.clock.now();
  await assertUnderRefusalLimit(ctx.db, recorder, placeId, now, ctx.config.redemptionFailuresMax);
  const parsed = inputs.slice(0, 20).map((input) => ({ input, parsed: parseVoucherCode(input) }));
  const hashes = parsed.flatMap((p) => (p.parsed.ok ? [hashVoucherCode(keys, p.parsed.code)] : []));
  const find = await checkHashes(ctx, hashes);
  const lines: PreviewLine[] = [];
  let unknown = 0;
  for (const { input, parsed: p } of parsed) {
    if (!p.ok) {
      lines.push({ input, problem: p.problem });
      continue;
    }
    const voucher = find(hashVoucherCode(keys, p.code), formatVoucherCode(p.code));
    if (voucher) lines.push({ input, voucher });
    else {
      unknown++;
      lines.push({ input, problem: 'voucher_unknown' });
    }
  }
  if (unknown > 0) {
    await ctx.db
      .insertInto('redemption_refusals')
      .values(
        Array.from({ length: unknown }, () => ({
          provider_id: recorder.providerId,
          place_id: placeId,
          voucher_id: null,
          reason: 'voucher_unknown',
          recorded_by_user: recorder.userId,
          recorded_by_token: recorder.tokenId,
          created_at: now,
        })),
      )
      .execute();
  }
  return lines;
}

/** For the holder's page: one code, its state and rules; nothing about who holds it. */
export async function checkVoucherForHolder(ctx: AppContext, input: string): Promise<VoucherCheck> {
  const parsed = parseVoucherCode(input);
  if (!parsed.ok) throw new DomainError(parsed.problem, 'code');
  const hash = hashVoucherCode(voucherKeys(ctx.config), parsed.code);
  const voucher = (await checkHashes(ctx, [hash]))(hash, formatVoucherCode(parsed.code));
  if (!voucher) throw new DomainError('voucher_unknown', 'code');
  return voucher;
}
