import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { formatVoucherCode } from '../domains/vouchers/codes.js';
import { formatLongDate } from '../lib/paris-dates.js';
import { code128Width, drawCode128, drawMatrix, encodeCode128, encodeQr, matrixWidth } from './barcodes.js';
import { A4, createA4Document, fit, FONT, formatFaceValue, heightOfParagraph, line, MUTED, paragraph, pdfText, RULE, type Pdf } from './pdf-kit.js';
import type { PrintableBooklet, PrintableOrder, PrintableVoucher } from './printable.js';

/**
 * The printed vouchers of an order: for each booklet a cover page (for the distributor, who scans
 * the booklet number when handing it out, and for the holder, who keeps it), then its vouchers,
 * five stubs to an A4 page, cut apart along the dashed lines.
 *
 * Each stub carries its code three ways: as text for typing, as a Code 128 for hand scanners that
 * type what they read, as a QR code for phone cameras. The document is streamed: booklets are
 * pulled from the order one at a time, each page leaves pdfkit when the next one starts, and the
 * loop waits while `out` is full, so that memory stays flat whatever the number of vouchers.
 */

const STUBS_PER_PAGE = 5;
const PAGE_MARGIN_X = 20;
const STUB_HEIGHT = 160;
const STUB_WIDTH = A4.width - 2 * PAGE_MARGIN_X;
const STUBS_TOP = (A4.height - STUBS_PER_PAGE * STUB_HEIGHT) / 2;
/** Inside a stub: left edge of the text, right edge of the value and the QR code. */
const STUB_PAD = 16;
/** 0.34 mm bars: read by any hand scanner, 210 to 225 pt wide for a code. */
const CODE128_MODULE = 0.96;
const CODE128_HEIGHT = 34;
/** 0.92 mm modules: a 21 × 21 symbol is 19 mm wide, 27 mm with its quiet zone. */
const QR_MODULE = 2.6;
/** The box kept for the QR code: a version 2 symbol (25 modules) with its quiet zone. */
const QR_BOX = matrixWidth(25, QR_MODULE);
/** Where the stub's text must stop so as to leave the QR code its quiet zone. */
const STUB_TEXT_RIGHT = STUB_WIDTH - STUB_PAD - QR_BOX - 6;

/** Where the stubs lie on a page of vouchers, in points from the top (for cutting, and for the tests that crop them). */
export const STUB_LAYOUT = { perPage: STUBS_PER_PAGE, top: STUBS_TOP, height: STUB_HEIGHT } as const;

/** Beyond this many bytes waiting in pdfkit, the next booklet waits for `out` to drain. */
const HIGH_WATER_BYTES = 1 << 20;

/**
 * Writes the order's vouchers as an A4 PDF into `out`, then ends it (process.stdout excepted).
 * Resolves once `out` has taken the whole document; rejects if the booklets cannot be read or
 * `out` fails, leaving the document unfinished: the caller discards `out`.
 */
export async function renderVoucherSheets(order: PrintableOrder, out: NodeJS.WritableStream): Promise<void> {
  const doc = createA4Document({
    title: `Pass numérique — ${order.funderName} — commande ${order.orderNumber}`,
    subject: `${order.bookletCount} carnets de ${order.vouchersPerBooklet} chèques`,
    author: order.funderName,
  });
  const state: OutputState = { failure: undefined, closed: false };
  const closed = finished(out).then(
    () => void (state.closed = true),
    (error: unknown) => void (state.failure ??= error),
  );
  doc.on('error', (error: unknown) => void (state.failure ??= error));
  const stdio = out === process.stdout || out === process.stderr;
  const docEnded = stdio ? once(doc, 'end') : undefined;
  doc.pipe(out);

  try {
    const texts = sheetTexts(doc, order);
    let booklets = 0;
    for await (const booklet of order.booklets) {
      drawCover(doc, order, texts, booklet);
      drawVoucherPages(doc, texts, booklet);
      booklets++;
      await leaveRoom(doc, out, state, closed);
    }
    if (booklets === 0) {
      doc.addPage();
      line(doc, `Commande ${order.orderNumber} : aucun carnet à imprimer.`, 56, 56, FONT.regular, 12);
    }
  } catch (error) {
    doc.unpipe(out);
    throw error;
  }
  doc.end();
  await (docEnded ?? closed);
  if (state.failure !== undefined) throw state.failure;
}

interface OutputState {
  failure: unknown;
  /** `out` finished, or was closed by someone else. */
  closed: boolean;
}

/** Lets `out` take what pdfkit produced, and waits while it is full. */
async function leaveRoom(doc: Pdf, out: NodeJS.WritableStream, state: OutputState, closed: Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const writable = out as Partial<{ writableNeedDrain: boolean }>;
  for (;;) {
    if (state.failure !== undefined) throw state.failure;
    if (state.closed) throw new Error('the destination of the vouchers closed before the end of the document');
    if (writable.writableNeedDrain === true) {
      await Promise.race([once(out as NodeJS.EventEmitter, 'drain'), closed]);
    } else if (doc.readableLength > HIGH_WATER_BYTES) {
      // `out` drained but the pipe has not resumed yet.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else {
      return;
    }
  }
}

/** What every stub and cover of the order repeats, computed once. */
interface SheetTexts {
  faceValue: string;
  /** The face value's width on a stub, to align it right. */
  faceValueWidth: number;
  lastDay: string;
  validUntil: string;
  validity: string;
  funder: string;
  /** The type size of the cover's rules and instructions, and the rules as they fit. */
  coverFit?: { size: number; rules: string[] };
  /** The stub's lines, shortened to fit beside the QR code. */
  stubFunder: string;
  stubWhere: string;
  stubRule: string;
}

function sheetTexts(doc: Pdf, order: PrintableOrder): SheetTexts {
  const width = STUB_TEXT_RIGHT - STUB_PAD;
  const firstRule = order.rules[0] ?? 'Dans tous les lieux partenaires du pass numérique';
  const faceValue = formatFaceValue(order.faceValueCents);
  doc.font(FONT.bold).fontSize(30);
  return {
    faceValue,
    faceValueWidth: doc.widthOfString(pdfText(faceValue)),
    lastDay: formatLongDate(order.validUntil),
    validUntil: `Valable jusqu'au ${formatLongDate(order.validUntil)}`,
    validity: `Valable du ${formatLongDate(order.validFrom)} au ${formatLongDate(order.validUntil)}`,
    funder: pdfText(order.funderName),
    stubFunder: fit(doc, `Financé par ${order.funderName}`, FONT.regular, 9, width),
    stubWhere: fit(doc, `Où l'utiliser, le vérifier : ${order.holderUrl}`, FONT.regular, 8, width),
    stubRule: stubRule(doc, firstRule, order.rules.length > 1, width),
  };
}

/** The first rule, and when others follow or it is cut, a pointer to the cover that lists them all. */
function stubRule(doc: Pdf, rule: string, more: boolean, width: number): string {
  const whole = fit(doc, rule, FONT.regular, 8, width);
  if (!more && whole === pdfText(rule)) return whole;
  const pointer = ' (conditions complètes sur le carnet)';
  if (!whole.endsWith('…') && fit(doc, whole + pointer, FONT.regular, 8, width) === whole + pointer) return whole + pointer;
  doc.font(FONT.regular).fontSize(8);
  return fit(doc, rule, FONT.regular, 8, width - doc.widthOfString(pointer)) + pointer;
}

// ---------------------------------------------------------------------------------------------
// Cover

const COVER_X = 56;
const COVER_WIDTH = A4.width - 2 * COVER_X;

function drawCover(doc: Pdf, order: PrintableOrder, texts: SheetTexts, booklet: PrintableBooklet): void {
  doc.addPage();
  const right = COVER_X + COVER_WIDTH;
  const count = booklet.vouchers.length;
  line(doc, 'Pass numérique', COVER_X, 56, FONT.bold, 34);
  line(doc, `Carnet de ${count} chèque${count > 1 ? 's' : ''} de ${texts.faceValue}`, COVER_X, 100, FONT.regular, 16);
  let y = paragraph(doc, `Financé par ${texts.funder}`, COVER_X, 126, COVER_WIDTH, FONT.bold, 14);

  // The booklet number, large for reading aloud or typing, and as a barcode for scanning.
  y += 18;
  doc.roundedRect(COVER_X, y, COVER_WIDTH, 128, 6).lineWidth(1).stroke(RULE);
  line(doc, 'Carnet n°', COVER_X + 20, y + 18, FONT.regular, 12);
  line(doc, booklet.number, COVER_X + 20, y + 36, FONT.mono, 36);
  line(doc, `Commande ${order.orderNumber} · carnet ${booklet.position} sur ${order.bookletCount}`, COVER_X + 20, y + 90, FONT.regular, 9);
  const symbol = encodeCode128(booklet.number);
  const module = 1.5;
  drawCode128(doc, symbol, right - 20 - code128Width(symbol, module), y + 22, module, 72);
  y += 128 + 26;

  line(doc, `Valeur : ${count} × ${texts.faceValue} = ${formatFaceValue(count * order.faceValueCents)}`, COVER_X, y, FONT.bold, 13);
  y = paragraph(doc, texts.validity, COVER_X, y + 20, COVER_WIDTH, FONT.regular, 12);

  // Rules and instructions share what is left above the distributor's note: long rules (a list
  // of communes) make the type smaller and are shortened. The same for every booklet: measured once.
  const footY = A4.height - 100;
  const instructions = holderInstructions(order, texts);
  texts.coverFit ??= fitCover(doc, order.rules, instructions, footY - 12 - (y + 14 + 18 + 14 + 18));
  const { size, rules } = texts.coverFit;

  y += 14;
  line(doc, "Conditions d'utilisation", COVER_X, y, FONT.bold, 12);
  y += 18;
  for (const rule of rules) y = bullet(doc, rule, y, size) + RULE_GAP;

  y += 14;
  line(doc, 'Comment utiliser vos chèques ?', COVER_X, y, FONT.bold, 12);
  y += 18;
  for (const instruction of instructions) y = bullet(doc, instruction, y, size) + INSTRUCTION_GAP;

  // For the distributor, at the foot of the page.
  doc.moveTo(COVER_X, footY).lineTo(right, footY).lineWidth(0.5).stroke(RULE);
  paragraph(
    doc,
    'Pour la personne qui remet ce carnet : au moment de le remettre, scannez ou saisissez son numéro sur la plateforme. La remise est enregistrée sans aucune donnée sur la personne qui le reçoit.',
    COVER_X,
    footY + 10,
    COVER_WIDTH,
    FONT.oblique,
    9.5,
  );
  doc.fillColor(MUTED);
  line(doc, fit(doc, `${texts.funder} · commande ${order.orderNumber} · carnet ${booklet.number}`, FONT.regular, 8, COVER_WIDTH), COVER_X, A4.height - 40, FONT.regular, 8);
  doc.fillColor('#000000');
}

/** What the holder is told on the cover. Addresses start their own line: pdfkit would otherwise break them after « https:// ». */
function holderInstructions(order: PrintableOrder, texts: SheetTexts): string[] {
  return [
    `Choisissez un lieu de médiation numérique partenaire ; la carte des lieux est sur :\n${order.holderUrl}`,
    `Présentez-y un ou plusieurs chèques : chacun paie ${texts.faceValue} d'accompagnement au numérique (atelier, aide pour une démarche en ligne, initiation...). Le lieu scanne le chèque.`,
    `Ne jetez pas ce carnet : les chèques non utilisés restent valables jusqu'au ${texts.lastDay}.`,
    `Un chèque ne sert qu'une fois. Son code vaut de l'argent : ne le donnez pas à distance, ne l'envoyez pas en photo. Pour vérifier un chèque :\n${order.holderUrl}`,
    'Personne ne vous demandera votre nom pour utiliser ces chèques.',
  ];
}

const BULLET_INDENT = 18;
const BULLET_WIDTH = COVER_WIDTH - BULLET_INDENT;
const RULE_GAP = 3;
const INSTRUCTION_GAP = 4;
const SHORTENED = ' … (liste complète en ligne)';

function fitCover(doc: Pdf, orderRules: readonly string[], instructions: readonly string[], available: number): { size: number; rules: string[] } {
  const allRules = orderRules.length > 0 ? orderRules : ['Dans tous les lieux de médiation numérique partenaires du pass numérique'];
  let rules: string[] = [...allRules];
  for (const size of [10.5, 9.5, 8.5, 7.5]) {
    for (const maxLines of [6, 4, 2]) {
      rules = allRules.map((rule) => shorten(doc, rule, size, maxLines));
      if (bulletsHeight(doc, rules, size, RULE_GAP) + bulletsHeight(doc, instructions, size, INSTRUCTION_GAP) <= available) return { size, rules };
    }
  }
  // Still too long (dozens of rules): the first ones, as many as fit.
  const size = 7.5;
  let room = available - bulletsHeight(doc, instructions, size, INSTRUCTION_GAP);
  const kept: string[] = [];
  for (const rule of rules) {
    room -= bulletsHeight(doc, [rule], size, RULE_GAP);
    if (room < 0) break;
    kept.push(rule);
  }
  return { size, rules: kept };
}

/** A rule cut to at most `maxLines` lines, ending with a pointer to the full list. */
function shorten(doc: Pdf, rule: string, size: number, maxLines: number): string {
  const lineHeight = heightOfParagraph(doc, 'X', BULLET_WIDTH, FONT.regular, size);
  const fits = (text: string) => heightOfParagraph(doc, text, BULLET_WIDTH, FONT.regular, size) <= lineHeight * maxLines + 0.5;
  // No line holds more than this many characters (no glyph is narrower than 0.18 of the type size):
  // measuring a list of 500 communes in full would take seconds.
  const most = maxLines * Math.ceil(BULLET_WIDTH / (size * 0.18));
  if (rule.length <= most && fits(rule)) return rule;
  let low = 0;
  let high = Math.min(rule.length, most);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(rule.slice(0, middle).trimEnd() + SHORTENED)) low = middle;
    else high = middle - 1;
  }
  return rule.slice(0, low).trimEnd() + SHORTENED;
}

function bulletsHeight(doc: Pdf, items: readonly string[], size: number, gap: number): number {
  let height = 0;
  for (const item of items) height += heightOfParagraph(doc, item, BULLET_WIDTH, FONT.regular, size) + gap;
  return height;
}

function bullet(doc: Pdf, text: string, y: number, size: number): number {
  line(doc, '•', COVER_X + 4, y, FONT.regular, size);
  return paragraph(doc, text, COVER_X + BULLET_INDENT, y, BULLET_WIDTH, FONT.regular, size);
}

// ---------------------------------------------------------------------------------------------
// Vouchers

function drawVoucherPages(doc: Pdf, texts: SheetTexts, booklet: PrintableBooklet): void {
  booklet.vouchers.forEach((voucher, index) => {
    const slot = index % STUBS_PER_PAGE;
    if (slot === 0) {
      doc.addPage();
      const onPage = Math.min(STUBS_PER_PAGE, booklet.vouchers.length - index);
      drawCutLines(doc, onPage);
    }
    drawStub(doc, texts, voucher, PAGE_MARGIN_X, STUBS_TOP + slot * STUB_HEIGHT);
  });
}

function drawCutLines(doc: Pdf, stubs: number): void {
  for (let i = 0; i <= stubs; i++) {
    const y = STUBS_TOP + i * STUB_HEIGHT;
    doc.moveTo(PAGE_MARGIN_X - 10, y).lineTo(A4.width - PAGE_MARGIN_X + 10, y);
  }
  doc.lineWidth(0.5).dash(4, { space: 3 }).stroke(RULE).undash();
}

function drawStub(doc: Pdf, texts: SheetTexts, voucher: PrintableVoucher, x: number, y: number): void {
  const left = x + STUB_PAD;
  const right = x + STUB_WIDTH - STUB_PAD;

  line(doc, 'Pass numérique', left, y + 14, FONT.bold, 16);
  line(doc, texts.stubFunder, left, y + 34, FONT.regular, 9);
  line(doc, formatVoucherCode(voucher.code), left, y + 50, FONT.mono, 18);
  // The bars start at the text's left edge; their quiet zone lies in the stub's padding.
  drawCode128(doc, encodeCode128(voucher.code), left - 10 * CODE128_MODULE, y + 74, CODE128_MODULE, CODE128_HEIGHT);

  line(doc, `N° ${voucher.serial}`, left, y + 114, FONT.bold, 9);
  line(doc, texts.validUntil, left + 90, y + 114, FONT.regular, 9);
  line(doc, texts.stubWhere, left, y + 128, FONT.regular, 8);
  line(doc, texts.stubRule, left, y + 140, FONT.regular, 8);

  line(doc, texts.faceValue, right - texts.faceValueWidth, y + 12, FONT.bold, 30);
  const qr = encodeQr(voucher.code);
  const qrWidth = matrixWidth(qr.size, QR_MODULE);
  const boxTop = y + STUB_HEIGHT - STUB_PAD - QR_BOX;
  drawMatrix(doc, qr, right - QR_BOX + (QR_BOX - qrWidth) / 2, boxTop + (QR_BOX - qrWidth) / 2, QR_MODULE);
}
