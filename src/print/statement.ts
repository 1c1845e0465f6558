import type { ProviderStatement } from '../domains/settlement/statements.js';
import { PAYOUT_STATUS_LABELS } from '../domains/settlement/statements.js';
import { formatLongDate, formatMonth, ofMonth, type IsoDate } from '../lib/paris-dates.js';
import { A4, createA4Document, fit, FONT, formatCents, heightOfParagraph, line, MUTED, paragraph, RULE, type Pdf } from './pdf-kit.js';

/**
 * A provider's statement (« Relevé de remboursement ») for one payout: the transfer and how it is
 * computed, then every service paid with its vouchers, over as many A4 pages as it takes.
 *
 * The pages are laid out first, measuring only, then drawn: the total is known before the first
 * page is written, so that every footer says « page 3 sur 41 » without keeping the pages buffered
 * (a statement may list thousands of services). The same engine (`renderPagedDocument`) prints
 * the funders' statements (funder-statement.ts), the credit notes and the invoices (invoice.ts).
 * Amounts come in integer cents and are only formatted here.
 */

export const MARGIN = 48;
export const WIDTH = A4.width - 2 * MARGIN;
export const RIGHT = MARGIN + WIDTH;
const TOP = MARGIN;
/** Lowest y for content: below it lies the footer. */
const BOTTOM = A4.height - 60;

// ---------------------------------------------------------------------------------------------
// The engine: blocks and tables, laid out then drawn

export interface Column {
  label: string;
  width: number;
  align?: 'left' | 'right';
}

export interface TableRow {
  cells: string[];
  /** Small lines under the row (the vouchers of a service), from the second column on. */
  details?: string[];
  bold?: boolean;
}

export type Block =
  | { kind: 'block'; height: (doc: Pdf) => number; draw: (doc: Pdf, y: number) => void }
  | { kind: 'heading'; text: string }
  | { kind: 'table'; columns: Column[]; rows: TableRow[]; caption?: string; empty?: string };

export interface PagedDocument {
  title: string;
  subject: string;
  /** Printed in every footer with the page number. */
  number: string;
  platform: { name: string; siret: string; email: string };
  blocks: Block[];
}

interface Placed {
  y: number;
  draw: (doc: Pdf, y: number) => void;
}

const ROW_HEIGHT = 14;
const DETAIL_HEIGHT = 10;
const HEADER_HEIGHT = 18;
const CELL_PAD = 4;
const TABLE_SIZE = 8.5;
const DETAIL_SIZE = 7.5;

export async function renderPagedDocument(input: PagedDocument): Promise<Buffer> {
  const doc = createA4Document({ title: input.title, subject: input.subject, author: input.platform.name });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  const pages = layout(doc, input.blocks);
  pages.forEach((items, index) => {
    doc.addPage();
    for (const item of items) item.draw(doc, item.y);
    drawFooter(doc, input, index + 1, pages.length);
  });
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

/** Places every block and row on its page, measuring only. */
function layout(doc: Pdf, blocks: Block[]): Placed[][] {
  const pages: Placed[][] = [[]];
  let y = TOP;
  const newPage = () => {
    pages.push([]);
    y = TOP;
  };
  const place = (height: number, draw: Placed['draw'], keep = 0) => {
    if (y + height + keep > BOTTOM && y > TOP) newPage();
    pages.at(-1)!.push({ y, draw });
    y += height;
  };
  for (const block of blocks) {
    if (block.kind === 'block') {
      place(block.height(doc), block.draw);
    } else if (block.kind === 'heading') {
      // A heading never ends a page: it keeps room for two rows after it.
      place(24, (d, top) => line(d, block.text, MARGIN, top + 8, FONT.bold, 11), HEADER_HEIGHT + 2 * ROW_HEIGHT);
    } else {
      const header = (d: Pdf, top: number) => drawTableHeader(d, block.columns, top);
      if (block.caption !== undefined) place(16, (d, top) => line(d, block.caption!, MARGIN, top + 2, FONT.oblique, 8.5), HEADER_HEIGHT + ROW_HEIGHT);
      place(HEADER_HEIGHT, header, ROW_HEIGHT);
      if (block.rows.length === 0 && block.empty !== undefined) place(ROW_HEIGHT, (d, top) => line(d, block.empty!, MARGIN + CELL_PAD, top + 3, FONT.oblique, TABLE_SIZE));
      for (const row of block.rows) {
        const height = ROW_HEIGHT + (row.details?.length ?? 0) * DETAIL_HEIGHT;
        if (y + height > BOTTOM) {
          newPage();
          place(HEADER_HEIGHT, header);
        }
        place(height, (d, top) => drawRow(d, block.columns, row, top));
      }
      y += 8;
    }
  }
  return pages;
}

function drawTableHeader(doc: Pdf, columns: Column[], top: number): void {
  doc.rect(MARGIN, top, WIDTH, HEADER_HEIGHT - 2).fill('#eeeeee');
  doc.fillColor('#000000');
  let x = MARGIN;
  for (const column of columns) {
    const text = fit(doc, column.label, FONT.bold, TABLE_SIZE, column.width - 2 * CELL_PAD);
    if (column.align === 'right') line(doc, text, x + column.width - CELL_PAD, top + 4, FONT.bold, TABLE_SIZE, 'right');
    else line(doc, text, x + CELL_PAD, top + 4, FONT.bold, TABLE_SIZE);
    x += column.width;
  }
}

function drawRow(doc: Pdf, columns: Column[], row: TableRow, top: number): void {
  const font = row.bold ? FONT.bold : FONT.regular;
  let x = MARGIN;
  columns.forEach((column, i) => {
    const text = fit(doc, row.cells[i] ?? '', font, TABLE_SIZE, column.width - 2 * CELL_PAD);
    if (column.align === 'right') line(doc, text, x + column.width - CELL_PAD, top + 3, font, TABLE_SIZE, 'right');
    else line(doc, text, x + CELL_PAD, top + 3, font, TABLE_SIZE);
    x += column.width;
  });
  const detailsX = MARGIN + (columns[0]?.width ?? 0) + CELL_PAD;
  doc.fillColor(MUTED);
  row.details?.forEach((detail, i) => line(doc, fit(doc, detail, FONT.regular, DETAIL_SIZE, RIGHT - detailsX - CELL_PAD), detailsX, top + ROW_HEIGHT + i * DETAIL_HEIGHT, FONT.regular, DETAIL_SIZE));
  doc.fillColor('#000000');
  const bottom = top + ROW_HEIGHT + (row.details?.length ?? 0) * DETAIL_HEIGHT;
  doc.moveTo(MARGIN, bottom - 0.5).lineTo(RIGHT, bottom - 0.5).lineWidth(0.3).stroke(RULE);
}

function drawFooter(doc: Pdf, input: PagedDocument, page: number, pages: number): void {
  const { platform } = input;
  doc.moveTo(MARGIN, A4.height - 46).lineTo(RIGHT, A4.height - 46).lineWidth(0.5).stroke(RULE);
  doc.fillColor(MUTED);
  const tail = `${input.number} · page ${page} sur ${pages}`;
  doc.font(FONT.regular).fontSize(8);
  const tailWidth = doc.widthOfString(tail);
  line(doc, fit(doc, `${platform.name} · SIRET ${platform.siret} · ${platform.email}`, FONT.regular, 8, WIDTH - tailWidth - 16), MARGIN, A4.height - 38, FONT.regular, 8);
  line(doc, tail, RIGHT, A4.height - 38, FONT.regular, 8, 'right');
  doc.fillColor('#000000');
}

// ---------------------------------------------------------------------------------------------
// Shared pieces: the letterhead, amounts, dates

export interface Letterhead {
  /** `vatNumber`: printed when known (configured; invoice.ts also derives it, the law asks it there). */
  platform: { name: string; address: string; siret: string; email: string; vatNumber?: string | null };
  title: string;
  /** Lines under the title, right-aligned (number, date, period). */
  references: string[];
  /** The box of the addressee. */
  addressee: { caption: string; name: string; lines: string[] };
}

export function letterheadBlock(head: Letterhead): Block {
  const leftWidth = WIDTH * 0.5;
  const boxX = MARGIN + WIDTH * 0.5;
  const boxWidth = RIGHT - boxX;
  const { platform } = head;
  const sellerLines = [platform.address, `SIRET : ${platform.siret}`, ...(platform.vatNumber ? [`N° TVA intracommunautaire : ${platform.vatNumber}`] : []), platform.email];
  const measure = (doc: Pdf) => {
    let left = MARGIN + 19;
    for (const text of sellerLines) left += heightOfParagraph(doc, text, leftWidth, FONT.regular, 9) + 1;
    const right = MARGIN + 30 + head.references.length * 14;
    const boxTop = Math.max(left, right) + 16;
    const nameHeight = heightOfParagraph(doc, head.addressee.name, boxWidth - 24, FONT.bold, 11);
    const linesHeight = head.addressee.lines.reduce((sum, text) => sum + heightOfParagraph(doc, text, boxWidth - 24, FONT.regular, 9) + 1, 0);
    return { boxTop, boxHeight: nameHeight + linesHeight + 34 };
  };
  return {
    kind: 'block',
    height: (doc) => {
      const { boxTop, boxHeight } = measure(doc);
      return boxTop + boxHeight + 18 - TOP;
    },
    draw: (doc) => {
      line(doc, fit(doc, platform.name, FONT.bold, 13, leftWidth), MARGIN, MARGIN, FONT.bold, 13);
      let left = MARGIN + 19;
      for (const text of sellerLines) left = paragraph(doc, text, MARGIN, left, leftWidth, FONT.regular, 9) + 1;
      line(doc, head.title, RIGHT, MARGIN - 4, FONT.bold, 18, 'right');
      head.references.forEach((text, i) => line(doc, text, RIGHT, MARGIN + 24 + i * 14, i === 0 ? FONT.bold : FONT.regular, 10, 'right'));
      const { boxTop, boxHeight } = measure(doc);
      doc.roundedRect(boxX, boxTop, boxWidth, boxHeight, 4).lineWidth(0.75).stroke(RULE);
      doc.fillColor(MUTED);
      line(doc, head.addressee.caption, boxX + 12, boxTop + 10, FONT.regular, 8.5);
      doc.fillColor('#000000');
      let y = paragraph(doc, head.addressee.name, boxX + 12, boxTop + 24, boxWidth - 24, FONT.bold, 11) + 2;
      for (const text of head.addressee.lines) y = paragraph(doc, text, boxX + 12, y, boxWidth - 24, FONT.regular, 9) + 1;
    },
  };
}

/** Paragraphs of running text, each kept whole on a page. */
export function textBlocks(texts: string[], size = 9, font: string = FONT.regular): Block[] {
  return texts.map((text) => ({
    kind: 'block' as const,
    height: (doc: Pdf) => heightOfParagraph(doc, text, WIDTH, font, size) + 6,
    draw: (doc: Pdf, y: number) => void paragraph(doc, text, MARGIN, y, WIDTH, font, size),
  }));
}

/**
 * Label and amount lines (the computation of a total); the last one bold. `text` stands in for the
 * amount where there is none to give (« non applicable »).
 */
export function amountsBlock(rows: ({ label: string; cents: number; sign?: '+' | '-' } | { label: string; text: string })[]): Block {
  const amountWidth = 110;
  return {
    kind: 'block',
    height: () => rows.length * 16 + 8,
    draw: (doc, top) => {
      rows.forEach((row, i) => {
        const y = top + i * 16;
        const last = i === rows.length - 1;
        const font = last ? FONT.bold : FONT.regular;
        if (last) {
          doc.rect(MARGIN, y - 3, WIDTH, 17).fill('#eeeeee');
          doc.fillColor('#000000');
        }
        line(doc, fit(doc, row.label, font, 10, WIDTH - amountWidth - 12), MARGIN + 6, y, font, 10);
        const amount = 'text' in row ? row.text : `${row.sign === '-' && row.cents !== 0 ? '- ' : row.sign === '+' ? '+ ' : ''}${formatCents(row.cents)}`;
        line(doc, amount, RIGHT - 6, y, font, 10, 'right');
      });
    },
  };
}

/** 31/03/2026 */
export function formatShortDate(day: IsoDate): string {
  return `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;
}

/** 300 basis points → « 3 % », 125 → « 1,25 % ». */
export function formatRate(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  return rest === 0 ? `${whole} %` : `${whole},${String(rest).padStart(2, '0').replace(/0$/u, '')} %`;
}

export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+$)/gu, ' ');
}

// ---------------------------------------------------------------------------------------------
// The provider's statement

/** Voucher serials per detail line under a service. */
const SERIALS_PER_LINE = 7;

const STATEMENT_COLUMNS: Column[] = [
  { label: 'Date', width: 54 },
  { label: 'Lieu', width: 124 },
  { label: 'Service', width: 168 },
  { label: 'Chèques', width: 46, align: 'right' },
  { label: 'Montant', width: 56, align: 'right' },
  { label: 'Frais', width: WIDTH - 54 - 124 - 168 - 46 - 56, align: 'right' },
];

export function renderStatement(statement: ProviderStatement): Promise<Buffer> {
  const { totals, transfer, rates } = statement;
  const month = formatMonth(statement.month);
  const computation: { label: string; cents: number; sign?: '+' | '-' }[] = [
    { label: `Chèques encaissés : ${formatCount(totals.vouchers)} chèques pour ${formatCount(totals.redemptions)} services`, cents: totals.grossCents },
    { label: `Frais de la plateforme (${formatRate(rates.platformFeeBp)} de la valeur des chèques)`, cents: totals.platformFeeCents, sign: '-' },
    { label: `Fonds territorial d’innovation sociale et numérique (${formatRate(rates.fundFeeBp)})`, cents: totals.fundFeeCents, sign: '-' },
  ];
  if (totals.subscriptionCents > 0 || totals.subscriptionInvoices.length > 0) {
    computation.push({ label: `Abonnement déduit (TTC), facture${totals.subscriptionInvoices.length > 1 ? 's' : ''} ${totals.subscriptionInvoices.join(', ')}`, cents: totals.subscriptionCents, sign: '-' });
  }
  if (totals.carriedInCents > 0) {
    computation.push({ label: `Virement rejeté payé à nouveau${totals.carriedFrom ? ` (relevé ${totals.carriedFrom})` : ''}`, cents: totals.carriedInCents, sign: '+' });
  }
  computation.push({ label: 'Net à virer', cents: totals.netCents });

  const transferText =
    transfer.status === 'nothing_to_pay'
      ? 'Aucun virement ce mois-ci : le montant dû ne couvre pas ce qui en est déduit ; le reste est reporté sur le prochain relevé.'
      : `Virement de ${formatCents(transfer.netCents)} demandé pour le ${formatLongDate(transfer.requestedOn)}, sur le compte ${transfer.ibanMasked ?? '(IBAN non renseigné)'}${
          transfer.accountHolder ? ` au nom de ${transfer.accountHolder}` : ''
        }. Référence du virement : ${transfer.endToEndId}. État : ${PAYOUT_STATUS_LABELS[transfer.status]}.`;
  const rejected = transfer.status === 'rejected' ? [`Motif du rejet : ${transfer.rejectedReason ?? 'non précisé'}. Le montant sera viré à nouveau avec le prochain règlement, une seule fois.`] : [];

  return renderPagedDocument({
    title: `Relevé de remboursement ${statement.statementNumber}`,
    subject: `${statement.provider.name} : services ${ofMonth(statement.month)}`,
    number: statement.statementNumber,
    platform: statement.platform,
    blocks: [
      letterheadBlock({
        platform: statement.platform,
        title: 'Relevé de remboursement',
        references: [`N° ${statement.statementNumber}`, `Date : ${formatLongDate(statement.issuedOn)}`, `Services ${ofMonth(statement.month)}`],
        addressee: {
          caption: 'Lieu qualifié',
          name: statement.provider.name,
          lines: [statement.provider.address, ...(statement.provider.siret ? [`SIRET : ${statement.provider.siret}`] : [])],
        },
      }),
      { kind: 'heading', text: 'Votre remboursement' },
      amountsBlock(computation),
      ...textBlocks([transferText, ...rejected], 9.5),
      { kind: 'heading', text: `Détail des services payés (${formatCount(totals.redemptions)})` },
      {
        kind: 'table',
        columns: STATEMENT_COLUMNS,
        empty: 'Aucun service ce mois-ci.',
        rows: statement.lines.map((item) => ({
          cells: [
            formatShortDate(item.serviceDate),
            `${item.placeName} (${item.commune})`,
            `${item.serviceCode} ${item.serviceLabel}`,
            formatCount(item.voucherCount),
            formatCents(item.grossCents),
            formatCents(item.platformFeeCents + item.fundFeeCents),
          ],
          details: chunk(item.vouchers, SERIALS_PER_LINE).map((serials, i) => `${i === 0 ? 'Chèques n° ' : ''}${serials.join(', ')}`),
        })),
      },
      ...textBlocks(
        [
          `Frais : ${formatRate(rates.platformFeeBp + rates.fundFeeBp)} de la valeur des chèques, dont ${formatRate(rates.platformFeeBp)} pour la plateforme et ${formatRate(
            rates.fundFeeBp,
          )} pour le fonds territorial d’innovation sociale et numérique du département du lieu ; taux en vigueur lors du règlement des services ${ofMonth(statement.month)}.`,
          'Chaque chèque est identifié par le numéro de son carnet et sa position. Ce relevé est établi à partir du journal comptable de la plateforme ; conservez-le avec vos pièces comptables.',
        ],
        8.5,
      ),
    ],
  });
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
