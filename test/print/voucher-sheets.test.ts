import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVoucherCode } from '../../src/domains/vouchers/codes.js';
import type { PrintableBooklet } from '../../src/print/printable.js';
import { renderVoucherSheets, STUB_LAYOUT } from '../../src/print/voucher-sheets.js';
import { decodeBarcodes, pageCount, pdfTextOf, printableOrder, readPgm, run, writePgmRows, type DecodedSymbol, type IssuedBooklet } from './support.js';

/**
 * The printed vouchers are read back as a scanner would: pages rasterised at 200 dpi (pdftoppm),
 * barcodes decoded by zbar. Each stub is cropped and decoded on its own, as a phone camera sees
 * one voucher at a time (zbar misses some QR codes on a whole page of them).
 */

const DPI = 200;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-print-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function renderToFile(order: Parameters<typeof renderVoucherSheets>[0], name: string): Promise<string> {
  const file = path.join(dir, name);
  await renderVoucherSheets(order, createWriteStream(file));
  return file;
}

describe('voucher sheets', () => {
  const { order, issued } = printableOrder({ booklets: 2, perBooklet: 10 });
  const codes = new Set<string>(issued.flatMap((b) => b.vouchers.map((v) => v.code)));
  let file: string;

  beforeAll(async () => {
    file = await renderToFile(order, 'order.pdf');
  });

  it('prints a cover then two pages of five stubs for each booklet of ten', async () => {
    expect((await readFile(file)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(await pageCount(file)).toBe(2 * 3);
  });

  it('reads back every code from its Code 128 and its QR code, every booklet number from its cover, and nothing else', async () => {
    const pagesDir = path.join(dir, 'pages');
    await mkdir(pagesDir);
    await run('pdftoppm', ['-r', String(DPI), '-gray', file, path.join(pagesDir, 'page')]);
    const pages = (await readdir(pagesDir)).filter((f) => f.endsWith('.pgm')).sort();
    expect(pages).toHaveLength(6);

    // Which image shows what: the cover whole, each stub cropped along its cut lines.
    const expected = new Map<string, { type: 'cover'; booklet: IssuedBooklet } | { type: 'stub'; code: string }>();
    const images: string[] = [];
    const px = (points: number) => Math.round((points * DPI) / 72);
    let page = 0;
    for (const booklet of issued) {
      const cover = path.join(pagesDir, pages[page++]!);
      expected.set(cover, { type: 'cover', booklet });
      images.push(cover);
      for (let start = 0; start < booklet.vouchers.length; start += STUB_LAYOUT.perPage) {
        const image = await readPgm(path.join(pagesDir, pages[page++]!));
        const onPage = booklet.vouchers.slice(start, start + STUB_LAYOUT.perPage);
        for (const [slot, voucher] of onPage.entries()) {
          const stub = path.join(pagesDir, `stub-${voucher.serial}.pgm`);
          expected.set(stub, { type: 'stub', code: voucher.code });
          images.push(stub);
          await writePgmRows(image, px(STUB_LAYOUT.top + slot * STUB_LAYOUT.height), px(STUB_LAYOUT.height), stub);
        }
      }
    }

    const decoded = await decodeBarcodes(images);
    const byImage = new Map<string, DecodedSymbol[]>();
    for (const symbol of decoded) byImage.set(symbol.file, [...(byImage.get(symbol.file) ?? []), symbol]);

    for (const [image, what] of expected) {
      const found = (byImage.get(image) ?? []).map((s) => `${s.type}:${s.data}`).sort();
      if (what.type === 'cover') expect(found, image).toEqual([`CODE-128:${what.booklet.number}`]);
      else expect(found, image).toEqual([`CODE-128:${what.code}`, `QR-Code:${what.code}`].sort());
    }
    // Nothing decoded that was not issued, and every issued code read both ways.
    const numbers = new Set(issued.map((b) => b.number));
    for (const symbol of decoded) expect(codes.has(symbol.data) || numbers.has(symbol.data), symbol.data).toBe(true);
    for (const code of codes) {
      expect(decoded.filter((s) => s.data === code).map((s) => s.type).sort()).toEqual(['CODE-128', 'QR-Code']);
    }
  });

  it('writes each code grouped, each serial, the value, validity and where to use them', async () => {
    const text = await pdfTextOf(file);
    for (const booklet of issued) {
      expect(text).toContain(booklet.number);
      for (const voucher of booklet.vouchers) {
        expect(text).toContain(formatVoucherCode(voucher.code));
        expect(text).toContain(voucher.serial);
      }
    }
    expect(text).toContain('Pass numérique');
    expect(text).toContain('10 €');
    expect(text).toContain("Valable jusqu'au 30 novembre 2027");
    expect(text).toContain('Valable du 1er décembre 2026 au 30 novembre 2027');
    expect(text).toContain("Communauté d'agglomération du Grand Œuvre");
    expect(text).toContain('Pour les services : « Maîtriser le numérique »');
    expect(text).toContain('https://passnum.example.fr/mon-pass');
    expect(text).toContain('Ne jetez pas ce carnet');
    expect(text).toContain('Valeur : 10 × 10 € = 100 €');
  });
});

describe('voucher sheets, other shapes', () => {
  it('leaves the last page of a booklet part empty when its vouchers do not fill it', async () => {
    const { order, issued } = printableOrder({ booklets: 1, perBooklet: 7, overrides: { faceValueCents: 1250, rules: [] } });
    const file = await renderToFile(order, 'seven.pdf');
    expect(await pageCount(file)).toBe(3);
    const text = await pdfTextOf(file);
    expect(text).toContain('12,50 €');
    expect(text).toContain('Dans tous les lieux');
    for (const voucher of issued[0]!.vouchers) expect(text).toContain(voucher.serial);
  });

  it('keeps each cover on one page when the rules are long, shortening them', async () => {
    const communes = Array.from({ length: 200 }, (_, i) => `Saint-Martin-de-Commune-${i} (33${String(i).padStart(3, '0')})`).join(', ');
    const rules = [`Valable à : ${communes}`, 'Pour les services : « Maîtriser le numérique »', 'Sans reste à payer pour la personne'];
    const { order } = printableOrder({ booklets: 2, perBooklet: 5, overrides: { rules, funderName: 'Ville de Łódź' } });
    const file = await renderToFile(order, 'long-rules.pdf');
    expect(await pageCount(file)).toBe(4);
    const text = await pdfTextOf(file);
    expect(text).toContain('Saint-Martin-de-Commune-1 (33001)');
    expect(text).not.toContain('Saint-Martin-de-Commune-199');
    expect(text).toContain('… (liste complète en ligne)');
    expect(text).toContain('Sans reste à payer pour la personne');
    expect(text).toContain('(conditions complètes sur le carnet)');
    expect(text).toContain('Ville de Lódz');
  });

  it('prints a page saying so for an order without booklets', async () => {
    const { order } = printableOrder({ booklets: 0, perBooklet: 10 });
    const file = await renderToFile(order, 'empty.pdf');
    expect(await pageCount(file)).toBe(1);
    expect(await pdfTextOf(file)).toContain('aucun carnet');
  });

  it('waits for a slow destination instead of buffering the whole document', async () => {
    const { order } = printableOrder({ booklets: 24, perBooklet: 5 });
    const pulled: number[] = [];
    let written = 0;
    const source = order.booklets;
    // Records how many bytes the destination had taken when each booklet was asked for.
    const watched = {
      async *[Symbol.asyncIterator](): AsyncGenerator<PrintableBooklet> {
        for await (const booklet of source) {
          pulled.push(written);
          yield booklet;
        }
      },
    };
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        setImmediate(() => {
          written += chunk.length;
          callback();
        });
      },
    });
    await renderVoucherSheets({ ...order, booklets: watched }, slow);
    const pdf = Buffer.concat(chunks);
    expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');
    // A booklet is about 7 KB, the destination holds 16 KB: the last booklet is asked for only
    // once most of the others are written.
    expect(pulled).toHaveLength(24);
    expect(pulled[23]).toBeGreaterThan(pdf.length / 2);
  });

  it('rejects when the booklets cannot be read', async () => {
    const { order } = printableOrder({ booklets: 1, perBooklet: 10 });
    const failing = {
      async *[Symbol.asyncIterator](): AsyncGenerator<PrintableBooklet> {
        throw new Error('database gone');
      },
    };
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    await expect(renderVoucherSheets({ ...order, booklets: failing }, sink)).rejects.toThrow('database gone');
  });
});
