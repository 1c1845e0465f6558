import type { FundingMode } from '../db/schema.js';
import type { FunderBillingDetails } from '../domains/settlement/funder-billing-details.js';
import type { VoucherCode } from '../domains/vouchers/codes.js';
import type { IsoDate } from '../lib/paris-dates.js';

/**
 * What the printed documents are made of: plain data gathered by the vouchers domain
 * (domains/vouchers/print-order.ts), rendered by the files of this folder with pdfkit and bwip-js.
 * Nothing here reads the database.
 */

export interface PrintableVoucher {
  /** Serial printed on the stub: booklet number and position, 12345674-03. */
  serial: string;
  code: VoucherCode;
  position: number;
}

export interface PrintableBooklet {
  /** Formatted with its check digit (8 digits): what distributors type or scan. */
  number: string;
  position: number;
  vouchers: PrintableVoucher[];
}

export interface PrintableOrder {
  /** CMD-000042 */
  orderNumber: string;
  funderName: string;
  faceValueCents: number;
  vouchersPerBooklet: number;
  bookletCount: number;
  validFrom: IsoDate;
  validUntil: IsoDate;
  /** The order's rules in French, one line each (« Valable à : Bordeaux Métropole »); empty when none. */
  rules: string[];
  /** Where a holder checks a voucher and finds the places: https://…/mon-pass */
  holderUrl: string;
  /** Booklets in order, loaded as they are printed (an order may hold 200,000 vouchers). */
  booklets: AsyncIterable<PrintableBooklet>;
}

export interface OrderDocumentLine {
  label: string;
  quantity: number;
  unitCents: number;
  totalCents: number;
}

/** The order form (bon de commande) and, for a prepaid order, its invoice. */
export interface OrderDocument {
  kind: 'order_form' | 'invoice';
  /** CMD-000042 for an order form, F-2026-000007 for an invoice. */
  number: string;
  orderNumber: string;
  issuedOn: IsoDate;
  /** As named at confirmation, with its billing details when it had given them (migration 0010). */
  funder: { name: string; billing?: FunderBillingDetails | null };
  platform: { name: string; address: string; siret: string; email: string };
  fundingMode: FundingMode;
  lines: OrderDocumentLine[];
  totalCents: number;
  rules: string[];
  validFrom: IsoDate;
  validUntil: IsoDate;
  commitmentReference: string | null;
  /** Legal mentions and payment terms, one paragraph each. */
  notes: string[];
}
