import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPain001, escapeXml, formatSepaAmount, parisDateTime, sepaIdentifier, sepaText, type Pain001Input } from './sepa.js';

const DEBTOR = { name: 'passnum SCIC', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' };
const CREDITOR_IBAN = 'FR1420041010050500013M02606';

function input(overrides: Partial<Pain001Input> = {}): Pain001Input {
  return {
    messageId: 'PASSNUM-2026-03-0001',
    createdAt: new Date('2026-04-06T07:30:00Z'),
    requestedOn: '2026-04-10',
    debtor: DEBTOR,
    payments: [{ endToEndId: 'R-2026-000001', amountCents: 1234, creditor: { name: 'Médiathèque du Lac', iban: CREDITOR_IBAN, bic: 'PSSTFRPPBOR' }, remittance: 'pass numérique mars 2026' }],
    ...overrides,
  };
}

/** Every text node of the elements named, in document order. */
function values(xml: string, element: string): string[] {
  return [...xml.matchAll(new RegExp(`<${element}(?: [^>]*)?>([^<]*)</${element}>`, 'gu'))].map((m) => m[1]!);
}

describe('amounts', () => {
  it('writes integer cents with exactly two decimals', () => {
    expect(formatSepaAmount(1)).toBe('0.01');
    expect(formatSepaAmount(99)).toBe('0.99');
    expect(formatSepaAmount(100)).toBe('1.00');
    expect(formatSepaAmount(1234)).toBe('12.34');
    expect(formatSepaAmount(100_000_000)).toBe('1000000.00');
    expect(formatSepaAmount(99_999_999_999)).toBe('999999999.99');
  });

  it('refuses what is not a positive whole number of cents within the SEPA limit', () => {
    for (const bad of [0, -1, 12.5, Number.NaN, Infinity, 100_000_000_000]) expect(() => formatSepaAmount(bad)).toThrow(/pain\.001/u);
  });

  it('reads back as the same integer for any amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999_999 }), (cents) => {
        const text = formatSepaAmount(cents);
        expect(text).toMatch(/^\d+\.\d{2}$/u);
        expect(Number(text.replace('.', ''))).toBe(cents);
      }),
    );
  });
});

describe('text in the SEPA character set', () => {
  it('transliterates accents and spells out ligatures', () => {
    expect(sepaText('Médiathèque Éléonore à Saint-Maël', 70)).toBe('Mediatheque Eleonore a Saint-Mael');
    expect(sepaText('Œuvre cœur Straße Łódź', 70)).toBe('OEuvre coeur Strasse Lodz');
    expect(sepaText('Ça coûte 10 € – l’atelier', 70)).toBe("Ca coute 10 EUR - l'atelier");
  });

  it('replaces what cannot be carried, and never lets markup through', () => {
    expect(sepaText('Dupont & Fils <script>"x"</script>', 70)).toBe('Dupont + Fils .script..x../script.');
    expect(sepaText('東京 centre', 70)).toBe('.. centre');
    expect(sepaText('  deux\t\nlignes   ', 70)).toBe('deux lignes');
  });

  it('cuts to the length and leaves no trailing space', () => {
    expect(sepaText('a'.repeat(200), 70)).toHaveLength(70);
    expect(sepaText(`${'a'.repeat(69)} b`, 70)).toBe('a'.repeat(69));
  });

  it('only ever answers characters of the set, within the length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 1, max: 140 }), (text, max) => {
        const out = sepaText(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).toMatch(/^[A-Za-z0-9/\-?:().,'+ ]*$/u);
        expect(out).toBe(out.trim());
      }),
    );
  });

  it('escapes XML', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });
});

describe('identifiers', () => {
  it('accepts SEPA identifiers and refuses the others rather than rewrite them', () => {
    expect(sepaIdentifier('R-2026-000001', 'id')).toBe('R-2026-000001');
    for (const bad of ['', 'x'.repeat(36), 'é', '/abc', 'abc/', 'a//b', ' a', 'a&b']) expect(() => sepaIdentifier(bad, 'id')).toThrow(/SEPA identifier/u);
  });
});

describe('the document', () => {
  it('carries the group header, the payment information and the transaction', () => {
    const { xml, transactions, controlSumCents } = buildPain001(input());
    expect(transactions).toBe(1);
    expect(controlSumCents).toBe(1234);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"')).toBe(true);
    expect(values(xml, 'MsgId')).toEqual(['PASSNUM-2026-03-0001']);
    expect(values(xml, 'CreDtTm')).toEqual(['2026-04-06T09:30:00+02:00']);
    expect(values(xml, 'NbOfTxs')).toEqual(['1', '1']);
    expect(values(xml, 'CtrlSum')).toEqual(['12.34', '12.34']);
    expect(values(xml, 'Cd')).toEqual(['SEPA']);
    expect(values(xml, 'ChrgBr')).toEqual(['SLEV']);
    expect(values(xml, 'Ccy')).toEqual(['EUR']);
    expect(xml).toContain('<InstdAmt Ccy="EUR">12.34</InstdAmt>');
    expect(values(xml, 'Dt')).toEqual(['2026-04-10']);
    expect(values(xml, 'BICFI')).toEqual(['AGRIFRPP', 'PSSTFRPPBOR']);
    expect(values(xml, 'Nm')).toEqual(['passnum SCIC', 'passnum SCIC', 'Mediatheque du Lac']);
    expect(values(xml, 'Ustrd')).toEqual(['pass numerique mars 2026']);
  });

  it('leaves out the creditor agent when there is no BIC', () => {
    const { xml } = buildPain001(input({ payments: [{ endToEndId: 'E1', amountCents: 5, creditor: { name: 'A', iban: CREDITOR_IBAN, bic: null }, remittance: 'x' }] }));
    expect(xml).not.toContain('<CdtrAgt>');
    expect(values(xml, 'BICFI')).toEqual(['AGRIFRPP']);
  });

  it('normalises IBANs and BICs, and refuses invalid ones', () => {
    const spaced = buildPain001(input({ payments: [{ endToEndId: 'E1', amountCents: 5, creditor: { name: 'A', iban: 'FR14 2004 1010 0505 0001 3M02 606', bic: 'psstfrpp' }, remittance: '' }] }));
    expect(values(spaced.xml, 'IBAN')).toEqual([DEBTOR.iban, CREDITOR_IBAN]);
    expect(values(spaced.xml, 'BICFI')).toEqual(['AGRIFRPP', 'PSSTFRPP']);
    expect(spaced.xml).not.toContain('<RmtInf>');
    expect(() => buildPain001(input({ payments: [{ endToEndId: 'E1', amountCents: 5, creditor: { name: 'A', iban: 'FR1420041010050500013M02607', bic: null }, remittance: '' }] }))).toThrow(/IBAN/u);
    expect(() => buildPain001(input({ payments: [{ endToEndId: 'E1', amountCents: 5, creditor: { name: 'A', iban: CREDITOR_IBAN, bic: 'NOT A BIC' }, remittance: '' }] }))).toThrow(/BIC/u);
  });

  it('sums the control sum as integers', () => {
    const payments = [1, 99, 100_000_000, 7].map((amountCents, i) => ({ endToEndId: `E${i}`, amountCents, creditor: { name: `P${i}`, iban: CREDITOR_IBAN, bic: null }, remittance: 'r' }));
    const { xml, controlSumCents, transactions } = buildPain001(input({ payments }));
    expect(controlSumCents).toBe(100_000_107);
    expect(transactions).toBe(4);
    expect(values(xml, 'CtrlSum')).toEqual(['1000001.07', '1000001.07']);
    expect(values(xml, 'InstdAmt')).toEqual(['0.01', '0.99', '1000000.00', '0.07']);
  });

  it('refuses an empty file, repeated references, nameless parties and bad dates', () => {
    expect(() => buildPain001(input({ payments: [] }))).toThrow(/at least one payment/u);
    const twice = { endToEndId: 'E1', amountCents: 5, creditor: { name: 'A', iban: CREDITOR_IBAN, bic: null }, remittance: '' };
    expect(() => buildPain001(input({ payments: [twice, twice] }))).toThrow(/twice/u);
    expect(() => buildPain001(input({ payments: [{ ...twice, creditor: { ...twice.creditor, name: ' \t ' } }] }))).toThrow(/no name/u);
    expect(() => buildPain001(input({ requestedOn: '2026-02-30' }))).toThrow(/requested execution date/u);
    expect(() => buildPain001(input({ messageId: 'a'.repeat(36) }))).toThrow(/MsgId/u);
  });
});

describe('creation instant', () => {
  it('is written in Paris time with its offset, in winter and in summer', () => {
    expect(parisDateTime(new Date('2026-01-15T12:00:00Z'))).toBe('2026-01-15T13:00:00+01:00');
    expect(parisDateTime(new Date('2026-07-15T22:30:05Z'))).toBe('2026-07-16T00:30:05+02:00');
  });
});
