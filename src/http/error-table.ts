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
  api_token_revoked: { status: 401, message: 'Ce jeton d’API a été révoqué : rien n’a été enregistré.' },
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
  order_unknown: { status: 404, message: 'Cette commande n’existe pas ou n’appartient pas à votre organisation.' },
  order_status_conflict: { status: 409, message: 'Cette commande a changé d’étape entre-temps : rechargez la page pour voir où elle en est.' },
  order_quantity_invalid: { status: 400, message: 'Indiquez un nombre de carnets entre 1 et 20 000, de 5 ou 10 chèques chacun.' },
  order_face_value_invalid: { status: 400, message: 'La valeur d’un chèque va de 1 € à 100 €, au centime près (10 € par défaut).' },
  order_validity_invalid: { status: 400, message: 'La date de fin de validité doit suivre la date de début, et la validité ne peut dépasser 3 ans.' },
  order_territory_unknown: { status: 400, message: 'Un code de territoire est inconnu : utilisez les codes INSEE des communes, départements, régions (R75) ou le SIREN des EPCI.' },
  order_service_unknown: { status: 400, message: 'Un service choisi n’existe pas dans le référentiel national.' },
  order_place_type_unknown: { status: 400, message: 'Un type de lieu choisi est inconnu.' },
  order_delivery_mode_required: { status: 400, message: 'Choisissez au moins une façon de rendre le service (au moins : dans le lieu).' },
  distributor_unknown: { status: 404, message: 'Ce distributeur n’existe pas ou ne travaille pas avec votre organisation.' },
  booklet_unknown: { status: 404, message: 'Aucun carnet de votre organisation ne porte ce numéro.' },
  booklet_number_invalid: { status: 400, message: 'Ce numéro de carnet est mal saisi : vérifiez les 8 chiffres imprimés sur la couverture.' },
  booklet_already_allocated: { status: 409, message: 'Ce carnet est déjà confié à un distributeur.' },
  booklet_not_allocated: { status: 409, message: 'Ce carnet n’a pas été confié à votre organisation.' },
  booklet_already_handed_out: { status: 409, message: 'Ce carnet a déjà été remis à une personne.' },
  booklet_cancelled: { status: 409, message: 'Ce carnet a été annulé (perdu ou volé) : ses chèques sont refusés.' },
  not_enough_booklets: { status: 409, message: 'Il ne reste pas assez de carnets à confier dans cette commande.' },
  code_malformed: { status: 400, message: 'Ce code n’a pas la bonne forme : un code compte 17 caractères, chiffres et lettres, imprimés sur le chèque.' },
  code_check_failed: { status: 400, message: 'Ce code comporte une faute de frappe : vérifiez chaque caractère, en particulier le dernier.' },
  idempotency_key_reused: { status: 409, message: 'Cette clé d’idempotence a déjà servi pour une autre demande.' },
  idempotency_key_invalid: { status: 400, message: 'L’en-tête Idempotency-Key doit contenir de 1 à 255 caractères visibles.' },
  redemption_vouchers_required: { status: 400, message: 'Scannez ou saisissez au moins un chèque (au plus 20 pour un service).' },
  voucher_unknown: { status: 404, message: 'Aucun chèque ne porte ce code.' },
  voucher_repeated: { status: 400, message: 'Ce chèque a été saisi deux fois.' },
  voucher_not_issued: { status: 409, message: 'Ce chèque n’est pas encore émis.' },
  voucher_not_active: { status: 409, message: 'Ce chèque n’est pas activé : son carnet n’a pas encore été remis par un distributeur.' },
  voucher_cancelled: { status: 409, message: 'Ce chèque est annulé : son carnet a été déclaré perdu ou volé.' },
  voucher_already_used: { status: 409, message: 'Ce chèque a déjà été utilisé.' },
  voucher_not_yet_valid: { status: 409, message: 'Ce chèque n’est pas encore valable à cette date.' },
  voucher_expired: { status: 409, message: 'Ce chèque n’est plus valable à cette date.' },
  service_date_invalid: { status: 400, message: 'La date du service ne peut être ni future ni antérieure au mois précédent.' },
  provider_not_qualified: { status: 403, message: 'Votre structure n’est pas encore qualifiée : elle ne peut pas encore encaisser de chèques.' },
  provider_suspended: { status: 403, message: 'Votre structure est suspendue : elle ne peut pas encaisser de chèques.' },
  place_not_published: { status: 409, message: 'Ce lieu n’est pas publié : il ne peut pas encaisser de chèques.' },
  service_not_in_catalogue: { status: 409, message: 'Ce service, rendu de cette façon, n’est pas dans le catalogue actif de ce lieu.' },
  place_outside_territory: { status: 409, message: 'Ce chèque n’est pas valable dans la commune de ce lieu : son financeur l’a réservé à un autre territoire.' },
  place_type_not_allowed: { status: 409, message: 'Ce chèque n’est pas valable dans ce type de lieu.' },
  service_not_allowed: { status: 409, message: 'Ce chèque ne peut pas payer ce service : son financeur l’a réservé à d’autres services.' },
  delivery_mode_not_allowed: { status: 409, message: 'Ce chèque ne peut pas payer un service rendu à distance ou à domicile.' },
  mediator_not_allowed: { status: 409, message: 'Un ou une bénévole ou volontaire en service civique ne peut pas « faire à la place » de la personne.' },
  holder_share_not_allowed: { status: 409, message: 'Le financeur de ce chèque ne permet pas de reste à payer : ajoutez un chèque ou choisissez un service moins cher.' },
  too_many_vouchers: { status: 409, message: 'Trop de chèques pour ce service : retirez-en un, les autres suffisent à payer le prix.' },
  settlement_month_invalid: { status: 400, message: 'Indiquez un mois au format AAAA-MM, par exemple 2026-10.' },
  settlement_month_not_over: { status: 409, message: 'Ce mois n’est pas terminé, ou son jour de grâce pour les scans tardifs n’est pas passé : le règlement attendra.' },
  settlement_integrity_failed: { status: 409, message: 'Contrôle d’intégrité en échec : un montant ne correspond pas à ses chèques. Aucun paiement n’a été préparé ; l’équipe technique doit examiner le journal.' },
  settlement_unknown: { status: 404, message: 'Ce règlement mensuel n’existe pas.' },
  payout_unknown: { status: 404, message: 'Ce virement n’existe pas ou ne concerne pas votre structure.' },
  payout_status_conflict: { status: 409, message: 'Ce virement a changé d’état entre-temps : rechargez la page.' },
  payout_batch_unknown: { status: 404, message: 'Ce fichier de virements n’existe pas.' },
  subscription_plan_invalid: { status: 400, message: 'Choisissez l’abonnement mensuel ou annuel.' },
  settlement_in_progress: { status: 409, message: 'Le règlement mensuel est en cours : réessayez dans quelques minutes.' },
  export_period_invalid: { status: 400, message: 'Indiquez une période valide : une année AAAA, ou deux dates AAAA-MM-JJ dans l’ordre.' },
  too_many_refusals: { status: 429, message: 'Trop de chèques refusés en peu de temps pour ce lieu ou ce compte : patientez dix minutes avant de recommencer.' },
  payout_rejection_reason_required: { status: 400, message: 'Indiquez le motif du rejet donné par la banque (300 caractères au plus).' },
  funder_invoice_unknown: { status: 404, message: 'Cette facture n’existe pas ou ne concerne pas votre organisation.' },
  subscription_invoice_unknown: { status: 404, message: 'Cette facture n’existe pas ou ne concerne pas votre organisation.' },
  funder_invoice_already_paid: { status: 409, message: 'Le règlement de cette facture est déjà enregistré.' },
  funder_payment_reference_required: { status: 400, message: 'Indiquez la référence du virement reçu (100 caractères au plus).' },
  billing_address_invalid: { status: 400, message: 'Saisissez l’adresse (numéro et voie), en 300 caractères au plus.' },
  billing_postcode_invalid: { status: 400, message: 'Le code postal compte 5 chiffres, par exemple 33000.' },
  billing_commune_invalid: { status: 400, message: 'Saisissez la commune, en 100 caractères au plus.' },
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
