import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.js';

/**
 * Voucher codes: 80 bits from the system CSPRNG, written as 16 symbols of Crockford's base32,
 * followed by Crockford's check symbol (the 80-bit value modulo 37). The check symbol catches every
 * single wrong symbol and every swap of two neighbours before anything is looked up, so a typing
 * mistake never counts as a failed guess.
 *
 * The database keeps only a keyed hash of a code (HMAC-SHA-256, to find it) and a sealed copy
 * (AES-256-GCM, to reprint it): both keys come from a secret that lives outside the database
 * (PASSNUM_VOUCHER_SECRET, or a file in the data directory), so a dump alone spends nothing.
 */

const SYMBOLS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_SYMBOLS = `${SYMBOLS}*~$=U`;
export const CODE_DATA_LENGTH = 16;
export const CODE_LENGTH = CODE_DATA_LENGTH + 1;
const CODE_BYTES = 10;

/** A code in canonical form: 17 symbols, no separators, upper case. */
export type VoucherCode = string & { readonly __brand: 'VoucherCode' };

export function generateVoucherCode(): VoucherCode {
  return codeFromBytes(randomBytes(CODE_BYTES));
}

export function codeFromBytes(bytes: Uint8Array): VoucherCode {
  if (bytes.length !== CODE_BYTES) throw new Error(`a voucher code is ${CODE_BYTES} bytes`);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let data = '';
  for (let i = CODE_DATA_LENGTH - 1; i >= 0; i--) data += SYMBOLS[Number((value >> BigInt(i * 5)) & 31n)];
  return (data + CHECK_SYMBOLS[Number(value % 37n)]) as VoucherCode;
}

export type CodeProblem = 'code_malformed' | 'code_check_failed';

/**
 * Reads what a person typed or a scanner sent: case, spaces and dashes do not matter, and the
 * letters Crockford maps to digits (I, L → 1; O → 0) are accepted.
 */
export function parseVoucherCode(input: string): { ok: true; code: VoucherCode } | { ok: false; problem: CodeProblem } {
  const cleaned = input
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-_.]/gu, '')
    .replace(/[IL]/gu, '1')
    .replace(/O/gu, '0');
  if (cleaned.length !== CODE_LENGTH) return { ok: false, problem: 'code_malformed' };
  // Only the 80-bit value modulo 37 matters here: it is folded in symbol by symbol (Horner's rule,
  // reduced at each step), with plain numbers rather than a BigInt per symbol.
  let remainder = 0;
  for (let i = 0; i < CODE_DATA_LENGTH; i++) {
    const digit = SYMBOLS.indexOf(cleaned.charAt(i));
    if (digit < 0) return { ok: false, problem: 'code_malformed' };
    remainder = (remainder * 32 + digit) % 37;
  }
  const check = cleaned.charAt(CODE_DATA_LENGTH);
  if (!CHECK_SYMBOLS.includes(check)) return { ok: false, problem: 'code_malformed' };
  if (CHECK_SYMBOLS[remainder] !== check) return { ok: false, problem: 'code_check_failed' };
  return { ok: true, code: cleaned as VoucherCode };
}

/** As printed and shown: groups of four, the last with the check symbol (ABCD-EFGH-JKMN-PQRST). */
export function formatVoucherCode(code: VoucherCode): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}-${code.slice(12)}`;
}

// ---------------------------------------------------------------------------------------------
// Keys

export interface VoucherKeys {
  /** Finds a code: HMAC-SHA-256 key. */
  readonly lookup: Buffer;
  /** Seals a code for reprinting: AES-256-GCM key. */
  readonly seal: Buffer;
}

export function deriveVoucherKeys(secret: Buffer): VoucherKeys {
  if (secret.length < 32) throw new Error('PASSNUM_VOUCHER_SECRET must hold at least 32 bytes');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  return { lookup: derive('passnum voucher code lookup v1'), seal: derive('passnum voucher code sealing v1') };
}

const keysByDir = new Map<string, VoucherKeys>();
const keysBySecret = new WeakMap<Buffer, VoucherKeys>();

/**
 * The keys of this installation: from `config.voucherSecret` when set (PASSNUM_VOUCHER_SECRET),
 * otherwise from `voucher-secret` in the data directory, created on first use (mode 0600). Losing
 * that secret makes the issued codes unusable: back it up apart from the database.
 */
export function voucherKeys(config: Pick<Config, 'voucherSecret' | 'dataDir'>): VoucherKeys {
  if (config.voucherSecret) {
    let derived = keysBySecret.get(config.voucherSecret);
    if (!derived) keysBySecret.set(config.voucherSecret, (derived = deriveVoucherKeys(config.voucherSecret)));
    return derived;
  }
  const file = path.join(config.dataDir, 'voucher-secret');
  let keys = keysByDir.get(file);
  if (keys) return keys;
  let secret: Buffer;
  try {
    secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(config.dataDir, { recursive: true });
    secret = randomBytes(32);
    try {
      writeFileSync(file, `${secret.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (raced) {
      // Another process created it first: its secret is the one.
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    }
  }
  keys = deriveVoucherKeys(secret);
  keysByDir.set(file, keys);
  return keys;
}

/** What the database stores to find a code. */
export function hashVoucherCode(keys: VoucherKeys, code: VoucherCode): Buffer {
  return createHmac('sha256', keys.lookup).update(code, 'ascii').digest();
}

/** iv (12 bytes) ‖ tag (16 bytes) ‖ ciphertext: what the database stores to reprint a code. */
export function sealVoucherCode(keys: VoucherKeys, code: VoucherCode): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.seal, iv);
  const sealed = Buffer.concat([cipher.update(code, 'ascii'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
}

export function unsealVoucherCode(keys: VoucherKeys, sealed: Buffer): VoucherCode {
  const decipher = createDecipheriv('aes-256-gcm', keys.seal, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  const code = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('ascii');
  const parsed = parseVoucherCode(code);
  if (!parsed.ok) throw new Error('a sealed voucher code did not read back');
  return parsed.code;
}

// ---------------------------------------------------------------------------------------------
// Booklet numbers

/**
 * Booklet numbers are typed (or scanned) by distributors: a sequence number followed by a Luhn
 * check digit, so that a mistyped digit is refused instead of handing out another booklet.
 */
export function formatBookletNumber(sequence: number): string {
  const digits = String(sequence).padStart(7, '0');
  return digits + luhnDigit(digits);
}

export function parseBookletNumber(input: string): number | undefined {
  const digits = input.replace(/[\s\-.]/gu, '');
  if (!/^\d{8,12}$/u.test(digits)) return undefined;
  const body = digits.slice(0, -1);
  if (luhnDigit(body) !== digits.slice(-1)) return undefined;
  const sequence = Number(body);
  return Number.isSafeInteger(sequence) && sequence > 0 ? sequence : undefined;
}

function luhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/** The serial printed on a stub: booklet number and position (12345674-03). */
export function formatVoucherSerial(bookletSequence: number, position: number): string {
  return `${formatBookletNumber(bookletSequence)}-${String(position).padStart(2, '0')}`;
}
