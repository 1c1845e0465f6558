import { describe, expect, it } from 'vitest';
import { FEC_COLUMNS, auxiliaryOf, fecAmount, fecDate, fecEntryLines, fecFileName, fecHeader, fecText, type FecEntry } from './fec.js';

const entry: FecEntry = {
  journal: 'EN',
  bookedOn: '2026-03-02',
  pieceRef: 'R-1',
  pieceDate: '2026-03-02',
  label: 'Chèques encaissés\t(service\r\ndu 2 mars)',
  validatedOn: '2026-03-03',
  postings: [
    { chartNumber: '467100', accountLabel: 'Chèques en circulation', auxNum: 'CMD000042', auxLib: 'CMD000042 Commune', amountCents: 123456 },
    { chartNumber: '401000', accountLabel: 'Lieux qualifiés', auxNum: 'LQ0123456789AB', auxLib: 'Médiathèque', amountCents: -123456 },
  ],
};

describe('the FEC format', () => {
  it('writes amounts with a decimal comma, no thousands separator, and refuses what is not cents', () => {
    expect(fecAmount(0)).toBe('0,00');
    expect(fecAmount(5)).toBe('0,05');
    expect(fecAmount(1000)).toBe('10,00');
    expect(fecAmount(123456789)).toBe('1234567,89');
    expect(() => fecAmount(-1)).toThrow();
    expect(() => fecAmount(1.5)).toThrow();
  });

  it('writes dates AAAAMMJJ and keeps text on one field', () => {
    expect(fecDate('2026-12-31')).toBe('20261231');
    expect(() => fecDate('2026-02-30')).toThrow();
    expect(fecText(' a\tb\r\nc\u0000d ')).toBe('a b c d');
  });

  it('names the file after the SIREN and the closing day', () => {
    expect(fecFileName('12345678900017', 2026)).toBe('123456789FEC20261231.txt');
    expect(() => fecFileName('ABC', 2026)).toThrow();
  });

  it('writes 18 tab-separated fields per line, debit or credit, the same number for the whole entry', () => {
    expect(fecHeader()).toBe(`${FEC_COLUMNS.join('\t')}\r\n`);
    expect(FEC_COLUMNS).toHaveLength(18);
    const lines = fecEntryLines(entry, 7).split('\r\n');
    expect(lines.at(-1)).toBe('');
    const [debit, credit] = lines.slice(0, 2).map((line) => line.split('\t'));
    expect(debit).toHaveLength(18);
    expect(credit).toHaveLength(18);
    expect(debit).toEqual([
      'EN',
      'Chèques encaissés par les lieux',
      '7',
      '20260302',
      '467100',
      'Chèques en circulation',
      'CMD000042',
      'CMD000042 Commune',
      'R-1',
      '20260302',
      'Chèques encaissés (service du 2 mars)',
      '1234,56',
      '0,00',
      '',
      '',
      '20260303',
      '',
      '',
    ]);
    expect(credit!.slice(11, 13)).toEqual(['0,00', '1234,56']);
  });

  it('refuses an unbalanced entry', () => {
    expect(() => fecEntryLines({ ...entry, postings: [entry.postings[0]!, { ...entry.postings[1]!, amountCents: -1 }] }, 1)).toThrow(/unbalanced/);
    expect(() => fecEntryLines({ ...entry, postings: [] }, 1)).toThrow(/unbalanced/);
  });

  it('gives per-owner accounts a short stable auxiliary code and the owner’s name', () => {
    const id = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    expect(auxiliaryOf({ kind: 'funder_balance', organisationId: id, organisationName: 'Ville', orderNumber: null, territory: null })).toEqual({ num: 'FI0A1B2C3D4E5F', lib: 'Ville' });
    const payable = auxiliaryOf({ kind: 'provider_payable', organisationId: id, organisationName: 'Lieu', orderNumber: null, territory: null });
    const receivable = auxiliaryOf({ kind: 'subscriptions_receivable', organisationId: id, organisationName: 'Lieu', orderNumber: null, territory: null });
    expect(payable).toEqual({ num: 'LQ0A1B2C3D4E5F', lib: 'Lieu' });
    expect(receivable).toEqual(payable);
    expect(auxiliaryOf({ kind: 'vouchers_outstanding', organisationId: id, organisationName: 'Ville', orderNumber: 42, territory: null })).toEqual({ num: 'CMD000042', lib: 'CMD000042 Ville' });
    expect(auxiliaryOf({ kind: 'territorial_fund', organisationId: null, organisationName: null, orderNumber: null, territory: '33' })).toEqual({ num: 'FT33', lib: 'Gironde (33)' });
    expect(auxiliaryOf({ kind: 'bank', organisationId: null, organisationName: null, orderNumber: null, territory: null })).toEqual({ num: '', lib: '' });
  });
});
