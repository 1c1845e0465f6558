import PDFDocument from 'pdfkit';

/**
 * What the printed documents share: an A4 pdfkit document with the standard fonts, text made safe
 * for them, and amounts written the French way. Sizes are in PDF points (1 pt = 1/72 in ≈ 0.353 mm).
 */

export const A4 = { width: 595.28, height: 841.89 } as const;

/** The 14 standard PDF fonts need no embedding; Helvetica and Courier cover French through WinAnsi. */
export const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold', oblique: 'Helvetica-Oblique', mono: 'Courier-Bold' } as const;

export const MUTED = '#444444';
export const RULE = '#999999';

export type Pdf = PDFKit.PDFDocument;

/** `bufferPages` keeps every page until the end (to number them): only for short documents. */
export function createA4Document(info: { title: string; subject?: string; author?: string }, bufferPages = false): Pdf {
  return new PDFDocument({
    size: 'A4',
    bufferPages,
    margin: 0,
    autoFirstPage: false,
    compress: true,
    lang: 'fr-FR',
    info: {
      // Metadata strings are written in UTF-16: any character goes.
      Title: info.title,
      ...(info.subject === undefined ? {} : { Subject: info.subject }),
      ...(info.author === undefined ? {} : { Author: info.author }),
      Creator: 'passnum',
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Text

/** Characters above U+00FF that WinAnsi (the standard fonts' encoding in pdfkit) can draw. */
const WIN_ANSI_EXTRA = new Set('ƒ–—‘’‚“”„†‡•…€‰‹›ˆ˜™ŒœŠšŸŽž');
const REPLACEMENTS: Record<string, string> = {
  '\u2009': ' ', // thin space
  '\u202f': '\u00a0', // narrow no-break space (French typography before « : ; ! ? »)
  '\u2007': '\u00a0',
  '\u2010': '-',
  '\u2012': '–',
  '\u2015': '—',
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  ı: 'i',
  '\u2011': '-',
  '\u2212': '-',
  '\u2032': "'",
  '\u2033': '"',
};

function encodable(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code === 0x0a) return true;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return false;
  return code <= 0xff || WIN_ANSI_EXTRA.has(char);
}

/**
 * Text as the standard fonts can draw it: pdfkit writes any character above U+00FF that WinAnsi
 * lacks as garbage, so a name such as « Saint-Maël » passes, « Łódź » loses its accents (Lodz)
 * and what cannot be approached becomes « ? ».
 */
export function pdfText(text: string): string {
  let out = '';
  for (const char of text) {
    if (encodable(char)) {
      out += char;
      continue;
    }
    const replaced = REPLACEMENTS[char];
    if (replaced !== undefined) {
      out += replaced;
      continue;
    }
    const stripped = char.normalize('NFKD').replace(/\p{M}/gu, '');
    out += stripped.length > 0 && [...stripped].every(encodable) ? stripped : char === '\t' ? ' ' : '?';
  }
  return out;
}

/**
 * An amount in integer cents, always with its cents: « 1 234,00 € », « -12,50 € ». The separators
 * are ordinary spaces, so that what is copied or extracted from the PDF reads the same everywhere;
 * the layout keeps amounts on one line.
 */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new Error(`an amount must be whole cents, not ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const euros = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+$)/gu, ' ');
  return `${sign}${euros},${String(abs % 100).padStart(2, '0')} €`;
}

/** A face value as printed on a voucher: « 10 € », « 12,50 € ». */
export function formatFaceValue(cents: number): string {
  return cents % 100 === 0 ? `${formatCents(cents).slice(0, -5)} €` : formatCents(cents);
}

/** Draws one line with no wrapping (pdfkit's fast path): x is the left edge, or the right edge or middle per `align`. */
export function line(doc: Pdf, text: string, x: number, y: number, font: string, size: number, align: 'left' | 'right' | 'center' = 'left'): void {
  doc.font(font).fontSize(size);
  const safe = pdfText(text);
  const left = align === 'left' ? x : align === 'right' ? x - doc.widthOfString(safe) : x - doc.widthOfString(safe) / 2;
  doc.text(safe, left, y, { lineBreak: false });
}

/** Shortens a line with « … » until it fits `width` (a funder's name can be long). */
export function fit(doc: Pdf, text: string, font: string, size: number, width: number): string {
  doc.font(font).fontSize(size);
  const safe = pdfText(text);
  // No glyph of the fonts used is narrower than 0.18 of the type size (Helvetica's quotesingle is 0.191):
  // beyond that many characters, no need to measure.
  const most = Math.ceil(width / (size * 0.18));
  if (safe.length <= most && doc.widthOfString(safe) <= width) return safe;
  let low = 0;
  let high = Math.min(safe.length, most);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (doc.widthOfString(`${safe.slice(0, middle).trimEnd()}…`) <= width) low = middle;
    else high = middle - 1;
  }
  return `${safe.slice(0, low).trimEnd()}…`;
}

/** Draws a paragraph wrapped to `width`; returns the y below it. */
export function paragraph(doc: Pdf, text: string, x: number, y: number, width: number, font: string, size: number, options: PDFKit.Mixins.TextOptions = {}): number {
  doc.font(font).fontSize(size);
  const safe = pdfText(text);
  doc.text(safe, x, y, { width, lineGap: size * 0.2, ...options });
  return doc.y;
}

export function heightOfParagraph(doc: Pdf, text: string, width: number, font: string, size: number): number {
  doc.font(font).fontSize(size);
  return doc.heightOfString(pdfText(text), { width, lineGap: size * 0.2 });
}
