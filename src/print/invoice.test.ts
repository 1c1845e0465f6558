import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pdfTextOf, plain } from '../../test/print/support.js';
import { checkInvoice, formatIban, frenchVatNumber, renderInvoice, type Invoice } from './invoice.js';

const invoice = (changes: Partial<Invoice> = {}): Invoice => ({
  number: 'A-2026-000001',
  issuedOn: '2026-04-06',
  period: 'Période du 1er mars 2026 au 31 mars 2026',
  subject: 'test',
  seller: { name: 'passnum', address: '1 rue', siret: '40483304800022', email: 'a@b.fr', vatNumber: null },
  buyer: { caption: 'Lieu qualifié', name: 'Lieu' },
  heading: 'Abonnement',
  lines: [{ reference: 'Abonnement', label: 'Formule mensuelle', quantity: 1, unitCents: 700, amountCents: 700 }],
  excludingVatCents: 700,
  vat: { kind: 'rate', rateBp: 2000, cents: 140 },
  totalCents: 840,
  payment: [],
  notes: [],
  ...changes,
});

describe('checkInvoice', () => {
  it('accepts amounts that add up', () => {
    expect(() => checkInvoice(invoice())).not.toThrow();
    expect(() => checkInvoice(invoice({ vat: { kind: 'not_applicable', reason: 'titres' }, totalCents: 700 }))).not.toThrow();
  });

  it('refuses a line that is not its quantity times its unit price', () => {
    expect(() => checkInvoice(invoice({ lines: [{ reference: 'CMD-1', label: 'Chèques', quantity: 3, unitCents: 1000, amountCents: 2000 }], excludingVatCents: 2000, totalCents: 2140 }))).toThrow(
      /line CMD-1/u,
    );
  });

  it('refuses lines that do not add up to the total stored', () => {
    expect(() => checkInvoice(invoice({ excludingVatCents: 800, totalCents: 940 }))).toThrow(/add up to 700, not 800/u);
  });

  it('refuses a total that is not the total excluding VAT plus the VAT, or with VAT where none applies', () => {
    expect(() => checkInvoice(invoice({ totalCents: 841 }))).toThrow(/is not 841/u);
    expect(() => checkInvoice(invoice({ vat: { kind: 'not_applicable', reason: 'titres' } }))).toThrow(/is not 840/u);
  });
});

describe('frenchVatNumber', () => {
  it('derives FR + key + SIREN from a SIRET or a SIREN', () => {
    expect(frenchVatNumber('40483304800022')).toBe('FR83404833048');
    expect(frenchVatNumber('732 829 320')).toBe('FR44732829320');
  });

  it('gives nothing for what is not a SIRET', () => {
    expect(frenchVatNumber('Adresse à configurer')).toBeNull();
    expect(frenchVatNumber('1234567890')).toBeNull();
    expect(frenchVatNumber('00000000000000')).toBeNull();
    expect(frenchVatNumber('404833049')).toBeNull();
  });
});

it('groups an IBAN by four', () => {
  expect(formatIban('FR7630006000011234567890189')).toBe('FR76 3000 6000 0112 3456 7890 189');
});

describe('the seller’s VAT number', () => {
  /** The invoice's text, as pdftotext reads it. */
  async function textOf(seller: Partial<Invoice['seller']>): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-invoice-'));
    try {
      const file = path.join(dir, 'facture.pdf');
      await writeFile(file, await renderInvoice(invoice({ seller: { ...invoice().seller, ...seller } })));
      return plain(await pdfTextOf(file));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('is the one configured, else derived from the SIRET, else named as a setting to fill in', async () => {
    expect(await textOf({ vatNumber: 'FR00123456789' })).toContain('N° TVA intracommunautaire : FR00123456789');
    expect(await textOf({})).toContain('N° TVA intracommunautaire : FR83404833048');
    expect(await textOf({ siret: '00000000000000' })).toContain('N° TVA intracommunautaire : à configurer (PASSNUM_PLATFORM_VAT_NUMBER)');
  });
});
