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
  'place_unknown',
  'place_already_claimed',
  'place_commune_unknown',
  'place_postcode_mismatch',
  'place_outside_france',
  'place_phone_invalid',
  'place_pivot_invalid',
  'catalogue_service_unknown',
  'catalogue_needs_employee',
  'catalogue_delivery_mode_required',
  'catalogue_parcours_invalid',
  'catalogue_price_invalid',
  'provider_unknown',
  'siret_invalid',
  'rna_invalid',
  'legal_identifier_missing',
  'rna_only_for_associations',
  'postcode_unknown',
  'commune_unknown',
  'postcode_commune_mismatch',
  'commune_required',
  'iban_invalid',
  'bic_invalid',
  'account_holder_missing',
  'application_not_editable',
  'application_incomplete',
  'application_status_changed',
  'eligibility_incomplete',
  'document_kind_not_required',
  'document_type_not_allowed',
  'document_too_large',
  'document_missing',
  'document_unknown',
  'mediator_training_required',
  'mediator_unknown',
  'application_status_conflict',
  'review_message_required',
  'review_message_too_long',
  'provider_not_suspendable',
  'provider_not_suspended',
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
