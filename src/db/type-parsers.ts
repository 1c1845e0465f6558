/**
 * One set of result parsers for both drivers, so that the application sees the same JS types
 * whether it runs on PGlite or on PostgreSQL (the drivers disagree out of the box).
 *
 * - int8 (bigint, count(*)) → number, refusing values beyond Number.MAX_SAFE_INTEGER: money is in
 *   cents and 2^53 cents is 90 000 billion euros, so a larger value is a bug, not data.
 * - numeric → string (exact; convert deliberately).
 * - bytea → Buffer.
 * - date → 'YYYY-MM-DD' string (a calendar day has no time zone).
 * - timestamptz → Date (both drivers' default, kept).
 */
export const PG_OID = { BYTEA: 17, INT8: 20, NUMERIC: 1700, DATE: 1082 } as const;

export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} is beyond the safe integer range`);
  }
  return value;
}

export function parseByteaHex(text: string): Buffer {
  // PostgreSQL's default bytea_output is 'hex': "\x0a1b..."
  if (!text.startsWith('\\x')) throw new TypeError('unexpected bytea text format');
  return Buffer.from(text.slice(2), 'hex');
}

export const identity = (text: string): string => text;
