import type { ApplicationStatus, LegalForm, MediatorStatus, SubmissionGap } from '../../../domains/providers/application.js';

/** French words for the codes of an application (see docs/glossary.md). */
export const LEGAL_FORM_LABELS: Record<LegalForm, string> = {
  association: 'Association',
  company: 'Entreprise',
  public_body: 'Structure publique',
  sole_trader: 'Entrepreneur individuel',
};

export const APPLICATION_STATUS_LABELS: Record<ApplicationStatus, string> = {
  draft: 'En préparation : votre candidature n’a pas encore été envoyée.',
  submitted: 'Envoyée : l’opérateur l’examine. Vous recevrez un e-mail dès qu’elle aura été examinée.',
  changes_requested: 'À compléter : l’opérateur vous demande des modifications (voir les messages), puis renvoyez-la.',
  qualified: 'Qualifiée : votre structure accepte le pass numérique.',
  refused: 'Refusée : voir le message de l’opérateur.',
};

export const MEDIATOR_STATUS_LABELS: Record<MediatorStatus, string> = {
  employee: 'Salarié·e',
  volunteer: 'Bénévole',
  civic_service: 'Volontaire en service civique',
};

export const SUBMISSION_GAP_LABELS: Record<SubmissionGap, string> = {
  not_eligible: 'Le questionnaire d’éligibilité n’est pas rempli ou pas encore réussi.',
  charter_not_accepted: 'La charte en vigueur n’est pas acceptée.',
  no_place: 'Aucun lieu n’est déclaré.',
  no_active_service: 'Aucun service actif au catalogue de vos lieux.',
  missing_documents: 'Des pièces justificatives manquent.',
  missing_bank_details: 'Les coordonnées bancaires (IBAN, BIC, titulaire) manquent.',
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`;
  return `${(bytes / (1024 * 1024)).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
}
