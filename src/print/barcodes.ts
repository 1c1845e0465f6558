import bwipjs from 'bwip-js';
import type { Pdf } from './pdf-kit.js';

/**
 * Barcodes drawn as vector shapes: bwip-js encodes (bars, modules), pdfkit draws rectangles in one
 * filled path. Vectors print sharp at any printer resolution, weigh a few hundred bytes once
 * compressed, and skip encoding then decoding a PNG for every voucher.
 *
 * Quiet zones are part of what each function draws (a white box around the symbol): Code 128 needs
 * 10 modules on each side, QR 4 modules all around. Without them scanners (and zbar) miss codes.
 */

export interface Code128 {
  /** Widths in modules, bar first, alternating bar and space. */
  readonly widths: readonly number[];
  /** The symbol's width in modules, quiet zones excluded. */
  readonly modules: number;
}

const CODE128_QUIET_MODULES = 10;
const QR_QUIET_MODULES = 4;

export function encodeCode128(text: string): Code128 {
  const [symbol] = bwipjs.raw({ bcid: 'code128', text });
  if (!symbol || !('sbs' in symbol)) throw new Error('bwip-js returned no Code 128 bars');
  let modules = 0;
  for (const width of symbol.sbs) modules += width;
  return { widths: symbol.sbs, modules };
}

/** Width in points of a Code 128 drawn by `drawCode128`, quiet zones included. */
export function code128Width(symbol: Code128, moduleWidth: number): number {
  return (symbol.modules + 2 * CODE128_QUIET_MODULES) * moduleWidth;
}

/** Draws a Code 128 with its quiet zones from (x, y), the top left corner of the left quiet zone. */
export function drawCode128(doc: Pdf, symbol: Code128, x: number, y: number, moduleWidth: number, height: number): void {
  doc.rect(x, y, code128Width(symbol, moduleWidth), height).fill('#ffffff');
  let cursor = x + CODE128_QUIET_MODULES * moduleWidth;
  for (let i = 0; i < symbol.widths.length; i++) {
    const width = (symbol.widths[i] ?? 0) * moduleWidth;
    if (i % 2 === 0) doc.rect(cursor, y, width, height);
    cursor += width;
  }
  doc.fill('#000000');
}

export interface Matrix2D {
  /** Modules per side (QR symbols are square). */
  readonly size: number;
  /** Row-major, 1 = dark. */
  readonly modules: readonly number[];
}

/**
 * The QR code of a text, error correction M (15 % of the symbol may be lost). The mask is fixed:
 * choosing the best of the eight, as bwip-js does by default, takes three quarters of the time of
 * a symbol (2.3 ms instead of 0.7), and every decoder reads every mask (ISO/IEC 18004 § 7.8).
 */
export function encodeQr(text: string): Matrix2D {
  // bwip-js's types lack the QR options (eclevel, mask).
  const [symbol] = bwipjs.raw({ bcid: 'qrcode', text, eclevel: 'M', mask: QR_MASK } as bwipjs.RawOptions);
  if (!symbol || !('pixs' in symbol)) throw new Error('bwip-js returned no QR matrix');
  if (symbol.pixx !== symbol.pixy) throw new Error('a QR code is square');
  return { size: symbol.pixx, modules: symbol.pixs };
}

const QR_MASK = 1;

/** Width (and height) in points of a QR code drawn by `drawMatrix`, quiet zone included, for a symbol of `size` modules. */
export function matrixWidth(size: number, moduleSize: number): number {
  return (size + 2 * QR_QUIET_MODULES) * moduleSize;
}

/** Draws a matrix code on white with its quiet zone from (x, y), the top left corner of the quiet zone. */
export function drawMatrix(doc: Pdf, symbol: Matrix2D, x: number, y: number, moduleSize: number): void {
  const { size, modules } = symbol;
  const outer = matrixWidth(size, moduleSize);
  doc.rect(x, y, outer, outer).fill('#ffffff');
  const left = x + QR_QUIET_MODULES * moduleSize;
  const top = y + QR_QUIET_MODULES * moduleSize;
  // One rectangle per horizontal run of dark modules, all in one path: filled at once, so that
  // no hairline shows between neighbours when the page is rasterised.
  for (let row = 0; row < size; row++) {
    let column = 0;
    while (column < size) {
      if (modules[row * size + column] !== 1) {
        column++;
        continue;
      }
      const start = column;
      while (column < size && modules[row * size + column] === 1) column++;
      doc.rect(left + start * moduleSize, top + row * moduleSize, (column - start) * moduleSize, moduleSize);
    }
  }
  doc.fill('#000000');
}
