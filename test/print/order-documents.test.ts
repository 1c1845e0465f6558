import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderOrderDocument } from '../../src/print/order-documents.js';
import { formatCents, formatFaceValue, pdfText } from '../../src/print/pdf-kit.js';
import type { OrderDocument } from '../../src/print/printable.js';
import { pageCount, pdfTextOf } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-order-doc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function orderDocument(overrides: Partial<OrderDocument> = {}): OrderDocument {
  return {
    kind: 'order_form',
    number: 'CMD-000042',
    orderNumber: 'CMD-000042',
    issuedOn: '2026-11-25',
    funder: { name: 'CCAS de Saint-Étienne' },
    platform: { name: 'passnum SCIC', address: '12 rue de la République, 33000 Bordeaux', siret: '12345678900012', email: 'contact@passnum.example.fr' },
    fundingMode: 'billed_on_use',
    lines: [{ label: 'Carnets de 10 chèques « pass numérique »', quantity: 12_340, unitCents: 1000, totalCents: 12_340_000 }],
    totalCents: 12_340_000,
    rules: ['Valable à : Bordeaux Métropole', 'Sans reste à payer pour la personne'],
    validFrom: '2026-12-01',
    validUntil: '2027-11-30',
    commitmentReference: 'EJ-2026-0042',
    notes: ['Facturation à l’usage : aucun paiement d’avance ; chaque mois, seuls les chèques utilisés sont facturés.', 'Opération hors du champ de la TVA : titres de paiement.'],
    ...overrides,
  };
}

async function textOf(document: OrderDocument, name: string): Promise<{ text: string; file: string }> {
  const pdf = await renderOrderDocument(document);
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const file = path.join(dir, name);
  await writeFile(file, pdf);
  return { text: await pdfTextOf(file), file };
}

describe('text and amounts', () => {
  it('keeps what the standard fonts draw and approaches the rest', () => {
    expect(pdfText('Communauté d’agglomération « Œuvre » : 10 € – été…')).toBe('Communauté d’agglomération « Œuvre » : 10 € – été…');
    expect(pdfText('Łódź\u202f!')).toBe('Lódz\u00a0!');
    expect(pdfText('東京')).toBe('??');
  });

  it('writes a face value without cents when it has none', () => {
    expect(formatFaceValue(1000)).toBe('10 €');
    expect(formatFaceValue(1250)).toBe('12,50 €');
    expect(formatFaceValue(100_000)).toBe('1 000 €');
  });

  it('writes integer cents with thousands separated and always two decimals', () => {
    expect(formatCents(0)).toBe('0,00 €');
    expect(formatCents(5)).toBe('0,05 €');
    expect(formatCents(1000)).toBe('10,00 €');
    expect(formatCents(123_400)).toBe('1 234,00 €');
    expect(formatCents(12_340_005)).toBe('123 400,05 €');
    expect(formatCents(100_000_000_00)).toBe('100 000 000,00 €');
    expect(formatCents(-1250)).toBe('-12,50 €');
    expect(() => formatCents(10.5)).toThrow();
  });
});

describe('order documents', () => {
  it('prints an order form billed on use', async () => {
    const { text, file } = await textOf(orderDocument(), 'order-form.pdf');
    expect(await pageCount(file)).toBe(1);
    expect(text).toContain('Bon de commande');
    expect(text).not.toContain('Facture');
    expect(text).toContain('N° CMD-000042');
    expect(text).toContain('Date : 25 novembre 2026');
    expect(text).toContain('passnum SCIC');
    expect(text).toContain('12 rue de la République, 33000 Bordeaux');
    expect(text).toContain('12345678900012');
    expect(text).toContain('contact@passnum.example.fr');
    expect(text).toContain('CCAS de Saint-Étienne');
    expect(text).toContain('Carnets de 10 chèques « pass numérique »');
    expect(text).toContain('12 340');
    expect(text).toContain('10,00 €');
    expect(text).toContain('123 400,00 €');
    expect(text).toContain("Facturation à l'usage : seuls les chèques utilisés sont facturés chaque mois");
    expect(text).not.toContain("Paiement d'avance");
    expect(text).toContain("Référence d'engagement : EJ-2026-0042");
    expect(text).toContain('Valables du 1er décembre 2026 au 30 novembre 2027');
    expect(text).toContain('Valable à : Bordeaux Métropole');
    expect(text).toContain('Sans reste à payer pour la personne');
    expect(text).toContain("Facturation à l'usage : aucun paiement d'avance ; chaque mois, seuls les chèques utilisés sont facturés.");
    expect(text).toContain('Opération hors du champ de la TVA : titres de paiement.');
  });

  it('prints the invoice of a prepaid order, with its order number and the given total', async () => {
    const { text } = await textOf(
      orderDocument({
        kind: 'invoice',
        number: 'F-2026-000007',
        fundingMode: 'prepaid',
        commitmentReference: null,
        lines: [
          { label: 'Carnets de 10 chèques « pass numérique »', quantity: 100, unitCents: 1000, totalCents: 100_000 },
          { label: 'Carnets de 5 chèques « pass numérique »', quantity: 15, unitCents: 1250, totalCents: 18_750 },
        ],
        totalCents: 118_750,
        rules: [],
        notes: ['Paiement d’avance : les chèques sont émis dès réception du virement.', 'Opération hors du champ de la TVA : vente de titres de paiement.'],
      }),
      'invoice.pdf',
    );
    expect(text).toContain('Facture');
    expect(text).not.toContain('Bon de commande');
    expect(text).toContain('N° F-2026-000007');
    expect(text).toContain('Commande : CMD-000042');
    expect(text).toContain('1 000,00 €');
    expect(text).toContain('12,50 €');
    expect(text).toContain('187,50 €');
    expect(text).toContain('Total 1 187,50 €');
    expect(text).toContain("Paiement d'avance : le montant total de la commande est payé avant l'émission des chèques.");
    expect(text).not.toContain("Facturation à l'usage");
    expect(text).not.toContain("Référence d'engagement");
    expect(text).toContain('Utilisables dans tous les lieux partenaires');
    expect(text).toContain("Paiement d'avance : les chèques sont émis dès réception du virement.");
    expect(text).toContain('Opération hors du champ de la TVA : vente de titres de paiement.');
  });

  it('prints the total it is given, and continues on more pages when the notes are long', async () => {
    const notes = Array.from({ length: 40 }, (_, i) => `Mention n° ${i + 1} : ${'texte de la mention, '.repeat(8)}fin.`);
    const { text, file } = await textOf(orderDocument({ notes, totalCents: 12_340_001 }), 'long.pdf');
    const pages = await pageCount(file);
    expect(pages).toBeGreaterThan(1);
    expect(text).toContain('123 400,01 €');
    expect(text).toContain(`page 1 sur ${pages}`);
    expect(text).toContain(`page ${pages} sur ${pages}`);
    for (const note of [notes[0]!, notes[39]!]) expect(text).toContain(note);
  });
});
