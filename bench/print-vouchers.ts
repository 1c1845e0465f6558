import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatBookletNumber, formatVoucherSerial, generateVoucherCode } from '../src/domains/vouchers/codes.js';
import type { PrintableBooklet, PrintableOrder } from '../src/print/printable.js';
import { renderVoucherSheets } from '../src/print/voucher-sheets.js';

/**
 * Printing `count` vouchers in booklets of 10 into a PDF in a temporary folder: time, time per
 * 1,000 vouchers, peak memory (RSS sampled every 20 ms) and size of the file. Codes are generated
 * as the booklets are pulled, as the database cursor would hand them over, so that the memory
 * measured is the renderer's.
 */

const PER_BOOKLET = 10;

export async function benchPrintVouchers(count = 10_000): Promise<{ ms: number; perThousandMs: number; peakRssMb: number; bytes: number }> {
  const bookletCount = Math.ceil(count / PER_BOOKLET);
  async function* booklets(): AsyncGenerator<PrintableBooklet> {
    for (let position = 1; position <= bookletCount; position++) {
      const sequence = 1_000_000 + position;
      const size = Math.min(PER_BOOKLET, count - (position - 1) * PER_BOOKLET);
      yield {
        number: formatBookletNumber(sequence),
        position,
        vouchers: Array.from({ length: size }, (_, i) => ({ serial: formatVoucherSerial(sequence, i + 1), code: generateVoucherCode(), position: i + 1 })),
      };
    }
  }
  const order: PrintableOrder = {
    orderNumber: 'CMD-000001',
    funderName: 'Conseil départemental de la Gironde',
    faceValueCents: 1000,
    vouchersPerBooklet: PER_BOOKLET,
    bookletCount,
    validFrom: '2026-12-01',
    validUntil: '2027-11-30',
    rules: ['Valable à : Gironde (33)', 'Sans reste à payer pour la personne'],
    holderUrl: 'https://passnum.example.fr/mon-pass',
    booklets: booklets(),
  };

  const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-bench-print-'));
  const file = path.join(dir, 'vouchers.pdf');
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    await renderVoucherSheets(order, createWriteStream(file));
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    peak = Math.max(peak, process.memoryUsage().rss);
    const { size: bytes } = await stat(file);
    const result = { ms, perThousandMs: (ms / count) * 1000, peakRssMb: peak / 1024 / 1024, bytes };
    console.log(
      `Impression / printing: ${count.toLocaleString('fr-FR')} chèques/vouchers (${bookletCount.toLocaleString('fr-FR')} carnets/booklets) ` +
        `en/in ${(ms / 1000).toFixed(1)} s (CPU ${((user + system) / 1e6).toFixed(1)} s), ${result.perThousandMs.toFixed(0)} ms / 1 000, ` +
        `pic mémoire/peak RSS ${result.peakRssMb.toFixed(0)} Mo/MB, PDF ${(bytes / 1024 / 1024).toFixed(1)} Mo/MB`,
    );
    return result;
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}
