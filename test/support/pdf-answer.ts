import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { plain, run } from '../print/support.js';

/**
 * A money document answered over HTTP, read back as text: checks that it is a PDF that no cache
 * keeps, writes it into `dir` and gives its lines as pdftotext lays them out (-layout: one table
 * row, one line), spaces collapsed and apostrophes plain. A missing pdftotext fails the test.
 */
export async function pdfLines(response: LightMyRequestResponse, dir: string, name: string): Promise<string[]> {
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/pdf');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const file = path.join(dir, name);
  await writeFile(file, response.rawPayload);
  const text = await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-']);
  return text.split('\n').map((row) => plain(row).trim());
}
