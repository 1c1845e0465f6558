/**
 * A statement whose text starts with this comment is sent by the PostgreSQL driver as a named
 * prepared statement, parsed and analysed once per connection (db/client.ts); PGlite reads it as a
 * comment. Only for statements of fixed text run often, their rows passed as arrays.
 */
export const PREPARED = '/* prepared */';
