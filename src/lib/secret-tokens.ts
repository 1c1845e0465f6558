import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer secret for links and cookies: 256 bits from the system CSPRNG, URL-safe. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the database keeps of a bearer secret. The secrets are 256-bit random values, so a fast
 * hash is enough (nothing to brute-force), and a dump of the table opens nothing.
 */
export function hashSecretToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
