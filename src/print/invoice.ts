import { luhnValid } from '../domains/providers/identifiers.js';
import { formatLongDate, type IsoDate } from '../lib/paris-dates.js';
import { formatCents } from './pdf-kit.js';
import { amountsBlock, formatCount, formatRate, letterheadBlock, renderPagedDocument, textBlocks, WIDTH, type Block, type Column } from './statement.js';

/**
 * The layout every invoice of the platform shares (« Facture »): the seller and the buyer, the
 * number, dates and period, the lines (quantity × unit price), the totals excluding VAT, the VAT
 * and the total to pay, then how it is paid. The providers' subscription invoices
 * (subscription-invoice.ts) and the funders' monthly invoices (funder-invoice.ts) fill it in; the
 * paged engine of statement.ts lays it out.
 *
 * Amounts come in integer cents, as stored: they are checked against each other here and only
 * formatted, never recomputed. An invoice whose lines do not add up to its stored total is an
 * error, never a document.
 */

export interface InvoiceSeller {
  name: string;
  address: string;
  siret: string;
  email: string;
  /** As configured; null: derived from the SIRET. */
  vatNumber: string | null;
}

export interface InvoiceBuyer {
  /** What the buyer is to the platform (« Lieu qualifié », « Financeur »). */
  caption: string;
  name: string;
  /** One line, or several (a street, then the postcode and commune), each starting a new line. */
  address?: string | readonly string[] | null;
  siret?: string | null;
}

export interface InvoiceLine {
  /** Short reference: an order number, « Abonnement ». */
  reference: string;
  label: string;
  /** Small lines under the row (a period, a commitment reference). */
  details?: string[];
  quantity: number;
  unitCents: number;
  amountCents: number;
}

/** VAT charged at a rate, or not applicable with the reason the invoice must give. */
export type InvoiceVat = { kind: 'rate'; rateBp: number; cents: number } | { kind: 'not_applicable'; reason: string };

export interface Invoice {
  number: string;
  issuedOn: IsoDate;
  /** Payment due by this day, when the buyer pays (not for an amount deducted from a payout). */
  dueOn?: IsoDate;
  /** The period invoiced, as its reference line reads: « Période : mars 2026 ». */
  period: string;
  /** The PDF's subject metadata. */
  subject: string;
  seller: InvoiceSeller;
  buyer: InvoiceBuyer;
  heading: string;
  lines: InvoiceLine[];
  excludingVatCents: number;
  vat: InvoiceVat;
  /** Including VAT: what is due. */
  totalCents: number;
  /** How it is paid, or was. */
  payment: string[];
  /** Small print at the end. */
  notes: string[];
}

export function renderInvoice(invoice: Invoice): Promise<Buffer> {
  checkInvoice(invoice);
  // An invoice must carry the seller's VAT number: configured, else derived from a real SIRET;
  // with neither (a demonstration instance), the invoice says which setting is missing.
  const vatNumber = invoice.seller.vatNumber ?? frenchVatNumber(invoice.seller.siret) ?? 'à configurer (PASSNUM_PLATFORM_VAT_NUMBER)';
  return renderPagedDocument({
    title: `Facture ${invoice.number}`,
    subject: invoice.subject,
    number: invoice.number,
    platform: invoice.seller,
    blocks: [
      letterheadBlock({
        platform: { ...invoice.seller, vatNumber },
        title: 'Facture',
        references: [
          `N° ${invoice.number}`,
          `Date : ${formatLongDate(invoice.issuedOn)}`,
          ...(invoice.dueOn ? [`Échéance : ${formatLongDate(invoice.dueOn)}`] : []),
          invoice.period,
        ],
        addressee: {
          caption: invoice.buyer.caption,
          name: invoice.buyer.name,
          lines: [...[invoice.buyer.address ?? []].flat().filter((line) => line !== ''), ...(invoice.buyer.siret ? [`SIRET : ${invoice.buyer.siret}`] : [])],
        },
      }),
      { kind: 'heading', text: invoice.heading },
      linesTable(invoice),
      totalsBlock(invoice),
      // No VAT is always said with its reason, right under the totals.
      ...(invoice.vat.kind === 'not_applicable' ? textBlocks([invoice.vat.reason], 9) : []),
      { kind: 'heading', text: 'Règlement' },
      ...textBlocks(invoice.payment, 9.5),
      ...textBlocks(invoice.notes, 8.5),
    ],
  });
}

/**
 * Refuses an invoice whose stored amounts disagree: a line that is not its quantity times its unit
 * price, lines that do not add up to the total excluding VAT, or a total that is not that plus the
 * VAT. The callers read totals from the database; this is the last guard before paper.
 */
export function checkInvoice(invoice: Invoice): void {
  const fail = (what: string) => {
    throw new Error(`invoice ${invoice.number}: ${what}`);
  };
  for (const item of invoice.lines) {
    if (item.quantity * item.unitCents !== item.amountCents) fail(`line ${item.reference} is not ${item.quantity} × ${item.unitCents}`);
  }
  const sum = invoice.lines.reduce((total, item) => total + item.amountCents, 0);
  if (sum !== invoice.excludingVatCents) fail(`lines add up to ${sum}, not ${invoice.excludingVatCents}`);
  const vatCents = invoice.vat.kind === 'rate' ? invoice.vat.cents : 0;
  if (invoice.excludingVatCents + vatCents !== invoice.totalCents) fail(`${invoice.excludingVatCents} + ${vatCents} of VAT is not ${invoice.totalCents}`);
}

function linesTable(invoice: Invoice): Block {
  // « HT » only where there is VAT to add: otherwise the prices are what is paid.
  const ht = invoice.vat.kind === 'rate' ? ' HT' : '';
  const columns: Column[] = [
    { label: 'Référence', width: 78 },
    { label: 'Désignation', width: WIDTH - 78 - 55 - 85 - 85 },
    { label: 'Quantité', width: 55, align: 'right' },
    { label: `Prix unitaire${ht}`, width: 85, align: 'right' },
    { label: `Montant${ht}`, width: 85, align: 'right' },
  ];
  return {
    kind: 'table',
    columns,
    rows: invoice.lines.map((item) => ({
      cells: [item.reference, item.label, formatCount(item.quantity), formatCents(item.unitCents), formatCents(item.amountCents)],
      ...(item.details ? { details: item.details } : {}),
    })),
  };
}

function totalsBlock(invoice: Invoice): Block {
  const { vat } = invoice;
  return amountsBlock([
    { label: 'Total HT', cents: invoice.excludingVatCents },
    vat.kind === 'rate' ? { label: `TVA ${formatRate(vat.rateBp)}`, cents: vat.cents } : { label: 'TVA', text: 'non applicable' },
    { label: vat.kind === 'rate' ? 'Total TTC' : 'Total à payer', cents: invoice.totalCents },
  ]);
}

/**
 * The intra-EU VAT number of a French business, FR + key + SIREN, the key being
 * (12 + 3 × (SIREN mod 97)) mod 97: the tax office derives it this way, and the configuration
 * holds the SIRET only. Null for anything that is not a real SIREN (nine digits passing Luhn's
 * check, not the placeholder zeros), or a SIRET starting with one.
 */
export function frenchVatNumber(siret: string): string | null {
  const digits = siret.replace(/\s/gu, '');
  if (!/^\d{9}(\d{5})?$/u.test(digits)) return null;
  const siren = digits.slice(0, 9);
  if (!luhnValid(siren) || Number(siren) === 0) return null;
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return `FR${String(key).padStart(2, '0')}${siren}`;
}

/** « FR76 3000 6000 0112 3456 7890 189 »: an IBAN as it is read out, by groups of four. */
export function formatIban(iban: string): string {
  return iban.replace(/\s/gu, '').replace(/(.{4})(?=.)/gu, '$1 ');
}
