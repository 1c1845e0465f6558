import type { FunderInvoiceDocument } from '../domains/settlement/funder-invoices.js';
import type { FunderMonthlyStatement } from '../domains/settlement/statements.js';
import { addDays, addMonths, formatLongDate, formatMonth, ofMonth, parisDay } from '../lib/paris-dates.js';
import { formatCents } from './pdf-kit.js';
import { amountsBlock, formatCount, letterheadBlock, renderPagedDocument, textBlocks, WIDTH, type Column } from './statement.js';

/**
 * A funder's monthly statement (« Relevé mensuel d'utilisation »: what its vouchers paid, by
 * order, by commune and by place) and, for orders billed on use, the monthly invoice. Both are
 * laid out by the paged engine of statement.ts. Nothing here identifies a holder: the data trace
 * usages, not users.
 */

const FUNDING_LABELS = { prepaid: 'Payée d’avance', billed_on_use: 'Facturée à l’usage' } as const;

export function renderFunderStatement(statement: FunderMonthlyStatement): Promise<Buffer> {
  const month = formatMonth(statement.month);
  const { totals } = statement;
  const orderColumns: Column[] = [
    { label: 'Commande', width: 78 },
    { label: 'Libellé', width: WIDTH - 78 - 112 - 60 - 80 },
    { label: 'Financement', width: 112 },
    { label: 'Chèques', width: 60, align: 'right' },
    { label: 'Montant', width: 80, align: 'right' },
  ];
  const communeColumns: Column[] = [
    { label: 'Commune', width: WIDTH - 80 - 60 - 60 - 80 },
    { label: 'Code INSEE', width: 80 },
    { label: 'Services', width: 60, align: 'right' },
    { label: 'Chèques', width: 60, align: 'right' },
    { label: 'Montant', width: 80, align: 'right' },
  ];
  const placeColumns: Column[] = [
    { label: 'Lieu', width: WIDTH - 150 - 60 - 60 - 80 },
    { label: 'Commune', width: 150 },
    { label: 'Services', width: 60, align: 'right' },
    { label: 'Chèques', width: 60, align: 'right' },
    { label: 'Montant', width: 80, align: 'right' },
  ];
  const billedOnUse = statement.byOrder.some((order) => order.fundingMode === 'billed_on_use');
  const invoiceNote = statement.invoice
    ? [`Facture du mois pour les commandes facturées à l’usage : ${statement.invoice.number}, ${formatCents(statement.invoice.amountCents)}.`]
    : billedOnUse
      ? ['La facture des commandes facturées à l’usage est émise après la clôture des scans du mois (jour de grâce pour les scans tardifs).']
      : [];
  const totalRow = (cells: string[]) => ({ cells, bold: true });

  return renderPagedDocument({
    title: `Relevé mensuel d’utilisation, ${month}`,
    subject: `${statement.funder.name} : chèques utilisés en ${month}`,
    number: `Relevé ${month}`,
    platform: statement.platform,
    blocks: [
      letterheadBlock({
        platform: statement.platform,
        title: 'Relevé mensuel d’utilisation',
        references: [`Services ${ofMonth(statement.month)}`, `Date : ${formatLongDate(statement.issuedOn)}`],
        addressee: { caption: 'Financeur', name: statement.funder.name, lines: [] },
      }),
      ...textBlocks(
        [
          totals.vouchers === 0
            ? `Aucun chèque de vos commandes n’a payé de service daté ${ofMonth(statement.month)}.`
            : `En ${month}, ${formatCount(totals.vouchers)} chèque${totals.vouchers > 1 ? 's' : ''} de vos commandes ${totals.vouchers > 1 ? 'ont' : 'a'} payé ${formatCount(totals.services)} service${
                totals.services > 1 ? 's' : ''
              } de médiation numérique dans ${formatCount(statement.byPlace.length)} lieu${statement.byPlace.length > 1 ? 'x' : ''}, pour ${formatCents(totals.amountCents)}.`,
          ...invoiceNote,
        ],
        10,
      ),
      { kind: 'heading', text: 'Par commande' },
      {
        kind: 'table',
        columns: orderColumns,
        empty: 'Aucune commande utilisée ce mois-ci.',
        rows: [
          ...statement.byOrder.map((order) => ({ cells: [order.orderNumber, order.label ?? '', FUNDING_LABELS[order.fundingMode], formatCount(order.vouchers), formatCents(order.amountCents)] })),
          ...(statement.byOrder.length > 0 ? [totalRow(['Total', '', '', formatCount(totals.vouchers), formatCents(totals.amountCents)])] : []),
        ],
      },
      { kind: 'heading', text: 'Par commune' },
      {
        kind: 'table',
        columns: communeColumns,
        empty: 'Aucune commune ce mois-ci.',
        rows: statement.byCommune.map((commune) => ({ cells: [commune.commune, commune.inseeCode ?? '', formatCount(commune.services), formatCount(commune.vouchers), formatCents(commune.amountCents)] })),
      },
      { kind: 'heading', text: 'Par lieu' },
      {
        kind: 'table',
        columns: placeColumns,
        empty: 'Aucun lieu ce mois-ci.',
        rows: statement.byPlace.map((place) => ({ cells: [place.placeName, `${place.postcode} ${place.commune}`, formatCount(place.services), formatCount(place.vouchers), formatCents(place.amountCents)] })),
      },
      ...textBlocks(
        [
          'Les montants sont la valeur faciale des chèques utilisés, par date du service. Un service payé par des chèques de plusieurs commandes compte une fois.',
          'Les frais de 4 % (plateforme et fonds territorial) sont prélevés sur les remboursements aux lieux, jamais facturés aux financeurs. Les données de ce relevé tracent des usages, pas des personnes.',
        ],
        8.5,
      ),
    ],
  });
}

export function renderFunderInvoice(invoice: FunderInvoiceDocument): Promise<Buffer> {
  const month = formatMonth(invoice.month);
  const lastScanDay = parisDay(new Date(invoice.scansUntil.getTime() - 1));
  const columns: Column[] = [
    { label: 'Commande', width: 78 },
    { label: 'Libellé', width: WIDTH - 78 - 110 - 70 - 60 - 80 },
    { label: 'Engagement', width: 110 },
    { label: 'Valeur', width: 70, align: 'right' },
    { label: 'Chèques', width: 60, align: 'right' },
    { label: 'Montant', width: 80, align: 'right' },
  ];
  const vouchers = invoice.lines.reduce((sum, line) => sum + line.vouchers, 0);
  return renderPagedDocument({
    title: `Facture ${invoice.number}`,
    subject: `${invoice.funder.name} : chèques utilisés en ${month}`,
    number: invoice.number,
    platform: invoice.platform,
    blocks: [
      letterheadBlock({
        platform: invoice.platform,
        title: 'Facture',
        references: [`N° ${invoice.number}`, `Date : ${formatLongDate(invoice.issuedOn)}`, `Chèques utilisés en ${month}`],
        addressee: { caption: 'Financeur', name: invoice.funder.name, lines: [] },
      }),
      { kind: 'heading', text: 'Chèques « pass numérique » utilisés' },
      {
        kind: 'table',
        columns,
        rows: invoice.lines.map((line) => ({
          cells: [line.orderNumber, line.label ?? '', line.commitmentReference ?? '', formatCents(line.unitCents), formatCount(line.vouchers), formatCents(line.amountCents)],
        })),
      },
      amountsBlock([
        { label: `${formatCount(vouchers)} chèque${vouchers > 1 ? 's' : ''} utilisé${vouchers > 1 ? 's' : ''}`, cents: invoice.totalCents },
        { label: 'Total à payer', cents: invoice.totalCents },
      ]),
      ...textBlocks(
        [
          `Facturation à l’usage : chèques de vos commandes facturées à l’usage ayant payé des services datés au plus tard du ${formatLongDate(
            addDays(addMonths(invoice.month, 1), -1),
          )} et enregistrés jusqu’au ${formatLongDate(lastScanDay)} inclus, non facturés auparavant. Un service d’un mois enregistré plus tard figure sur la facture suivante.`,
          'Opération hors du champ de la TVA : vente de titres de paiement. Les frais de la plateforme sont prélevés sur les remboursements aux lieux.',
          `Paiement par virement à réception, en rappelant le numéro de facture ${invoice.number}.`,
          ...(invoice.paid ? [`Facture réglée le ${formatLongDate(invoice.paid.on)} (référence du virement : ${invoice.paid.reference}).`] : []),
        ],
        9,
      ),
    ],
  });
}
