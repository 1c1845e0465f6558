import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { parisDay } from '../../lib/paris-dates.js';
import { postEntry, type EntryLine, type NewEntry } from './post-entry.js';

/**
 * The entry of each money event, written in the transaction of the business change. Debit
 * positive, credit negative. How the money flows (DOMAIN.md):
 *
 *   funder pays a prepaid order      bank +           funder_balance −
 *   order issued (either mode)       funder_balance + vouchers_outstanding(order) −
 *   voucher redeemed                 vouchers_outstanding(order) + provider_payable −
 *   settlement, per payout           provider_payable + (gross + carried in)
 *                                    platform_fees −, territorial_fund(dép.) −,
 *                                    subscriptions_receivable − (deducted), payouts_in_transit − (net)
 *   subscription invoiced            subscriptions_receivable + (incl. VAT), subscription_revenue −, vat_collected −
 *   payout settled by the bank       payouts_in_transit +, bank −
 *   payout rejected                  payouts_in_transit +, provider_payable −  (paid again next month)
 *   unused vouchers at expiry        vouchers_outstanding(order) +, funder_balance −  (credit note)
 *   funder billed on use pays        bank +, funder_balance −
 *
 * For a prepaid order the funder's balance goes from credit (paid) to zero (issued); for an order
 * billed on use it goes into debit at issue and back to zero as used vouchers are paid and unused
 * ones credited. So for each order: issued = used + expired + outstanding.
 */

export async function postOrderPaid(trx: Kysely<DB>, order: { id: string; number: number; funderId: string; amountCents: number; reference: string }, now: Date) {
  return postEntry(
    trx,
    {
      journal: 'BQ',
      kind: 'order_paid',
      label: `Paiement de la commande CMD-${String(order.number).padStart(6, '0')}`,
      bookedOn: parisDay(now),
      pieceRef: order.reference || `CMD-${order.number}`,
      orderId: order.id,
      lines: [
        { account: { kind: 'bank' }, amountCents: order.amountCents },
        { account: { kind: 'funder_balance', funderId: order.funderId }, amountCents: -order.amountCents },
      ],
    },
    now,
  );
}

export async function postOrderIssued(trx: Kysely<DB>, order: { id: string; number: number; funderId: string; amountCents: number }, now: Date) {
  return postEntry(
    trx,
    {
      journal: 'VT',
      kind: 'order_issued',
      label: `Émission des chèques de la commande CMD-${String(order.number).padStart(6, '0')}`,
      bookedOn: parisDay(now),
      pieceRef: `CMD-${String(order.number).padStart(6, '0')}`,
      orderId: order.id,
      lines: [
        { account: { kind: 'funder_balance', funderId: order.funderId }, amountCents: order.amountCents },
        { account: { kind: 'vouchers_outstanding', orderId: order.id, funderId: order.funderId }, amountCents: -order.amountCents },
      ],
    },
    now,
  );
}

export interface RedemptionMoney {
  id: string;
  providerId: string;
  serviceDate: string;
  byOrder: readonly { orderId: string; funderId: string; cents: number }[];
}

/** One redemption; its vouchers may come from several orders (one debit line per order). */
export function redemptionEntryLines(redemption: RedemptionMoney): EntryLine[] {
  const total = redemption.byOrder.reduce((sum, part) => sum + part.cents, 0);
  return [
    ...redemption.byOrder.map((part) => ({ account: { kind: 'vouchers_outstanding' as const, orderId: part.orderId, funderId: part.funderId }, amountCents: part.cents })),
    { account: { kind: 'provider_payable', providerId: redemption.providerId }, amountCents: -total },
  ];
}

/** The entry of a redemption (vouchers/redemption-batch.ts posts a batch's entries in one statement). */
export function redemptionEntry(redemption: RedemptionMoney, now: Date): NewEntry {
  return {
    journal: 'EN',
    kind: 'redemption',
    label: `Chèques encaissés (service du ${redemption.serviceDate})`,
    bookedOn: parisDay(now),
    pieceRef: redemption.id,
    redemptionId: redemption.id,
    lines: redemptionEntryLines(redemption),
  };
}

export interface PayoutAmounts {
  statementNumber: string;
  providerId: string;
  grossCents: number;
  platformFeeCents: number;
  /** Territorial fund by département. */
  fundFeeByTerritory: ReadonlyMap<string, number>;
  subscriptionCents: number;
  carriedInCents: number;
  netCents: number;
}

/** The entry of a payout (settlement/settle-month.ts writes them in bulk with postEntries). */
export function payoutEntry(payout: PayoutAmounts, bookedOn: string): NewEntry {
  const lines: EntryLine[] = [
    { account: { kind: 'provider_payable', providerId: payout.providerId }, amountCents: payout.grossCents + payout.carriedInCents },
    { account: { kind: 'platform_fees' }, amountCents: -payout.platformFeeCents },
    ...[...payout.fundFeeByTerritory].map(([territory, cents]) => ({ account: { kind: 'territorial_fund' as const, territory }, amountCents: -cents })),
    { account: { kind: 'subscriptions_receivable', providerId: payout.providerId }, amountCents: -payout.subscriptionCents },
    { account: { kind: 'payouts_in_transit' }, amountCents: -payout.netCents },
  ];
  return { journal: 'RE', kind: 'payout', label: `Relevé ${payout.statementNumber}`, bookedOn, pieceRef: payout.statementNumber, lines };
}

export async function postPayout(trx: Kysely<DB>, payout: PayoutAmounts, bookedOn: string, now: Date) {
  return postEntry(trx, payoutEntry(payout, bookedOn), now);
}

export interface SubscriptionInvoiceAmounts {
  number: string;
  providerId: string;
  excludingVatCents: number;
  vatCents: number;
}

/** The entry of a subscription invoice (written in bulk by the settlement with postEntries). */
export function subscriptionInvoiceEntry(invoice: SubscriptionInvoiceAmounts, bookedOn: string): NewEntry {
  return {
    journal: 'VT',
    kind: 'subscription_invoice',
    label: `Abonnement, facture ${invoice.number}`,
    bookedOn,
    pieceRef: invoice.number,
    lines: [
      { account: { kind: 'subscriptions_receivable', providerId: invoice.providerId }, amountCents: invoice.excludingVatCents + invoice.vatCents },
      { account: { kind: 'subscription_revenue' }, amountCents: -invoice.excludingVatCents },
      { account: { kind: 'vat_collected' }, amountCents: -invoice.vatCents },
    ],
  };
}

export async function postSubscriptionInvoice(trx: Kysely<DB>, invoice: SubscriptionInvoiceAmounts, bookedOn: string, now: Date) {
  return postEntry(trx, subscriptionInvoiceEntry(invoice, bookedOn), now);
}

export async function postPayoutSettled(trx: Kysely<DB>, payout: { statementNumber: string; netCents: number }, now: Date) {
  return postEntry(
    trx,
    {
      journal: 'BQ',
      kind: 'payout_settled',
      label: `Virement exécuté, relevé ${payout.statementNumber}`,
      bookedOn: parisDay(now),
      pieceRef: payout.statementNumber,
      lines: [
        { account: { kind: 'payouts_in_transit' }, amountCents: payout.netCents },
        { account: { kind: 'bank' }, amountCents: -payout.netCents },
      ],
    },
    now,
  );
}

export async function postPayoutRejected(trx: Kysely<DB>, payout: { statementNumber: string; providerId: string; netCents: number; reason: string }, now: Date) {
  return postEntry(
    trx,
    {
      journal: 'BQ',
      kind: 'payout_rejected',
      label: `Virement rejeté (${payout.reason.slice(0, 100)}), relevé ${payout.statementNumber}`,
      bookedOn: parisDay(now),
      pieceRef: payout.statementNumber,
      lines: [
        { account: { kind: 'payouts_in_transit' }, amountCents: payout.netCents },
        { account: { kind: 'provider_payable', providerId: payout.providerId }, amountCents: -payout.netCents },
      ],
    },
    now,
  );
}

export async function postCreditNote(trx: Kysely<DB>, note: { number: string; orderId: string; funderId: string; amountCents: number }, now: Date) {
  return postEntry(
    trx,
    {
      journal: 'VT',
      kind: 'credit_note',
      label: `Avoir ${note.number} : chèques non utilisés à l’échéance`,
      bookedOn: parisDay(now),
      pieceRef: note.number,
      orderId: note.orderId,
      lines: [
        { account: { kind: 'vouchers_outstanding', orderId: note.orderId, funderId: note.funderId }, amountCents: note.amountCents },
        { account: { kind: 'funder_balance', funderId: note.funderId }, amountCents: -note.amountCents },
      ],
    },
    now,
  );
}

export async function postFunderPayment(trx: Kysely<DB>, payment: { funderId: string; invoiceNumber: string; amountCents: number }, now: Date) {
  return postEntry(
    trx,
    {
      journal: 'BQ',
      kind: 'funder_payment',
      label: `Règlement de la facture ${payment.invoiceNumber}`,
      bookedOn: parisDay(now),
      pieceRef: payment.invoiceNumber,
      lines: [
        { account: { kind: 'bank' }, amountCents: payment.amountCents },
        { account: { kind: 'funder_balance', funderId: payment.funderId }, amountCents: -payment.amountCents },
      ],
    },
    now,
  );
}
