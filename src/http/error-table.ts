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
  place_unknown: { status: 404, message: 'Ce lieu n’existe pas ou n’est pas géré par votre structure.' },
  place_already_claimed: { status: 409, message: 'Ce lieu vient d’être rattaché à une autre structure. Si c’est une erreur, écrivez à l’opérateur.' },
  place_commune_unknown: { status: 400, message: 'Ce code INSEE ne correspond à aucune commune : vérifiez-le sur la fiche de la commune (insee.fr).' },
  place_postcode_mismatch: { status: 400, message: 'Ce code postal n’est pas celui de la commune indiquée par le code INSEE : vérifiez les deux.' },
  place_outside_france: {
    status: 400,
    message: 'Ces coordonnées ne sont pas en France : vérifiez la latitude et la longitude (pas inversées, point décimal).',
  },
  place_phone_invalid: { status: 400, message: 'Saisissez un numéro de téléphone français, par exemple 05 56 00 00 00.' },
  place_pivot_invalid: { status: 400, message: 'Le SIRET ou le RNA de la structure est mal formé : les lieux ne peuvent pas être publiés.' },
  catalogue_service_unknown: { status: 400, message: 'Ce service n’existe pas dans la dernière version du référentiel.' },
  catalogue_needs_employee: {
    status: 409,
    message:
      'Ce service « faire à la place » ne peut être proposé que par une personne salariée : déclarez au moins un intervenant salarié actif, ou proposez le service en pause.',
  },
  catalogue_delivery_mode_required: { status: 400, message: 'Cochez au moins un mode : sur place, à distance ou à domicile.' },
  catalogue_parcours_invalid: { status: 400, message: 'Un parcours compte 5 ou 10 séances.' },
  catalogue_price_invalid: { status: 400, message: 'Le prix va de 0 à 1 000 €, en euros et centimes.' },
  provider_unknown: { status: 404, message: 'Cette structure n’existe pas ou n’a pas de candidature.' },
  siret_invalid: { status: 400, message: 'Ce numéro SIRET n’est pas valide : vérifiez les 14 chiffres sur l’avis de situation SIRENE.' },
  rna_invalid: { status: 400, message: 'Ce numéro RNA n’est pas valide : il commence par W suivi de 9 caractères, par exemple W751234567.' },
  legal_identifier_missing: {
    status: 400,
    message: 'Indiquez le numéro SIRET de la structure (une association sans SIRET peut donner son numéro RNA).',
  },
  rna_only_for_associations: { status: 400, message: 'Seule une association peut s’inscrire avec un numéro RNA sans SIRET.' },
  postcode_unknown: { status: 400, message: 'Ce code postal n’existe pas : vérifiez les 5 chiffres.' },
  commune_unknown: { status: 400, message: 'Cette commune est inconnue : choisissez-la dans la liste.' },
  postcode_commune_mismatch: { status: 400, message: 'Cette commune ne correspond pas au code postal : choisissez-la dans la liste.' },
  commune_required: { status: 400, message: 'Choisissez la commune parmi celles de ce code postal.' },
  iban_invalid: { status: 400, message: 'Cet IBAN n’est pas valide : vérifiez-le sur votre RIB (FR76 suivi de 23 caractères en France).' },
  bic_invalid: { status: 400, message: 'Ce BIC n’est pas valide : 8 ou 11 lettres et chiffres, sur votre RIB.' },
  account_holder_missing: { status: 400, message: 'Indiquez le nom du titulaire du compte, tel qu’il figure sur le RIB.' },
  application_not_editable: {
    status: 409,
    message: 'Votre candidature est en cours d’examen ou a été refusée : elle ne peut pas être modifiée en ce moment.',
  },
  application_incomplete: { status: 409, message: 'Votre candidature n’est pas complète : terminez les étapes indiquées avant de l’envoyer.' },
  application_status_changed: { status: 409, message: 'Votre candidature a changé d’état entre-temps : elle a sans doute déjà été envoyée.' },
  eligibility_incomplete: { status: 400, message: 'Répondez à toutes les questions du questionnaire.' },
  document_kind_not_required: { status: 400, message: 'Ce type de pièce n’est pas demandé pour la forme juridique de votre structure.' },
  document_type_not_allowed: {
    status: 400,
    message: 'Ce fichier n’est ni un PDF, ni une image JPEG ou PNG : enregistrez la pièce dans l’un de ces formats et recommencez.',
  },
  document_too_large: { status: 413, message: 'Ce fichier dépasse 10 Mo : réduisez-le (scan en 150 points par pouce, par exemple) et recommencez.' },
  document_missing: { status: 400, message: 'Choisissez le fichier à envoyer.' },
  document_unknown: { status: 404, message: 'Cette pièce n’existe pas.' },
  mediator_training_required: {
    status: 400,
    message: 'Les bénévoles et les volontaires en service civique doivent avoir été formés avant d’intervenir : décrivez leur formation.',
  },
  mediator_unknown: { status: 404, message: 'Cet intervenant n’existe pas.' },
  application_status_conflict: {
    status: 409,
    message: 'Cette décision n’est pas possible au statut actuel de la candidature : quelqu’un l’a peut-être traitée entre-temps. Vérifiez son statut ci-dessous.',
  },
  review_message_required: { status: 400, message: 'Écrivez un message à la structure : il est nécessaire pour cette décision.' },
  review_message_too_long: { status: 400, message: 'Le message ne doit pas dépasser 5 000 caractères.' },
  provider_not_suspendable: { status: 409, message: 'Seule une structure qualifiée et non suspendue peut être suspendue.' },
  provider_not_suspended: { status: 409, message: 'Cette structure n’est pas suspendue : il n’y a rien à rétablir.' },
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
