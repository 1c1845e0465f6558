import type { FunderInvoiceDocument } from '../domains/settlement/funder-invoices.js';
import { billingLines } from '../domains/settlement/funder-billing-details.js';
import { addDays, addMonths, formatLongDate, formatMonth, parisDay } from '../lib/paris-dates.js';
import { formatIban, renderInvoice, type InvoiceBuyer } from './invoice.js';
import { formatFaceValue } from './pdf-kit.js';

/**
 * The monthly invoice of a funder whose orders are billed on use: the face value of its vouchers
 * that paid services in the month, a line per order (vouchers × face value), their sum being the
 * amount stored (loadFunderInvoice recomputes it from the vouchers, invoice.ts checks it again).
 *
 * No VAT: DOMAIN.md sets none on vouchers, and the vouchers are multi-purpose payment vouchers
 * (any service, any qualified place): VAT is due on the service the place renders, not on the
 * face value the funder pays. The platform's fees are taken from the places' payouts.
 */

const NO_VAT =
  'TVA non applicable : opération hors du champ de la TVA. La somme facturée est la valeur faciale de chèques « pass numérique », bons à usages multiples : la TVA éventuelle porte sur le service rendu par le lieu, pas sur le chèque. Les frais de la plateforme sont prélevés sur les remboursements aux lieux, jamais facturés aux financeurs.';

export function renderFunderInvoice(invoice: FunderInvoiceDocument): Promise<Buffer> {
  const month = formatMonth(invoice.month);
  return renderInvoice({
    number: invoice.number,
    issuedOn: invoice.issuedOn,
    dueOn: invoice.dueOn,
    period: `Chèques utilisés en ${month}`,
    subject: `${invoice.funder.name} : chèques utilisés en ${month}`,
    seller: invoice.platform,
    buyer: buyerOf(invoice),
    heading: 'Chèques « pass numérique » utilisés, par commande',
    lines: invoice.lines.map((item) => ({
      reference: item.orderNumber,
      label: `Chèques de ${formatFaceValue(item.unitCents)} utilisés`,
      details: [...(item.label ? [`Commande « ${item.label} »`] : []), ...(item.commitmentReference ? [`Engagement juridique ${item.commitmentReference}`] : [])],
      quantity: item.vouchers,
      unitCents: item.unitCents,
      amountCents: item.amountCents,
    })),
    excludingVatCents: invoice.totalCents,
    vat: { kind: 'not_applicable', reason: NO_VAT },
    totalCents: invoice.totalCents,
    payment: paymentTexts(invoice),
    notes: [windowText(invoice)],
  });
}

/** The funder with its billing address and SIRET as invoiced, when its admins had given them (/financeur/facturation); its name alone otherwise. */
function buyerOf(invoice: FunderInvoiceDocument): InvoiceBuyer {
  const { name, billing } = invoice.funder;
  if (!billing) return { caption: 'Financeur', name };
  return { caption: 'Financeur', name, address: billingLines({ ...billing, siret: null }), siret: billing.siret };
}

function paymentTexts(invoice: FunderInvoiceDocument): string[] {
  const { bank } = invoice;
  const terms =
    'Pas d’escompte pour paiement anticipé. En cas de retard, des pénalités au taux de trois fois le taux d’intérêt légal sont dues, et, pour un professionnel, l’indemnité forfaitaire de 40 € pour frais de recouvrement (code de commerce, art. L441-10 et D441-5).';
  // A reprint after the operator recorded the transfer says so instead of asking for it again.
  if (invoice.paid) return [`Facture réglée le ${formatLongDate(invoice.paid.on)} (référence du virement : ${invoice.paid.reference}).`, terms];
  return [
    `À payer au plus tard le ${formatLongDate(invoice.dueOn)}, par virement sur le compte de la plateforme, en rappelant le numéro de facture ${invoice.number} : titulaire ${bank.holder}, IBAN ${formatIban(bank.iban)}, BIC ${bank.bic}.`,
    terms,
  ];
}

/** Which vouchers the invoice covers: the month's services scanned before its scans closed, not invoiced before. */
function windowText(invoice: FunderInvoiceDocument): string {
  const lastScanDay = parisDay(new Date(invoice.scansUntil.getTime() - 1));
  return `Facturation à l’usage : chèques de vos commandes facturées à l’usage ayant payé des services datés au plus tard du ${formatLongDate(
    addDays(addMonths(invoice.month, 1), -1),
  )} et enregistrés jusqu’au ${formatLongDate(lastScanDay)} inclus, non facturés auparavant. Un service du mois enregistré plus tard figure sur la facture suivante.`;
}
