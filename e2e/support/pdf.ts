import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Reading the printed vouchers back, as a person at a counter would read the paper: the text of
 * the PDF through poppler's pdftotext. A missing tool is an error (spawn ENOENT) that fails the
 * journey: it is never skipped.
 */

const execFileAsync = promisify(execFile);

/** The text of each page of a PDF (pdftotext separates pages with a form feed). */
export async function pdfPages(file: string): Promise<string[]> {
  const { stdout } = await execFileAsync('pdftotext', ['-enc', 'UTF-8', file, '-'], { maxBuffer: 64 << 20, encoding: 'utf8' });
  const pages = stdout.split('\f');
  // The text ends with a form feed: the last piece is empty.
  if (pages.at(-1)?.trim() === '') pages.pop();
  return pages;
}

export interface PrintedBooklet {
  /** The 8 digits printed on the cover. */
  number: string;
  /** The codes of its stubs, as printed (ABCD-EFGH-JKMN-PQRST), in their order. */
  codes: string[];
  /** The serial of each stub (<booklet number>-<position>), in the same order. */
  serials: string[];
}

const COVER = /Carnet n°\s+(\d{8})\b/u;
/** A code as printed: four groups, the last one ending with the check symbol (which may be * ~ $ = U). */
const CODE = /\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}[0-9A-Z*~$=]/gu;
const SERIAL = /N° (\d{8})-(\d{2})\b/gu;

/**
 * The booklets of a voucher PDF: each cover page gives a booklet number, the pages that follow it
 * give its vouchers. Throws when the pages do not read as expected (a stub page before any cover,
 * a code without its serial, a serial of another booklet), so that a broken document fails loudly.
 */
export async function printedBooklets(file: string): Promise<PrintedBooklet[]> {
  const booklets: PrintedBooklet[] = [];
  for (const [index, page] of (await pdfPages(file)).entries()) {
    const cover = COVER.exec(page);
    if (cover) {
      booklets.push({ number: cover[1]!, codes: [], serials: [] });
      continue;
    }
    const current = booklets.at(-1);
    if (!current) throw new Error(`page ${index + 1} of ${file} holds vouchers before any booklet cover:\n${page}`);
    const codes = page.match(CODE) ?? [];
    const serials = [...page.matchAll(SERIAL)];
    if (codes.length === 0 || codes.length !== serials.length) {
      throw new Error(`page ${index + 1} of ${file}: ${codes.length} code(s) and ${serials.length} serial(s):\n${page}`);
    }
    for (const serial of serials) {
      if (serial[1] !== current.number) throw new Error(`page ${index + 1} of ${file}: the serial ${serial[0]} is not of the booklet ${current.number}`);
      current.serials.push(`${serial[1]}-${serial[2]}`);
    }
    current.codes.push(...codes);
  }
  return booklets;
}
