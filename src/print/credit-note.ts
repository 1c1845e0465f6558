import type { CreditNoteDocument } from '../domains/expiry/credit-notes.js';
import { billingLines } from '../domains/settlement/funder-billing-details.js';
import { formatLongDate } from '../lib/paris-dates.js';
import { formatCents } from './pdf-kit.js';
import { amountsBlock, formatCount, formatShortDate, letterheadBlock, renderPagedDocument, textBlocks, WIDTH, type Column } from './statement.js';

/**
 * The credit note (« Avoir ») of an order after its tolerance month: the face value of its vouchers
 * never used, given back to the funder. Laid out by the paged engine of statement.ts, like the
 * funders' invoices. Amounts come in integer cents and are only formatted here.
 */

const plural = (count: number, one: string, many: string) => `${formatCount(count)} ${count > 1 ? many : one}`;

export function renderCreditNote(note: CreditNoteDocument): Promise<Buffer> {
  const { order, vouchers } = note;
  const columns: Column[] = [
    { label: 'Commande', width: 78 },
    { label: 'Libellé', width: WIDTH - 78 - 130 - 70 - 60 - 80 },
    { label: 'Validité', width: 130 },
    { label: 'Valeur', width: 70, align: 'right' },
    { label: 'Chèques', width: 60, align: 'right' },
    { label: 'Montant', width: 80, align: 'right' },
  ];
  const validity = `${formatShortDate(order.validFrom)} au ${formatShortDate(order.validUntil)}`;
  const cancelled =
    vouchers.inCancelledBooklets > 0 ? ` (dont ${plural(vouchers.inCancelledBooklets, 'chèque', 'chèques')} de carnets annulés pour perte, vol ou détérioration)` : '';
  const funding =
    order.fundingMode === 'prepaid'
      ? `Commande payée d’avance${order.invoiceNumber ? ` (facture ${order.invoiceNumber})` : ''} : le montant de cet avoir est porté au crédit de votre compte auprès de la plateforme.`
      : `Commande facturée à l’usage${order.commitmentReference ? ` (engagement ${order.commitmentReference})` : ''} : les chèques non utilisés ne vous sont pas facturés ; cet avoir solde la part non utilisée de la commande.`;
  return renderPagedDocument({
    title: `Avoir ${note.number}`,
    subject: `${note.funder.name} : chèques non utilisés de la commande ${order.number}`,
    number: note.number,
    platform: note.platform,
    blocks: [
      letterheadBlock({
        platform: note.platform,
        title: 'Avoir',
        references: [`N° ${note.number}`, `Date : ${formatLongDate(note.issuedOn)}`, `Commande : ${order.number}`],
        addressee: { caption: 'Financeur', name: note.funder.name, lines: billingLines(note.funder.billing) },
      }),
      { kind: 'heading', text: 'Chèques « pass numérique » non utilisés à l’échéance' },
      {
        kind: 'table',
        columns,
        rows: note.lines.map((item) => ({
          cells: [order.number, order.label ?? '', validity, formatCents(item.unitCents), formatCount(item.vouchers), formatCents(item.amountCents)],
        })),
      },
      amountsBlock([
        { label: `${plural(vouchers.unused, 'chèque non utilisé', 'chèques non utilisés')}`, cents: note.totalCents },
        { label: 'Total de l’avoir', cents: note.totalCents },
      ]),
      ...textBlocks(
        [
          `La commande ${order.number} était valable du ${formatLongDate(order.validFrom)} au ${formatLongDate(order.validUntil)} ; les lieux ont pu enregistrer jusqu’au ${formatLongDate(
            order.lastScanDay,
          )} inclus les services rendus pendant la validité.`,
          `Chèques émis : ${formatCount(vouchers.issued)} ; utilisés : ${formatCount(vouchers.used)} ; non utilisés : ${formatCount(vouchers.unused)}${cancelled}. La valeur faciale des chèques non utilisés, ${formatCents(
            note.totalCents,
          )}, vous revient par cet avoir ; ces chèques ne peuvent plus être utilisés.`,
          funding,
          'Opération hors du champ de la TVA : titres de paiement. Les données de cet avoir tracent des usages, pas des personnes.',
        ],
        9,
      ),
    ],
  });
}
