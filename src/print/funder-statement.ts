import { billingLines } from '../domains/settlement/funder-billing-details.js';
import type { FunderMonthlyStatement } from '../domains/settlement/statements.js';
import { formatLongDate, formatMonth, ofMonth } from '../lib/paris-dates.js';
import { formatCents } from './pdf-kit.js';
import { amountsBlock, formatCount, letterheadBlock, renderPagedDocument, textBlocks, WIDTH, type Column } from './statement.js';

/**
 * A funder's monthly statement (« Relevé mensuel d'utilisation »: what its vouchers paid, by
 * order, by commune and by place), laid out by the paged engine of statement.ts; the monthly
 * invoice of orders billed on use is funder-invoice.ts. Nothing here identifies a holder: the
 * data trace usages, not users.
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
        addressee: { caption: 'Financeur', name: statement.funder.name, lines: billingLines(statement.funder.billing) },
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
