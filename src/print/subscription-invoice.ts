import type { SubscriptionInvoiceDocument } from '../domains/settlement/subscriptions.js';
import { formatLongDate, ofMonth } from '../lib/paris-dates.js';
import { renderInvoice } from './invoice.js';
import { formatCents } from './pdf-kit.js';

/**
 * A provider's subscription invoice (DOMAIN.md: 7 € HT a month or 77 € HT a year, VAT 20 %): one
 * period of its plan, never paid by the provider itself but deducted from a monthly payout, or
 * carried over to a later one while the payouts do not cover it. Amounts as stored.
 */

const PLAN_NAMES = { monthly: 'mensuelle', yearly: 'annuelle' } as const;

export function renderSubscriptionInvoice(invoice: SubscriptionInvoiceDocument): Promise<Buffer> {
  const period = `du ${formatLongDate(invoice.periodStart)} au ${formatLongDate(invoice.periodEnd)}`;
  return renderInvoice({
    number: invoice.number,
    issuedOn: invoice.issuedOn,
    period: `Période ${period}`,
    subject: `${invoice.provider.name} : abonnement ${period}`,
    seller: invoice.platform,
    buyer: { caption: 'Lieu qualifié', name: invoice.provider.name, address: invoice.provider.address, siret: invoice.provider.siret },
    heading: 'Abonnement à la plateforme du pass numérique',
    lines: [
      {
        reference: 'Abonnement',
        label: `Formule ${PLAN_NAMES[invoice.plan]}`,
        details: [`Période ${period}`],
        quantity: 1,
        unitCents: invoice.excludingVatCents,
        amountCents: invoice.excludingVatCents,
      },
    ],
    excludingVatCents: invoice.excludingVatCents,
    vat: { kind: 'rate', rateBp: invoice.vatBp, cents: invoice.vatCents },
    totalCents: invoice.includingVatCents,
    payment: [paymentText(invoice)],
    notes: [
      'L’abonnement est dû à partir du premier chèque encaissé, le mois de ce premier chèque étant offert. Une période facturée n’est ni modifiée ni remboursée.',
      'Pas d’escompte pour règlement anticipé. Les données de cette facture tracent des usages, pas des personnes.',
    ],
  });
}

/** Deducted from a payout (its statement says so too), or carried over until one covers it. */
function paymentText(invoice: SubscriptionInvoiceDocument): string {
  const amount = formatCents(invoice.includingVatCents);
  if (invoice.deductedFrom) {
    return `Réglée par déduction : ${amount} TTC retenus sur le remboursement du relevé ${invoice.deductedFrom.statementNumber} (services ${ofMonth(
      invoice.deductedFrom.month,
    )}). Vous n’avez rien à payer.`;
  }
  return `Reportée : ${amount} TTC seront déduits du prochain remboursement qui couvre ce montant ; vous n’avez rien à payer d’ici là.`;
}
