import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  formatPhone,
  formatSiret,
  luhnValid,
  sirenOf,
  STANDARD_PHONE_PATTERN,
  validateBic,
  validateIban,
  validatePhone,
  validateRna,
  validateSiren,
  validateSiret,
} from './identifiers.js';

/** A second, independent Luhn (doubling from the left by parity), so fixtures are not checked by the code under test. */
function referenceLuhn(digits: string): boolean {
  const parity = digits.length % 2;
  const sum = [...digits].reduce((total, char, index) => {
    const digit = Number(char);
    const doubled = index % 2 === parity ? digit * 2 : digit;
    return total + (doubled > 9 ? doubled - 9 : doubled);
  }, 0);
  return sum % 10 === 0;
}

const sumOfDigits = (digits: string) => [...digits].reduce((total, char) => total + Number(char), 0);

describe('SIREN and SIRET', () => {
  // Google France (the example of python-stdnum), DINUM (annuaire-entreprises), the cities of
  // Bordeaux and Paris as the INSEE commune file gives their SIREN.
  const realSirets = ['73282932000074', '13002526500013'];
  const realSirens = ['732829320', '130025265', '213300635', '217500016'];

  it('fixtures are checked by an independent Luhn first', () => {
    for (const number of [...realSirets, ...realSirens]) expect(referenceLuhn(number), number).toBe(true);
    expect(referenceLuhn('73282932000079')).toBe(false);
  });

  it('accepts real SIRETs, with the spaces INSEE prints, and gives their SIREN', () => {
    for (const siret of realSirets) expect(validateSiret(siret)).toEqual({ ok: true, value: siret });
    expect(validateSiret('732 829 320 00074')).toEqual({ ok: true, value: '73282932000074' });
    expect(validateSiret('732\u00a0829\u00a0320\u202f00074')).toEqual({ ok: true, value: '73282932000074' });
    expect(sirenOf('732 829 320 00074')).toBe('732829320');
    expect(sirenOf('73282932000079')).toBeUndefined();
    expect(formatSiret('73282932000074')).toBe('732 829 320 00074');
  });

  it('refuses wrong keys, wrong lengths, letters and the all-zero placeholder', () => {
    expect(validateSiret('73282932000079')).toEqual({ ok: false, reason: 'siret_checksum' });
    expect(validateSiret('7328293200007')).toEqual({ ok: false, reason: 'siret_format' });
    expect(validateSiret('732829320000741')).toEqual({ ok: false, reason: 'siret_format' });
    expect(validateSiret('7328293200007A')).toEqual({ ok: false, reason: 'siret_format' });
    expect(validateSiret('')).toEqual({ ok: false, reason: 'siret_format' });
    expect(referenceLuhn('00000000000000')).toBe(true);
    expect(validateSiret('000 000 000 00000')).toEqual({ ok: false, reason: 'siret_placeholder' });
  });

  it('checks the SIREN key inside the SIRET too', () => {
    // 14 digits with a good overall Luhn key, but whose first nine digits fail their own key.
    const siret = '12345678100004';
    expect(referenceLuhn(siret)).toBe(true);
    expect(referenceLuhn(siret.slice(0, 9))).toBe(false);
    expect(validateSiret(siret)).toEqual({ ok: false, reason: 'siret_checksum' });
  });

  it('applies the La Poste exception: digit sum a multiple of 5, except the Luhn-keyed head office', () => {
    // 356 000 000 00001: not a Luhn number, but its digits sum to 15.
    expect(referenceLuhn('35600000000001')).toBe(false);
    expect(sumOfDigits('35600000000001') % 5).toBe(0);
    expect(validateSiret('356 000 000 00001')).toEqual({ ok: true, value: '35600000000001' });
    expect(validateSiret('35600000000010')).toEqual({ ok: true, value: '35600000000010' });
    // The head office: Luhn holds, the sum (26) is not a multiple of 5.
    expect(referenceLuhn('35600000000048')).toBe(true);
    expect(sumOfDigits('35600000000048')).toBe(26);
    expect(validateSiret('35600000000048')).toEqual({ ok: true, value: '35600000000048' });
    // Another establishment whose number happens to satisfy Luhn but not the La Poste rule.
    expect(referenceLuhn('35600000000014')).toBe(true);
    expect(validateSiret('35600000000014')).toEqual({ ok: false, reason: 'siret_checksum' });
    expect(validateSiret('35600000000002')).toEqual({ ok: false, reason: 'siret_checksum' });
    expect(sirenOf('35600000000001')).toBe('356000000');
    // The exception is for La Poste's SIREN only.
    expect(validateSiret('35600000100001')).toEqual({ ok: false, reason: 'siret_checksum' });
  });

  it('validates SIRENs', () => {
    for (const siren of realSirens) expect(validateSiren(siren)).toEqual({ ok: true, value: siren });
    expect(validateSiren('356 000 000')).toEqual({ ok: true, value: '356000000' });
    expect(validateSiren('732829321')).toEqual({ ok: false, reason: 'siren_checksum' });
    expect(validateSiren('73282932')).toEqual({ ok: false, reason: 'siren_format' });
    expect(validateSiren('000000000')).toEqual({ ok: false, reason: 'siren_placeholder' });
  });

  it('agrees with the independent Luhn on every commune and EPCI SIREN of the INSEE files', () => {
    const require = createRequire(import.meta.url);
    const read = <T>(file: string): T =>
      JSON.parse(readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8')) as T;
    const sirens = [
      ...read<{ siren?: string }[]>('communes.json').flatMap((c) => (c.siren ? [c.siren] : [])),
      ...read<{ code: string }[]>('epci.json').map((e) => e.code),
    ];
    expect(sirens.length).toBeGreaterThan(35_000);
    expect(sirens.filter((siren) => !referenceLuhn(siren) || !validateSiren(siren).ok)).toEqual([]);
  });

  it('luhnValid refuses what is not digits', () => {
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('12a')).toBe(false);
    expect(luhnValid('18')).toBe(true);
  });
});

describe('RNA number', () => {
  it('normalises case and spaces', () => {
    expect(validateRna('W751234567')).toEqual({ ok: true, value: 'W751234567' });
    expect(validateRna(' w 751 234 567 ')).toEqual({ ok: true, value: 'W751234567' });
  });

  it('accepts the letter Corsican and overseas prefectures put in third place', () => {
    expect(validateRna('W2A1000123')).toEqual({ ok: true, value: 'W2A1000123' });
    expect(validateRna('w9r2001234')).toEqual({ ok: true, value: 'W9R2001234' });
  });

  it('refuses other shapes', () => {
    for (const input of ['751234567', 'W75123456', 'W7512345678', 'X751234567', 'WA51234567', 'W75123456A', '']) {
      expect(validateRna(input), input).toEqual({ ok: false, reason: 'rna_format' });
    }
  });
});

describe('bank details', () => {
  it('accepts an IBAN typed any way and gives its electronic and printable forms', () => {
    const expected = { ok: true, value: { iban: 'FR7630006000011234567890189', printable: 'FR76 3000 6000 0112 3456 7890 189', country: 'FR' } };
    expect(validateIban('FR7630006000011234567890189')).toEqual(expected);
    expect(validateIban(' fr76 3000 6000 0112 3456 7890 189 ')).toEqual(expected);
    expect(validateIban('FR76-3000-6000-0112-3456-7890-189')).toEqual(expected);
    expect(validateIban('IBAN : FR76 3000 6000 0112 3456 7890 189')).toEqual(expected);
  });

  it('tells a typing mistake from something that is not an IBAN', () => {
    expect(validateIban('FR7630006000011234567890188')).toEqual({ ok: false, reason: 'iban_checksum' });
    expect(validateIban('FR7630006000011234567809189')).toEqual({ ok: false, reason: 'iban_checksum' });
    expect(validateIban('FR763000600001123456789018')).toEqual({ ok: false, reason: 'iban_format' });
    expect(validateIban('30006000011234567890189')).toEqual({ ok: false, reason: 'iban_format' });
    expect(validateIban('')).toEqual({ ok: false, reason: 'iban_format' });
  });

  it('refuses accounts outside the SEPA zone unless asked not to', () => {
    expect(validateIban('DE89 3704 0044 0532 0130 00').ok).toBe(true);
    expect(validateIban('CH93 0076 2011 6238 5295 7').ok).toBe(true);
    expect(validateIban('BR18 0036 0305 0000 1000 9795 493C 1')).toEqual({ ok: false, reason: 'iban_not_sepa' });
    expect(validateIban('BR1800360305000010009795493C1', { sepaOnly: false })).toMatchObject({ ok: true, value: { country: 'BR' } });
  });

  it('validates BICs', () => {
    expect(validateBic('bnpa fr pp')).toEqual({ ok: true, value: 'BNPAFRPP' });
    expect(validateBic('AGRIFRPP882')).toEqual({ ok: true, value: 'AGRIFRPP882' });
    expect(validateBic('BNPAFRP')).toEqual({ ok: false, reason: 'bic_format' });
    expect(validateBic('BNPA12PP')).toEqual({ ok: false, reason: 'bic_format' });
  });
});

describe('phone numbers', () => {
  const valid = (input: string, departement?: string) => {
    const checked = validatePhone(input, departement === undefined ? {} : { departement });
    if (!checked.ok) throw new Error(`${input}: ${checked.reason}`);
    expect(checked.value).toMatch(STANDARD_PHONE_PATTERN);
    return checked.value;
  };

  it('normalises the ways people write metropolitan numbers to the standard’s E.164 form', () => {
    for (const input of ['01 23 45 67 89', '0123456789', '01.23.45.67.89', '01-23-45-67-89', '+33 1 23 45 67 89', '+33 (0)1 23 45 67 89', '+33 01 23 45 67 89', '0033 1 23 45 67 89']) {
      expect(valid(input), input).toBe('+33123456789');
    }
    expect(valid('06 12 34 56 78')).toBe('+33612345678');
    expect(valid('09 70 12 34 56')).toBe('+33970123456');
  });

  it('gives overseas departments their own country code, from the national prefix', () => {
    expect(valid('05 90 12 34 56')).toBe('+590590123456'); // Guadeloupe
    expect(valid('06 90 12 34 56')).toBe('+590690123456');
    expect(valid('05 94 12 34 56')).toBe('+594594123456'); // Guyane
    expect(valid('05 96 12 34 56')).toBe('+596596123456'); // Martinique
    expect(valid('06 96 12 34 56')).toBe('+596696123456');
    expect(valid('02 62 12 34 56')).toBe('+262262123456'); // La Réunion
    expect(valid('06 92 12 34 56')).toBe('+262692123456');
    expect(valid('02 69 61 23 45')).toBe('+262269612345'); // Mayotte
    expect(valid('06 39 12 34 56')).toBe('+262639123456');
    expect(valid('+33 6 92 12 34 56')).toBe('+262692123456');
    expect(valid('+262 692 12 34 56')).toBe('+262692123456');
    expect(valid('+590 0690 12 34 56')).toBe('+590690123456');
    // Mayotte's former code.
    expect(valid('+269 639 12 34 56')).toBe('+262639123456');
  });

  it('needs the territory for the short numbers of the Pacific and Saint-Pierre-et-Miquelon', () => {
    expect(valid('+687 12 34 56')).toBe('+687123456');
    expect(valid('28 12 34', '988')).toBe('+687281234');
    expect(valid('40 12 34 56', '987')).toBe('+68940123456');
    expect(valid('72 12 34', '986')).toBe('+681721234');
    expect(valid('41 12 34', '975')).toBe('+508411234');
    expect(validatePhone('28 12 34')).toEqual({ ok: false, reason: 'phone_format' });
    expect(validatePhone('28 12 34', { departement: '987' })).toEqual({ ok: false, reason: 'phone_format' });
  });

  it('refuses what cannot be dialled', () => {
    for (const input of ['', '0123', '00 12 34 56 78', '01 23 45 67 8', '01 23 45 67 890', '+44 20 7946 0958', '+33 1 23', '+269 773 12 34', 'O1 23 45 67 89', '12 34 56 78 9']) {
      expect(validatePhone(input), input).toEqual({ ok: false, reason: 'phone_format' });
    }
  });

  it('prints normalised numbers for people', () => {
    expect(formatPhone('+33123456789')).toBe('01 23 45 67 89');
    expect(formatPhone('+590690123456')).toBe('06 90 12 34 56');
    expect(formatPhone('+687281234')).toBe('+687 28 12 34');
    expect(formatPhone('+68940123456')).toBe('+689 40 12 34 56');
  });
});
