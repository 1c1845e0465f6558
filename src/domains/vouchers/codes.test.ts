import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CODE_DATA_LENGTH,
  CODE_LENGTH,
  codeFromBytes,
  deriveVoucherKeys,
  formatBookletNumber,
  formatVoucherCode,
  formatVoucherSerial,
  generateVoucherCode,
  hashVoucherCode,
  parseBookletNumber,
  parseVoucherCode,
  sealVoucherCode,
  unsealVoucherCode,
  voucherKeys,
  type VoucherCode,
} from './codes.js';

const SYMBOLS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_SYMBOLS = `${SYMBOLS}*~$=U`;

/** The check symbol computed here from the definition (value of the 16 symbols modulo 37). */
function expectedCheck(data: string): string {
  let value = 0n;
  for (const symbol of data) value = value * 32n + BigInt(SYMBOLS.indexOf(symbol));
  return CHECK_SYMBOLS[Number(value % 37n)]!;
}

function code(text: string): VoucherCode {
  const parsed = parseVoucherCode(text);
  if (!parsed.ok) throw new Error(`${text} is not a valid code`);
  return parsed.code;
}

const keys = deriveVoucherKeys(Buffer.alloc(32, 7));
const otherKeys = deriveVoucherKeys(Buffer.alloc(32, 8));

describe('voucher codes', () => {
  it('have 16 data symbols of Crockford base32 and a check symbol', () => {
    expect(CODE_DATA_LENGTH).toBe(16);
    expect(CODE_LENGTH).toBe(17);
    const codes = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const generated = generateVoucherCode();
      expect(generated).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}[0-9A-HJKMNP-TV-Z*~$=U]$/u);
      expect(generated.slice(16)).toBe(expectedCheck(generated.slice(0, 16)));
      expect(parseVoucherCode(generated)).toEqual({ ok: true, code: generated });
      codes.add(generated);
    }
    // 80 random bits: 500 codes never collide.
    expect(codes.size).toBe(500);
  });

  it('are computed from 10 bytes, the same bytes always giving the same code', () => {
    expect(codeFromBytes(new Uint8Array(10))).toBe('00000000000000000');
    expect(codeFromBytes(new Uint8Array(10).fill(255))).toBe(`ZZZZZZZZZZZZZZZZ${expectedCheck('ZZZZZZZZZZZZZZZZ')}`);
    const bytes = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc]);
    const first = codeFromBytes(bytes);
    expect(codeFromBytes(Uint8Array.from(bytes))).toBe(first);
    // 0x0123456789abcdeffedc in groups of 5 bits, most significant first.
    const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
    const data = Array.from({ length: 16 }, (_, i) => SYMBOLS[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]).join('');
    expect(first).toBe(data + expectedCheck(data));
    expect(() => codeFromBytes(new Uint8Array(9))).toThrow();
    expect(() => codeFromBytes(new Uint8Array(11))).toThrow();
  });

  it('are read whatever the case, spaces and dashes, with I, L and O as 1, 1 and 0', () => {
    const data = 'A1B0C1D0EFGH1JK0';
    const canonical = data + expectedCheck(data);
    expect(parseVoucherCode(canonical)).toEqual({ ok: true, code: canonical });
    expect(parseVoucherCode(canonical.toLowerCase())).toEqual({ ok: true, code: canonical });
    expect(parseVoucherCode(formatVoucherCode(canonical as VoucherCode))).toEqual({ ok: true, code: canonical });
    expect(formatVoucherCode(canonical as VoucherCode)).toBe(`A1B0-C1D0-EFGH-1JK0${canonical.slice(16)}`);
    expect(parseVoucherCode(` ${canonical.slice(0, 4)} ${canonical.slice(4, 8)}\t${canonical.slice(8)}\n`)).toEqual({ ok: true, code: canonical });
    const typos = `aIbOcLdoEFGHiJKo${canonical.slice(16)}`;
    expect(parseVoucherCode(typos)).toEqual({ ok: true, code: canonical });
    expect(parseVoucherCode(`${typos.slice(0, 8)}-${typos.slice(8)}`)).toEqual({ ok: true, code: canonical });
  });

  it('refuse what is too short, too long, or not of the alphabet', () => {
    const valid = generateVoucherCode();
    expect(parseVoucherCode('')).toEqual({ ok: false, problem: 'code_malformed' });
    expect(parseVoucherCode(valid.slice(0, 16))).toEqual({ ok: false, problem: 'code_malformed' });
    expect(parseVoucherCode(`${valid}0`)).toEqual({ ok: false, problem: 'code_malformed' });
    expect(parseVoucherCode(`U${valid.slice(1)}`)).toEqual({ ok: false, problem: 'code_malformed' });
    expect(parseVoucherCode(`${valid.slice(0, 16)}#`)).toEqual({ ok: false, problem: 'code_malformed' });
    expect(parseVoucherCode(`*${valid.slice(1)}`)).toEqual({ ok: false, problem: 'code_malformed' });
  });

  // Exhaustive over a few codes, those with check symbols outside the data alphabet among them.
  const samples: VoucherCode[] = [
    codeFromBytes(new Uint8Array(10)),
    codeFromBytes(new Uint8Array(10).fill(255)),
    codeFromBytes(Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc])),
    ...Array.from({ length: 5 }, () => generateVoucherCode()),
  ];
  for (let i = 0, found = 0; found < 2; i++) {
    const candidate = codeFromBytes(Uint8Array.from({ length: 10 }, (_, j) => (i * 31 + j * 7) % 256));
    if ('*~$=U'.includes(candidate.slice(16))) {
      samples.push(candidate);
      found++;
    }
  }

  it.each(samples)('reject every single substitution of a symbol of %s', (valid) => {
    let tried = 0;
    for (let position = 0; position < CODE_LENGTH; position++) {
      const alphabet = `${CHECK_SYMBOLS}ILO`;
      for (const symbol of alphabet) {
        const read = symbol === 'I' || symbol === 'L' ? '1' : symbol === 'O' ? '0' : symbol;
        if (read === valid[position]) continue;
        const typed = valid.slice(0, position) + symbol + valid.slice(position + 1);
        const parsed = parseVoucherCode(typed);
        expect(parsed.ok, typed).toBe(false);
        if (!parsed.ok) expect(['code_check_failed', 'code_malformed']).toContain(parsed.problem);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(16 * 33);
  });

  it.each(samples)('reject every swap of two neighbouring symbols of %s', (valid) => {
    for (let position = 0; position < CODE_LENGTH - 1; position++) {
      if (valid[position] === valid[position + 1]) continue;
      const typed = valid.slice(0, position) + valid[position + 1] + valid[position] + valid.slice(position + 2);
      const parsed = parseVoucherCode(typed);
      expect(parsed.ok, typed).toBe(false);
    }
  });

  it('accept a code exactly when its check symbol is the 80-bit value modulo 37', () => {
    const data = fc.array(fc.constantFrom(...SYMBOLS), { minLength: CODE_DATA_LENGTH, maxLength: CODE_DATA_LENGTH }).map((s) => s.join(''));
    fc.assert(
      fc.property(data, fc.constantFrom(...CHECK_SYMBOLS), (symbols, check) => {
        const expected = expectedCheck(symbols) === check ? { ok: true, code: `${symbols}${check}` } : { ok: false, problem: 'code_check_failed' };
        expect(parseVoucherCode(`${symbols}${check}`)).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('count a wrong data symbol as a failed check, not as a malformed code', () => {
    const valid = code(`0123456789ABCDEF${expectedCheck('0123456789ABCDEF')}`);
    expect(parseVoucherCode(`1${valid.slice(1)}`)).toEqual({ ok: false, problem: 'code_check_failed' });
  });
});

describe('what the database keeps of a code', () => {
  const valid = generateVoucherCode();

  it('is a keyed hash that depends on the key and the code', () => {
    const hash = hashVoucherCode(keys, valid);
    expect(hash).toHaveLength(32);
    expect(hashVoucherCode(keys, valid).equals(hash)).toBe(true);
    expect(hashVoucherCode(otherKeys, valid).equals(hash)).toBe(false);
    expect(hashVoucherCode(keys, generateVoucherCode()).equals(hash)).toBe(false);
  });

  it('is a sealed copy that only the same key opens', () => {
    const sealed = sealVoucherCode(keys, valid);
    expect(sealed.includes(Buffer.from(valid, 'ascii'))).toBe(false);
    expect(unsealVoucherCode(keys, sealed)).toBe(valid);
    // A fresh nonce each time: two seals of the same code differ.
    expect(sealVoucherCode(keys, valid).equals(sealed)).toBe(false);
    expect(() => unsealVoucherCode(otherKeys, sealed)).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => unsealVoucherCode(keys, tampered)).toThrow();
  });

  it('comes from two keys derived apart from a secret of at least 32 bytes', () => {
    expect(keys.lookup.equals(keys.seal)).toBe(false);
    expect(deriveVoucherKeys(Buffer.alloc(32, 7))).toEqual(keys);
    expect(() => deriveVoucherKeys(Buffer.alloc(31, 7))).toThrow();
  });
});

describe('the secret of an installation', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'passnum-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created in the data directory with mode 0600, and the same keys come back', () => {
    const dataDir = path.join(dir, 'data');
    const first = voucherKeys({ voucherSecret: undefined, dataDir });
    const file = path.join(dataDir, 'voucher-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    expect(secret).toHaveLength(32);
    expect(deriveVoucherKeys(secret)).toEqual(first);
    expect(voucherKeys({ voucherSecret: undefined, dataDir })).toEqual(first);
    // Another path to the same directory reads the file again (no cached copy): same keys.
    const link = path.join(dir, 'link');
    symlinkSync(dataDir, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(voucherKeys({ voucherSecret: undefined, dataDir: link })).toEqual(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('is the configured one when PASSNUM_VOUCHER_SECRET is set', () => {
    const dataDir = path.join(dir, 'configured');
    expect(voucherKeys({ voucherSecret: Buffer.alloc(32, 7), dataDir })).toEqual(keys);
    expect(() => statSync(path.join(dataDir, 'voucher-secret'))).toThrow();
  });
});

describe('booklet numbers', () => {
  it('are the sequence on 7 digits and a Luhn check digit', () => {
    expect(formatBookletNumber(1000)).toMatch(/^0001000\d$/u);
    expect(formatBookletNumber(7992739871)).toBe('79927398713');
    for (const sequence of [1, 1000, 1001, 4_567_890, 12_345_678_901]) {
      expect(parseBookletNumber(formatBookletNumber(sequence))).toBe(sequence);
    }
    expect(formatVoucherSerial(1000, 3)).toBe(`${formatBookletNumber(1000)}-03`);
  });

  it('are read with spaces, dashes and dots', () => {
    const number = formatBookletNumber(1234);
    expect(parseBookletNumber(`${number.slice(0, 4)} ${number.slice(4)}`)).toBe(1234);
    expect(parseBookletNumber(`${number.slice(0, 4)}-${number.slice(4)}`)).toBe(1234);
    expect(parseBookletNumber(`${number.slice(0, 4)}.${number.slice(4)}`)).toBe(1234);
  });

  it('refuse every single wrong digit', () => {
    for (const sequence of [1000, 1001, 1017, 98_765, 4_567_890]) {
      const number = formatBookletNumber(sequence);
      for (let position = 0; position < number.length; position++) {
        for (const digit of '0123456789') {
          if (digit === number[position]) continue;
          const typed = number.slice(0, position) + digit + number.slice(position + 1);
          expect(parseBookletNumber(typed), typed).toBeUndefined();
        }
      }
    }
  });

  it('refuse what is not a number of 8 to 12 digits, or the number 0', () => {
    expect(parseBookletNumber('')).toBeUndefined();
    expect(parseBookletNumber('1234567')).toBeUndefined();
    expect(parseBookletNumber('12A45678')).toBeUndefined();
    expect(parseBookletNumber('00000000')).toBeUndefined();
    expect(parseBookletNumber('1234567890123')).toBeUndefined();
  });
});
