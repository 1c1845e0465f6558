import { electronicFormatIBAN, friendlyFormatIBAN, isSEPACountry, isValidBIC, validateIBAN, ValidationErrorsIBAN } from 'ibantools';

/**
 * Identifiers a provider gives when it joins: SIRET, SIREN, RNA number, bank details, phone.
 * Pure checks: each returns the normalised value or a stable reason code; the French message
 * shown to people lives with the pages and the API error table, not here.
 */
export type Checked<T, Reason extends string> = { ok: true; value: T } | { ok: false; reason: Reason };

const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
const fail = <Reason extends string>(reason: Reason): { ok: false; reason: Reason } => ({ ok: false, reason });

/** Spaces of any kind (including the non-breaking ones word processors put in numbers) and dots. */
function compactDigits(input: string): string {
  return input.replace(/[\s.]/gu, '');
}

/** Luhn (mod 10) over a string of digits: the key of SIREN and SIRET numbers. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

// ---------------------------------------------------------------------------------------------
// SIREN and SIRET

export type SirenProblem = 'siren_format' | 'siren_checksum' | 'siren_placeholder';
export type SiretProblem = 'siret_format' | 'siret_checksum' | 'siret_placeholder';

/** La Poste's SIREN: its establishments' SIRETs do not follow Luhn (INSEE exception). */
export const LA_POSTE_SIREN = '356000000';
/** La Poste's head office, the one establishment of La Poste whose SIRET does follow Luhn. */
export const LA_POSTE_HEAD_OFFICE_SIRET = '35600000000048';

export function validateSiren(input: string): Checked<string, SirenProblem> {
  const siren = compactDigits(input);
  if (!/^\d{9}$/.test(siren)) return fail('siren_format');
  // All zeros satisfies Luhn; it is what forms get when someone has no number to give.
  if (siren === '000000000') return fail('siren_placeholder');
  return luhnValid(siren) ? ok(siren) : fail('siren_checksum');
}

/**
 * A SIRET is the SIREN (9 digits, its own Luhn key) followed by the NIC (5 digits), the whole
 * 14 digits carrying a second Luhn key. Exception: La Poste has more establishments than the NIC
 * keys allow, so for SIREN 356000000 INSEE only requires the sum of the 14 digits to be a multiple
 * of 5; its head office 356 000 000 00048 keeps an ordinary Luhn key (and its digit sum is 26).
 */
export function validateSiret(input: string): Checked<string, SiretProblem> {
  const siret = compactDigits(input);
  if (!/^\d{14}$/.test(siret)) return fail('siret_format');
  if (siret === '00000000000000') return fail('siret_placeholder');
  if (siret.startsWith(LA_POSTE_SIREN) && siret !== LA_POSTE_HEAD_OFFICE_SIRET) {
    return digitSum(siret) % 5 === 0 ? ok(siret) : fail('siret_checksum');
  }
  return luhnValid(siret) && luhnValid(siret.slice(0, 9)) ? ok(siret) : fail('siret_checksum');
}

function digitSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += digits.charCodeAt(i) - 48;
  return sum;
}

/** The SIREN of a valid SIRET (spaces allowed), else undefined. */
export function sirenOf(siret: string): string | undefined {
  const checked = validateSiret(siret);
  return checked.ok ? checked.value.slice(0, 9) : undefined;
}

/** `732 829 320 00074`, as INSEE prints it. */
export function formatSiret(siret: string): string {
  return `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}`;
}

// ---------------------------------------------------------------------------------------------
// RNA: number of an association in the Répertoire national des associations

export type RnaProblem = 'rna_format';

/**
 * `W` and nine characters. The official description is "W and 9 digits", and the data standards
 * check `^W\d{9}$`, but associations registered in Corsica and overseas prefectures carry a
 * letter in third place (W2A…, W2B…, W9R… for La Réunion): those are real numbers, accepted too.
 */
const RNA_PATTERN = /^W\d[\dA-Z]\d{7}$/;

export function validateRna(input: string): Checked<string, RnaProblem> {
  const rna = input.replace(/[\s.\-]/gu, '').toUpperCase();
  return RNA_PATTERN.test(rna) ? ok(rna) : fail('rna_format');
}

// ---------------------------------------------------------------------------------------------
// Bank details

export type IbanProblem = 'iban_format' | 'iban_checksum' | 'iban_not_sepa';
export type BicProblem = 'bic_format';

export interface Iban {
  /** Electronic format, no spaces: what is stored and put in SEPA files. */
  iban: string;
  /** Grouped by four for people: `FR76 3000 6000 0112 3456 7890 189`. */
  printable: string;
  /** ISO 3166 country of the account. */
  country: string;
}

export interface IbanOptions {
  /** Refuse accounts outside the SEPA zone (the default: providers are paid by SEPA transfer). */
  sepaOnly?: boolean;
}

export function validateIban(input: string, options: IbanOptions = {}): Checked<Iban, IbanProblem> {
  const iban = electronicFormatIBAN(input.trim().replace(/^IBAN\s*:?/iu, '')) ?? '';
  const result = validateIBAN(iban);
  if (!result.valid) {
    const checksum =
      result.errorCodes.includes(ValidationErrorsIBAN.WrongIBANChecksum) ||
      result.errorCodes.includes(ValidationErrorsIBAN.WrongAccountBankBranchChecksum);
    const shape = result.errorCodes.some(
      (code) => code !== ValidationErrorsIBAN.WrongIBANChecksum && code !== ValidationErrorsIBAN.WrongAccountBankBranchChecksum,
    );
    return fail(checksum && !shape ? 'iban_checksum' : 'iban_format');
  }
  const country = iban.slice(0, 2);
  if ((options.sepaOnly ?? true) && !isSEPACountry(country)) return fail('iban_not_sepa');
  return ok({ iban, printable: friendlyFormatIBAN(iban) ?? iban, country });
}

/** BIC (SWIFT code), 8 or 11 characters, upper case. */
export function validateBic(input: string): Checked<string, BicProblem> {
  const bic = input.replace(/\s/gu, '').toUpperCase();
  return isValidBIC(bic) ? ok(bic) : fail('bic_format');
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

export type PhoneProblem = 'phone_format';

/**
 * The pattern of the national data standard for places of digital inclusion (E.164 without
 * spaces, with the country codes of France and its overseas territories).
 */
export const STANDARD_PHONE_PATTERN = /^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$/;

/**
 * The French overseas departments share the national 10-digit plan, but are dialled from abroad
 * (and written in E.164) with their own country code: 0590 12 34 56 is +590 590 12 34 56.
 * By national prefix (ARCEP plan): fixed lines, then mobiles.
 */
const OVERSEAS_NATIONAL_PREFIXES: ReadonlyArray<readonly [countryCode: string, prefixes: readonly string[]]> = [
  ['+590', ['0590', '0690', '0691']], // Guadeloupe, Saint-Barthélemy, Saint-Martin
  ['+594', ['0594', '0694']], // Guyane
  ['+596', ['0596', '0696', '0697']], // Martinique
  ['+262', ['0262', '0263', '0692', '0693', '0269', '0639']], // La Réunion, Mayotte
];

/**
 * Territories outside the national plan: short numbers whose country code only the territory
 * (département code of the commune) tells.
 */
const SHORT_NUMBER_TERRITORIES: Readonly<Record<string, { countryCode: string; digits: number }>> = {
  '975': { countryCode: '+508', digits: 6 }, // Saint-Pierre-et-Miquelon
  '986': { countryCode: '+681', digits: 6 }, // Wallis-et-Futuna
  '987': { countryCode: '+689', digits: 8 }, // Polynésie française
  '988': { countryCode: '+687', digits: 6 }, // Nouvelle-Calédonie
};

const COUNTRY_CODES = ['+33', '+590', '+594', '+262', '+596', '+269', '+687', '+689', '+508', '+681'] as const;

export interface PhoneOptions {
  /** Département (or overseas collectivity) code of the place, for 6- and 8-digit local numbers. */
  departement?: string;
}

/**
 * Normalises `01 23 45 67 89`, `01.23.45.67.89`, `+33 (0)1 23 45 67 89`, `0033 1 23 45 67 89` to
 * `+33123456789`, and overseas numbers to their own country code, so that every value matches
 * STANDARD_PHONE_PATTERN.
 */
export function validatePhone(input: string, options: PhoneOptions = {}): Checked<string, PhoneProblem> {
  let compact = input.trim().replace(/\(0\)/gu, '').replace(/[\s.\-/()]/gu, '');
  if (compact.startsWith('00')) compact = `+${compact.slice(2)}`;
  const normalised = compact.startsWith('+') ? fromInternational(compact) : fromNational(compact, options.departement);
  return normalised !== undefined && STANDARD_PHONE_PATTERN.test(normalised) ? ok(normalised) : fail('phone_format');
}

function fromNational(digits: string, departement: string | undefined): string | undefined {
  if (/^0[1-9]\d{8}$/.test(digits)) {
    const prefix = digits.slice(0, 4);
    const overseas = OVERSEAS_NATIONAL_PREFIXES.find(([, prefixes]) => prefixes.includes(prefix));
    return `${overseas?.[0] ?? '+33'}${digits.slice(1)}`;
  }
  const territory = departement === undefined ? undefined : SHORT_NUMBER_TERRITORIES[departement];
  if (territory && /^\d+$/.test(digits) && digits.length === territory.digits) return `${territory.countryCode}${digits}`;
  return undefined;
}

function fromInternational(compact: string): string | undefined {
  const countryCode = COUNTRY_CODES.find((code) => compact.startsWith(code));
  if (!countryCode) return undefined;
  let rest = compact.slice(countryCode.length);
  if (!/^\d+$/.test(rest)) return undefined;
  switch (countryCode) {
    case '+33':
    case '+590':
    case '+594':
    case '+596':
    case '+262':
      // "+33 06 …": the trunk 0 has no place after a country code, but people write it.
      if (/^0\d{9}$/.test(rest)) rest = rest.slice(1);
      if (!/^[1-9]\d{8}$/.test(rest)) return undefined;
      // Re-derive the code from the national prefix: +33 6 90 … is a Guadeloupe mobile.
      return countryCode === '+33' ? fromNational(`0${rest}`, undefined) : `${countryCode}${rest}`;
    case '+269':
      // Mayotte's former code (now the Comoros'): its numbers moved to +262 in 2007.
      return /^(269|639)\d{6}$/.test(rest) ? `+262${rest}` : undefined;
    case '+689':
      return /^\d{8}$/.test(rest) ? `${countryCode}${rest}` : undefined;
    default:
      return /^\d{6}$/.test(rest) ? `${countryCode}${rest}` : undefined;
  }
}

/** For people: `01 23 45 67 89` in the national plan, else `+687 12 34 56`. */
export function formatPhone(normalised: string): string {
  const pairs = (digits: string) => digits.replace(/(\d{2})(?=\d)/gu, '$1 ');
  const national = ['+33', '+590', '+594', '+596', '+262'].find((code) => normalised.startsWith(code));
  if (national && normalised.length === national.length + 9) return pairs(`0${normalised.slice(national.length)}`);
  const code = COUNTRY_CODES.find((c) => normalised.startsWith(c));
  return code ? `${code} ${pairs(normalised.slice(code.length))}` : normalised;
}
