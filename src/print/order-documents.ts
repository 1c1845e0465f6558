import { billingLines } from '../domains/settlement/funder-billing-details.js';
import { formatLongDate } from '../lib/paris-dates.js';
import { A4, createA4Document, fit, FONT, formatCents, heightOfParagraph, line, MUTED, paragraph, RULE, type Pdf } from './pdf-kit.js';
import type { OrderDocument, OrderDocumentLine } from './printable.js';

/**
 * The order form (« Bon de commande ») and the invoice (« Facture ») of an order, as an A4 PDF.
 * Every amount comes from the document in integer cents and is only formatted here: totals are
 * the caller's, never summed again from floats. Legal mentions are the caller's `notes`.
 */

const MARGIN = 56;
const WIDTH = A4.width - 2 * MARGIN;
const RIGHT = MARGIN + WIDTH;
/** Lowest y for content: below it lies the footer. */
const BOTTOM = A4.height - 64;

const TITLES: Record<OrderDocument['kind'], string> = { order_form: 'Bon de commande', invoice: 'Facture' };

const FUNDING: Record<OrderDocument['fundingMode'], string> = {
  prepaid: "Paiement d'avance : le montant total de la commande est payé avant l'émission des chèques.",
  billed_on_use:
    "Facturation à l'usage : seuls les chèques utilisés sont facturés chaque mois ; rien n'est payé d'avance. Le total ci-dessus est le montant maximal de la commande.",
};

export async function renderOrderDocument(document: OrderDocument): Promise<Buffer> {
  const title = TITLES[document.kind];
  const doc = createA4Document({ title: `${title} ${document.number}`, subject: `${document.funder.name} : commande ${document.orderNumber}`, author: document.platform.name }, true);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  doc.addPage();
  let y = drawHeader(doc, document, title);
  y = drawLines(doc, document, y + 28);
  drawSections(doc, document, y + 24);
  drawFooters(doc, document);
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

function drawHeader(doc: Pdf, document: OrderDocument, title: string): number {
  const { platform } = document;
  const leftWidth = WIDTH * 0.5;
  line(doc, fit(doc, platform.name, FONT.bold, 13, leftWidth), MARGIN, MARGIN, FONT.bold, 13);
  let left = paragraph(doc, platform.address, MARGIN, MARGIN + 19, leftWidth, FONT.regular, 9.5);
  left = paragraph(doc, `SIRET : ${platform.siret}`, MARGIN, left + 1, leftWidth, FONT.regular, 9.5);
  left = paragraph(doc, platform.email, MARGIN, left + 1, leftWidth, FONT.regular, 9.5);

  line(doc, title, RIGHT, MARGIN - 4, FONT.bold, 24, 'right');
  line(doc, `N° ${document.number}`, RIGHT, MARGIN + 28, FONT.bold, 11, 'right');
  line(doc, `Date : ${formatLongDate(document.issuedOn)}`, RIGHT, MARGIN + 44, FONT.regular, 10, 'right');
  let right = MARGIN + 58;
  if (document.kind === 'invoice') {
    line(doc, `Commande : ${document.orderNumber}`, RIGHT, right, FONT.regular, 10, 'right');
    right += 14;
  }

  // The funder, where a window envelope shows it.
  const boxX = MARGIN + WIDTH * 0.5;
  const boxWidth = RIGHT - boxX;
  const boxTop = Math.max(left, right) + 22;
  const addressLines = billingLines(document.funder.billing ?? null);
  const nameHeight = heightOfParagraph(doc, document.funder.name, boxWidth - 24, FONT.bold, 12);
  const addressHeight = addressLines.reduce((sum, text) => sum + heightOfParagraph(doc, text, boxWidth - 24, FONT.regular, 10) + 2, 0);
  const boxHeight = nameHeight + addressHeight + 38;
  doc.roundedRect(boxX, boxTop, boxWidth, boxHeight, 4).lineWidth(0.75).stroke(RULE);
  doc.fillColor(MUTED);
  line(doc, 'Commanditaire', boxX + 12, boxTop + 10, FONT.regular, 8.5);
  doc.fillColor('#000000');
  let inBox = paragraph(doc, document.funder.name, boxX + 12, boxTop + 24, boxWidth - 24, FONT.bold, 12);
  for (const text of addressLines) inBox = paragraph(doc, text, boxX + 12, inBox + 2, boxWidth - 24, FONT.regular, 10);

  let below = boxTop;
  if (document.commitmentReference !== null) {
    below = paragraph(doc, `Référence d'engagement : ${document.commitmentReference}`, MARGIN, below, WIDTH * 0.5 - 16, FONT.regular, 10) + 4;
  }
  return Math.max(below, boxTop + boxHeight);
}

// ---------------------------------------------------------------------------------------------
// The table of lines

const COLUMNS = { quantity: 70, unit: 90, total: 100 } as const;
const LABEL_WIDTH = WIDTH - COLUMNS.quantity - COLUMNS.unit - COLUMNS.total;
const CELL_PAD = 6;

function drawLines(doc: Pdf, document: OrderDocument, top: number): number {
  let y = top;
  const header = (): void => {
    doc.rect(MARGIN, y, WIDTH, 22).fill('#eeeeee');
    doc.fillColor('#000000');
    row(doc, y + 7, FONT.bold, 9.5, ['Désignation', 'Quantité', 'Prix unitaire', 'Montant']);
    y += 22;
  };
  header();
  for (const item of document.lines) {
    const height = heightOfParagraph(doc, item.label, LABEL_WIDTH - 2 * CELL_PAD, FONT.regular, 10) + 2 * CELL_PAD;
    if (y + height > BOTTOM) {
      doc.addPage();
      y = MARGIN;
      header();
    }
    drawLine(doc, item, y + CELL_PAD);
    y += height;
    doc.moveTo(MARGIN, y).lineTo(RIGHT, y).lineWidth(0.5).stroke(RULE);
  }
  if (y + 30 > BOTTOM) {
    doc.addPage();
    y = MARGIN;
  }
  y += 8;
  const totalX = RIGHT - COLUMNS.total - COLUMNS.unit;
  doc.rect(totalX, y, COLUMNS.total + COLUMNS.unit, 24).fill('#eeeeee');
  doc.fillColor('#000000');
  line(doc, 'Total', totalX + CELL_PAD, y + 7, FONT.bold, 11);
  line(doc, formatCents(document.totalCents), RIGHT - CELL_PAD, y + 7, FONT.bold, 11, 'right');
  return y + 24;
}

function drawLine(doc: Pdf, item: OrderDocumentLine, y: number): void {
  paragraph(doc, item.label, MARGIN + CELL_PAD, y, LABEL_WIDTH - 2 * CELL_PAD, FONT.regular, 10);
  row(doc, y, FONT.regular, 10, [undefined, formatQuantity(item.quantity), formatCents(item.unitCents), formatCents(item.totalCents)]);
}

/** The right-aligned cells of a row (and the label cell when given, as a heading). */
function row(doc: Pdf, y: number, font: string, size: number, cells: [string | undefined, string, string, string]): void {
  const [label, quantity, unit, total] = cells;
  if (label !== undefined) line(doc, label, MARGIN + CELL_PAD, y, font, size);
  line(doc, quantity, MARGIN + LABEL_WIDTH + COLUMNS.quantity - CELL_PAD, y, font, size, 'right');
  line(doc, unit, RIGHT - COLUMNS.total - CELL_PAD, y, font, size, 'right');
  line(doc, total, RIGHT - CELL_PAD, y, font, size, 'right');
}

function formatQuantity(quantity: number): string {
  return String(quantity).replace(/\B(?=(\d{3})+$)/gu, ' ');
}

// ---------------------------------------------------------------------------------------------
// Funding, rules, notes

function drawSections(doc: Pdf, document: OrderDocument, top: number): void {
  let y = top;
  const block = (text: string, font: string, size: number, gap: number, indent = 0): void => {
    const height = heightOfParagraph(doc, text, WIDTH - indent, font, size);
    if (y + height > BOTTOM) {
      doc.addPage();
      y = MARGIN;
    }
    y = paragraph(doc, text, MARGIN + indent, y, WIDTH - indent, font, size) + gap;
  };
  const heading = (text: string): void => {
    if (y + 40 > BOTTOM) {
      doc.addPage();
      y = MARGIN;
    }
    block(text, FONT.bold, 11, 4);
  };

  heading('Mode de financement');
  block(FUNDING[document.fundingMode], FONT.regular, 10, 14);

  heading('Chèques');
  block(`Valables du ${formatLongDate(document.validFrom)} au ${formatLongDate(document.validUntil)}.`, FONT.regular, 10, 4);
  if (document.rules.length === 0) block('Utilisables dans tous les lieux partenaires du pass numérique, pour tous les services.', FONT.regular, 10, 4);
  for (const rule of document.rules) block(`• ${rule}`, FONT.regular, 10, 3, 8);
  y += 10;

  if (document.notes.length > 0) {
    heading('Mentions');
    for (const note of document.notes) block(note, FONT.regular, 9.5, 6);
  }
}

function drawFooters(doc: Pdf, document: OrderDocument): void {
  const { start, count } = doc.bufferedPageRange();
  const { platform } = document;
  for (let page = start; page < start + count; page++) {
    doc.switchToPage(page);
    doc.moveTo(MARGIN, A4.height - 48).lineTo(RIGHT, A4.height - 48).lineWidth(0.5).stroke(RULE);
    doc.fillColor(MUTED);
    const pageText = count > 1 ? ` · page ${page - start + 1} sur ${count}` : '';
    const tail = `${document.number}${pageText}`;
    doc.font(FONT.regular).fontSize(8);
    const tailWidth = doc.widthOfString(tail);
    line(doc, fit(doc, `${platform.name} · SIRET ${platform.siret} · ${platform.email}`, FONT.regular, 8, WIDTH - tailWidth - 16), MARGIN, A4.height - 40, FONT.regular, 8);
    line(doc, tail, RIGHT, A4.height - 40, FONT.regular, 8, 'right');
    doc.fillColor('#000000');
  }
  doc.flushPages();
}
