/**
 * Whether a value is a UUID as PostgreSQL prints it (any case): ids from URLs and forms are checked
 * before they reach a query, so that a malformed one is « unknown » (404), never a database error.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
