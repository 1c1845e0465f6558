import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPain001, type Pain001Input, type SepaPayment } from '../../src/domains/settlement/sepa.js';

/**
 * Every transfer file is checked by libxml2 against the ISO 20022 schema (test/data/sepa-pain001).
 * xmllint is required: a missing tool fails these tests (spawn ENOENT), they are never skipped.
 */

const execFileAsync = promisify(execFile);
const XSD = path.resolve('test/data/sepa-pain001/pain.001.001.09.xsd');

let dir: string;
let fileNumber = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-sepa-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Validates with xmllint: resolves with its verdict; a missing xmllint rejects. */
async function validate(xml: string): Promise<{ valid: boolean; output: string }> {
  const file = path.join(dir, `pain-${++fileNumber}.xml`);
  await writeFile(file, xml, 'utf8');
  try {
    const { stderr } = await execFileAsync('xmllint', ['--noout', '--schema', XSD, file], { maxBuffer: 16 << 20 });
    return { valid: true, output: stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stderr?: string };
    // xmllint answers 3 or 4 for an invalid document; anything else (ENOENT…) is the test's failure.
    if (failure.code === 3 || failure.code === 4) return { valid: false, output: failure.stderr ?? '' };
    throw error;
  }
}

const DEBTOR = { name: 'passnum SCIC – compte de cantonnement', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' };
const IBANS = ['FR1420041010050500013M02606', 'DE89370400440532013000', 'BE68539007547034', 'FR7630006000011234567890189'];

function payment(i: number, overrides: Partial<SepaPayment> = {}): SepaPayment {
  return {
    endToEndId: `R-2026-${String(i + 1).padStart(6, '0')}`,
    amountCents: 960 * (i + 1),
    creditor: { name: `Structure ${i + 1}`, iban: IBANS[i % IBANS.length]!, bic: i % 3 === 0 ? null : 'PSSTFRPPBOR' },
    remittance: `pass numerique - remboursement mars 2026 - releve R-2026-${String(i + 1).padStart(6, '0')}`,
    ...overrides,
  };
}

function input(payments: SepaPayment[]): Pain001Input {
  return { messageId: 'PASSNUM-2026-03-B1', createdAt: new Date('2026-04-06T07:30:00Z'), requestedOn: '2026-04-10', debtor: DEBTOR, payments };
}

/** The amounts of the file read back as integers of cents, from the text. */
function centsOf(text: string): number {
  const match = /^(\d+)\.(\d{2})$/u.exec(text);
  if (!match) throw new Error(`not an amount with two decimals: ${text}`);
  return Number(match[1]) * 100 + Number(match[2]);
}

function readBack(xml: string) {
  const controlSums = [...xml.matchAll(/<CtrlSum>([^<]+)<\/CtrlSum>/gu)].map((m) => centsOf(m[1]!));
  const counts = [...xml.matchAll(/<NbOfTxs>([^<]+)<\/NbOfTxs>/gu)].map((m) => Number(m[1]));
  const amounts = [...xml.matchAll(/<InstdAmt Ccy="EUR">([^<]+)<\/InstdAmt>/gu)].map((m) => centsOf(m[1]!));
  return { controlSums, counts, amounts };
}

describe('the schema itself', () => {
  it('refuses a broken file, so that a pass means something', async () => {
    const { xml } = buildPain001(input([payment(0)]));
    expect((await validate(xml)).valid).toBe(true);
    const broken = await validate(xml.replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>NONE</ChrgBr>'));
    expect(broken.valid).toBe(false);
    expect(broken.output).toMatch(/ChrgBr/u);
    // The group header's count is mandatory (the payment information's is not).
    expect((await validate(xml.replace(/<NbOfTxs>1<\/NbOfTxs>/u, ''))).valid).toBe(false);
    expect((await validate(xml.replace('<InstdAmt Ccy="EUR">', '<InstdAmt Ccy="EUR">-'))).valid).toBe(false);
    expect((await validate(xml.replace('<PmtMtd>TRF</PmtMtd>', ''))).valid).toBe(false);
  });
});

describe('files built by buildPain001', () => {
  it('validates with one payment', async () => {
    const built = buildPain001(input([payment(0, { amountCents: 1234 })]));
    const verdict = await validate(built.xml);
    expect(verdict.output).toContain('validates');
    expect(verdict.valid).toBe(true);
    expect(readBack(built.xml)).toEqual({ controlSums: [1234, 1234], counts: [1, 1], amounts: [1234] });
    expect(built).toMatchObject({ transactions: 1, controlSumCents: 1234 });
  });

  it('validates with 500 payments, the control sum equal to their integer sum', async () => {
    const payments = Array.from({ length: 500 }, (_, i) => payment(i, { amountCents: [1, 99, 100_000_000, 960 * (i + 1)][i % 4]! }));
    const built = buildPain001(input(payments));
    expect((await validate(built.xml)).valid).toBe(true);
    const sum = payments.reduce((total, p) => total + p.amountCents, 0);
    const back = readBack(built.xml);
    expect(built.transactions).toBe(500);
    expect(built.controlSumCents).toBe(sum);
    expect(back.counts).toEqual([500, 500]);
    expect(back.controlSums).toEqual([sum, sum]);
    expect(back.amounts).toEqual(payments.map((p) => p.amountCents));
    expect(back.amounts.reduce((a, b) => a + b, 0)).toBe(sum);
  });

  it('validates with the smallest and the largest amounts', async () => {
    const built = buildPain001(input([payment(0, { amountCents: 1 }), payment(1, { amountCents: 99 }), payment(2, { amountCents: 100_000_000 }), payment(3, { amountCents: 99_999_999_999 })]));
    expect((await validate(built.xml)).valid).toBe(true);
    expect(built.xml).toContain('<InstdAmt Ccy="EUR">0.01</InstdAmt>');
    expect(built.xml).toContain('<InstdAmt Ccy="EUR">0.99</InstdAmt>');
    expect(built.xml).toContain('<InstdAmt Ccy="EUR">1000000.00</InstdAmt>');
    expect(built.xml).toContain('<InstdAmt Ccy="EUR">999999999.99</InstdAmt>');
    expect(readBack(built.xml).controlSums).toEqual([1 + 99 + 100_000_000 + 99_999_999_999, 1 + 99 + 100_000_000 + 99_999_999_999]);
  });

  it('validates with awkward names and remittance texts, kept within the SEPA limits', async () => {
    const awkward = [
      'Médiathèque Éléonore-d’Aquitaine & Fils <Cie> "Œuvre" à Saint-Maël',
      `Association ${'très longue '.repeat(20)}`,
      '東京 digital café ☕',
      "L'Atelier : (numérique) / 2.0 ? +",
      'Tab\tand\nnew line',
    ];
    const payments = awkward.map((name, i) => payment(i, { creditor: { name, iban: IBANS[i % IBANS.length]!, bic: null }, remittance: `${name} ${'x'.repeat(200)} ]]> &amp;` }));
    const built = buildPain001({ ...input(payments), debtor: { ...DEBTOR, name: `Plateforme « pass numérique » & co ${'z'.repeat(100)}` } });
    const verdict = await validate(built.xml);
    expect(verdict.output).toContain('validates');
    expect(verdict.valid).toBe(true);
    const names = [...built.xml.matchAll(/<Nm>([^<]*)<\/Nm>/gu)].map((m) => m[1]!);
    expect(names).toHaveLength(2 + awkward.length);
    for (const name of names) {
      expect(name.replace(/&apos;/gu, "'")).toMatch(/^[A-Za-z0-9/\-?:().,'+ ]{1,70}$/u);
    }
    expect(names[2]).toBe('Mediatheque Eleonore-d&apos;Aquitaine + Fils .Cie. .OEuvre. a Saint-Mael');
    expect(names[4]).toBe('.. digital cafe .');
    expect(names[6]).toBe('Tab and new line');
    for (const ustrd of [...built.xml.matchAll(/<Ustrd>([^<]*)<\/Ustrd>/gu)].map((m) => m[1]!.replace(/&apos;/gu, "'"))) {
      expect(ustrd.length).toBeLessThanOrEqual(140);
      expect(ustrd).toMatch(/^[A-Za-z0-9/\-?:().,'+ ]+$/u);
    }
    // Every « & » of the file starts an entity: nothing came through unescaped.
    expect(built.xml.match(/&(?!amp;|lt;|gt;|quot;|apos;)/gu)).toBeNull();
  });

  it('validates with the creditor agent left out for every payment', async () => {
    const built = buildPain001(input([0, 3, 6].map((i) => payment(i))));
    expect(built.xml).not.toContain('<CdtrAgt>');
    expect((await validate(built.xml)).valid).toBe(true);
  });
});
