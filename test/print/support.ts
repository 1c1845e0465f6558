import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { formatBookletNumber, formatVoucherSerial, generateVoucherCode } from '../../src/domains/vouchers/codes.js';
import type { PrintableBooklet, PrintableOrder } from '../../src/print/printable.js';

/**
 * What the print tests share: orders of fresh codes, and the poppler and zbar tools that read the
 * PDFs back. A missing tool is an error (spawn ENOENT) that fails the test, in CI and elsewhere:
 * these tests are never skipped.
 */

const execFileAsync = promisify(execFile);

/** Runs a tool and returns its standard output; any failure (missing tool included) throws. */
export async function run(command: string, args: string[], options: { okExitCodes?: number[] } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 << 20, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { code?: unknown; stdout?: string };
    // zbarimg exits with 4 when an image holds no barcode: the caller may accept that.
    if (typeof failure.code === 'number' && options.okExitCodes?.includes(failure.code)) return failure.stdout ?? '';
    throw error;
  }
}

/** The text of a PDF, whitespace collapsed and apostrophes made plain, for `toContain`. */
export async function pdfTextOf(file: string): Promise<string> {
  const text = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
  return plain(text);
}

export function plain(text: string): string {
  return text.replace(/[’‘]/gu, "'").replace(/\s+/gu, ' ');
}

export async function pageCount(file: string): Promise<number> {
  const info = await run('pdfinfo', [file]);
  const match = /^Pages:\s+(\d+)/mu.exec(info);
  if (!match) throw new Error(`pdfinfo gave no page count:\n${info}`);
  return Number(match[1]);
}

export interface IssuedBooklet extends PrintableBooklet {
  sequence: number;
}

/** An order of fresh codes; `issued` keeps what was handed to the renderer, to compare with what is read back. */
export function printableOrder(input: { booklets: number; perBooklet: number; firstSequence?: number; overrides?: Partial<PrintableOrder> }): {
  order: PrintableOrder;
  issued: IssuedBooklet[];
} {
  const first = input.firstSequence ?? 4200;
  const issued: IssuedBooklet[] = [];
  for (let b = 0; b < input.booklets; b++) {
    const sequence = first + b;
    issued.push({
      sequence,
      number: formatBookletNumber(sequence),
      position: b + 1,
      vouchers: Array.from({ length: input.perBooklet }, (_, v) => ({ serial: formatVoucherSerial(sequence, v + 1), code: generateVoucherCode(), position: v + 1 })),
    });
  }
  async function* booklets(): AsyncGenerator<PrintableBooklet> {
    for (const booklet of issued) yield booklet;
  }
  const order: PrintableOrder = {
    orderNumber: 'CMD-000042',
    funderName: 'Communauté d’agglomération du Grand Œuvre',
    faceValueCents: 1000,
    vouchersPerBooklet: input.perBooklet,
    bookletCount: input.booklets,
    validFrom: '2026-12-01',
    validUntil: '2027-11-30',
    rules: ['Valable à : Bordeaux Métropole', 'Pour les services : « Maîtriser le numérique »'],
    holderUrl: 'https://passnum.example.fr/mon-pass',
    booklets: booklets(),
    ...input.overrides,
  };
  return { order, issued };
}

// ---------------------------------------------------------------------------------------------
// Images: pdftoppm writes PGM (8-bit grey), simple enough to crop here.

export interface Pgm {
  width: number;
  height: number;
  pixels: Buffer;
}

export async function readPgm(file: string): Promise<Pgm> {
  const data = await readFile(file);
  // Header: P5 <width> <height> <maxval>, separated by whitespace, then one byte per pixel.
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/u.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error(`${file} is not a binary PGM`);
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: data.subarray(header[0].length, header[0].length + width * height) };
}

/** Writes rows [top, top + rows) of an image as a PGM of its own. */
export async function writePgmRows(image: Pgm, top: number, rows: number, file: string): Promise<void> {
  const start = Math.max(0, top);
  const end = Math.min(image.height, top + rows);
  const header = Buffer.from(`P5\n${image.width} ${end - start}\n255\n`, 'latin1');
  await writeFile(file, Buffer.concat([header, image.pixels.subarray(start * image.width, end * image.width)]));
}

export interface DecodedSymbol {
  file: string;
  type: string;
  data: string;
}

/** Every barcode zbar finds in the images, with the image it came from. */
export async function decodeBarcodes(files: string[]): Promise<DecodedSymbol[]> {
  const xml = await run('zbarimg', ['--nodbus', '--quiet', '--xml', ...files], { okExitCodes: [4] });
  const symbols: DecodedSymbol[] = [];
  for (const source of xml.matchAll(/<source href='([^']*)'>([\s\S]*?)<\/source>/gu)) {
    for (const symbol of (source[2] ?? '').matchAll(/<symbol type='([^']+)'[^>]*><data><!\[CDATA\[([\s\S]*?)\]\]><\/data>/gu)) {
      symbols.push({ file: source[1] ?? '', type: symbol[1] ?? '', data: symbol[2] ?? '' });
    }
  }
  return symbols;
}
