/**
 * A statement whose text starts with this comment is sent by the PostgreSQL driver as a named
 * prepared statement, parsed and analysed once per connection (db/client.ts); PGlite reads it as a
 * comment. Only for statements of fixed text run often, their rows passed as JSON or arrays.
 */
export const PREPARED = '/* prepared */';

/**
 * The same, for the last statement of a transaction: the PostgreSQL driver sends the COMMIT right
 * behind it, without waiting for its result (db/client.ts), and the transaction's own commit then
 * only collects that COMMIT's answer. If the statement fails, PostgreSQL turns that COMMIT into a
 * ROLLBACK; if it succeeds, the transaction is committed whatever the code does next. So nothing
 * that may still have to undo the transaction can come after it: its checks go in the statement
 * itself (`assert_true`, migration 0013). PGlite reads it as a comment and commits as usual.
 */
export const PREPARED_LAST = '/* prepared, last of its transaction */';
