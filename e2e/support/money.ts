import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';

/** Helpers of the money journey: files downloaded from a given link, and the bank file checked against its schema. */

const execFileAsync = promisify(execFile);

/** The ISO 20022 schema the repository keeps for the SEPA transfer files (test/settlement/sepa-xsd.test.ts). */
export const PAIN_001_XSD = path.resolve('test/data/sepa-pain001/pain.001.001.09.xsd');

/**
 * Clicks a link that downloads a file (the browser saves it) and saves it into `dir`; returns
 * where, the name the server suggested, and the bytes.
 */
export async function downloadFrom(page: Page, link: Locator, dir: string): Promise<{ file: string; name: string; bytes: Buffer }> {
  const [saved] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const failure = await saved.failure();
  if (failure !== null) throw new Error(`the download from ${page.url()} failed: ${failure}`);
  const name = saved.suggestedFilename();
  const file = path.join(dir, `${Date.now()}-${name}`);
  await saved.saveAs(file);
  return { file, name, bytes: await readFile(file) };
}

/**
 * Validates an XML file with libxml2's xmllint against a schema. Resolves with the verdict;
 * a missing xmllint rejects (spawn ENOENT): the journey fails, it is never skipped.
 */
export async function validateXml(file: string, schema: string): Promise<{ valid: boolean; output: string }> {
  try {
    const { stderr } = await execFileAsync('xmllint', ['--noout', '--schema', schema, file], { maxBuffer: 16 << 20 });
    return { valid: true, output: stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stderr?: string };
    // xmllint answers 3 or 4 for an invalid document; anything else is the journey's failure.
    if (failure.code === 3 || failure.code === 4) return { valid: false, output: failure.stderr ?? '' };
    throw error;
  }
}
