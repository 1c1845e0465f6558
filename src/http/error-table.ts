import type { DomainErrorCode } from '../domains/errors.js';

/** Errors that belong to HTTP itself rather than to a domain. */
export type HttpErrorCode =
  | 'validation_failed'
  | 'malformed_body'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'csrf_invalid'
  | 'rate_limited'
  | 'database_unavailable'
  | 'internal_error';

export type ErrorCode = DomainErrorCode | HttpErrorCode;

interface ErrorEntry {
  status: number;
  /** Shown to people on pages and sent as the problem's `title`. */
  message: string;
}

/**
 * The one table from error codes to HTTP statuses and French messages. `satisfies` makes the
 * compiler refuse a code without an entry.
 */
export const ERROR_TABLE = {
  invalid_credentials: { status: 401, message: 'Adresse e-mail ou mot de passe incorrect.' },
  password_too_weak: { status: 400, message: 'Choisissez un mot de passe d’au moins 12 caractères, par exemple une phrase.' },
  password_too_long: { status: 400, message: 'Le mot de passe ne doit pas dépasser 256 caractères.' },
  invitation_unknown: { status: 404, message: 'Ce lien d’invitation n’existe pas. Vérifiez que vous avez copié le lien en entier.' },
  invitation_expired: { status: 410, message: 'Ce lien d’invitation a expiré. Demandez une nouvelle invitation à la personne qui vous a invité·e.' },
  invitation_used: { status: 409, message: 'Cette invitation a déjà été acceptée.' },
  invitation_for_another_account: {
    status: 403,
    message: 'Cette invitation est destinée à une autre adresse e-mail. Connectez-vous avec l’adresse invitée.',
  },
  already_member: { status: 409, message: 'Cette personne fait déjà partie de l’organisation.' },
  reset_link_unknown: { status: 404, message: 'Ce lien de réinitialisation n’existe pas. Vérifiez que vous avez copié le lien en entier.' },
  reset_link_expired: { status: 410, message: 'Ce lien de réinitialisation a expiré. Demandez-en un nouveau.' },
  reset_link_used: { status: 409, message: 'Ce lien de réinitialisation a déjà servi. Demandez-en un nouveau si besoin.' },
  not_a_member: { status: 403, message: 'Vous ne faites pas partie de cette organisation.' },
  last_admin: { status: 409, message: 'Une organisation garde toujours au moins un administrateur ou une administratrice.' },
  api_token_unknown: { status: 404, message: 'Ce jeton d’API n’existe pas ou a déjà été révoqué.' },
  scope_not_allowed: { status: 400, message: 'Votre organisation ne peut pas donner ce droit à un jeton d’API.' },
  organisation_unknown: { status: 404, message: 'Cette organisation n’existe pas.' },
  email_taken: { status: 409, message: 'Un compte existe déjà avec cette adresse e-mail.' },
  organisation_kind_not_allowed: { status: 400, message: 'Ce type d’organisation ne se crée pas depuis cette page.' },
  import_file_encoding: { status: 400, message: 'Le fichier n’est pas encodé en UTF-8 : enregistrez-le en UTF-8 et recommencez.' },
  import_file_format: {
    status: 400,
    message: 'Le fichier n’est ni un tableau JSON ni un CSV du standard des lieux de médiation numérique.',
  },
  referential_invalid: { status: 400, message: 'Ce référentiel est invalide : un code de service est mal formé ou en double.' },
  referential_version_unknown: { status: 404, message: 'Cette version du référentiel n’existe pas.' },
  too_many_attempts: {
    status: 429,
    message: 'Trop de tentatives de connexion pour ce compte. Patientez un quart d’heure ou réinitialisez votre mot de passe.',
  },

  validation_failed: { status: 400, message: 'Certaines informations sont manquantes ou incorrectes.' },
  malformed_body: { status: 400, message: 'La requête est mal formée.' },
  unsupported_media_type: { status: 415, message: 'Ce type de contenu n’est pas accepté.' },
  payload_too_large: { status: 413, message: 'La requête est trop volumineuse.' },
  unauthenticated: { status: 401, message: 'Vous devez vous connecter pour accéder à cette page.' },
  forbidden: { status: 403, message: 'Vous n’avez pas accès à cette page avec votre rôle actuel.' },
  not_found: { status: 404, message: 'Page introuvable.' },
  csrf_invalid: {
    status: 403,
    message: 'Le formulaire a expiré ou ne vient pas de passnum. Rechargez la page et recommencez.',
  },
  rate_limited: { status: 429, message: 'Trop de tentatives. Patientez quelques minutes avant de réessayer.' },
  database_unavailable: { status: 503, message: 'Le service est momentanément indisponible.' },
  internal_error: { status: 500, message: 'Une erreur inattendue s’est produite. Réessayez plus tard.' },
} as const satisfies Record<ErrorCode, ErrorEntry>;

export function errorEntry(code: ErrorCode): ErrorEntry {
  return ERROR_TABLE[code];
}
