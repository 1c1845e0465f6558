/**
 * Business errors are values with a stable code, never HTTP statuses: src/http/error-table.ts maps
 * each code to a status and a French message, and the compiler checks that table is complete.
 * Codes are part of the API contract (problem+json `code`): add new ones, never rename.
 */
export const DOMAIN_ERROR_CODES = [
  'invalid_credentials',
  'password_too_weak',
  'password_too_long',
  'invitation_unknown',
  'invitation_expired',
  'invitation_used',
  'invitation_for_another_account',
  'already_member',
  'reset_link_unknown',
  'reset_link_expired',
  'reset_link_used',
  'not_a_member',
  'last_admin',
  'api_token_unknown',
  'scope_not_allowed',
  'organisation_unknown',
  'email_taken',
  'organisation_kind_not_allowed',
  'too_many_attempts',
  'import_file_encoding',
  'import_file_format',
  'referential_invalid',
  'referential_version_unknown',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    /** The input field the error is about, when there is one (shown next to it on pages). */
    readonly field?: string,
  ) {
    super(code);
    this.name = 'DomainError';
  }
}
