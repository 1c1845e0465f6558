import type { BookletCancelReason, DeliveryMode, FundingMode, OrderStatus, PublicAge, PublicSituation, VoucherActivation } from '../../db/schema.js';
import type { VoucherState } from '../../domains/vouchers/rules.js';

/** French words of the vouchers domain, for pages (glossary: docs/glossary.md). */

export const ORDER_STATUS_LABELS: Record<OrderStatus, string> = {
  draft: 'Brouillon',
  confirmed: 'Confirmée',
  committed: 'Payée ou engagée',
  issued: 'Émise',
  cancelled: 'Annulée',
};

export const FUNDING_MODE_LABELS: Record<FundingMode, string> = {
  prepaid: 'Paiement d’avance',
  billed_on_use: 'Facturation à l’usage',
};

export const FUNDING_MODE_HINTS: Record<FundingMode, string> = {
  prepaid: 'Vous payez la valeur des chèques à la commande ; ils sont émis à réception du virement.',
  billed_on_use: 'Pour les financeurs publics : aucun paiement d’avance, une facture chaque mois pour les seuls chèques utilisés.',
};

export const ACTIVATION_LABELS: Record<VoucherActivation, string> = {
  on_hand_out: 'À la remise du carnet par un distributeur (recommandé : un carnet perdu avant sa remise ne vaut rien)',
  on_issue: 'Dès l’émission',
};

export const DELIVERY_MODE_LABELS: Record<DeliveryMode, string> = {
  on_site: 'Dans le lieu',
  remote: 'À distance',
  home: 'À domicile',
};

export const PUBLIC_AGE_LABELS: Record<PublicAge, string> = {
  under_26: 'Moins de 26 ans',
  '26_59': '26 à 59 ans',
  '60_74': '60 à 74 ans',
  '75_plus': '75 ans et plus',
};

export const PUBLIC_SITUATION_LABELS: Record<PublicSituation, string> = {
  job_seeker: 'En recherche d’emploi',
  minimum_income: 'Bénéficiaire de minima sociaux',
  retired: 'À la retraite',
  student: 'En formation ou études',
  employed: 'En emploi',
  disability: 'En situation de handicap',
  other: 'Autre situation',
};

export const CANCEL_REASON_LABELS: Record<BookletCancelReason, string> = {
  lost: 'Perdu',
  stolen: 'Volé',
  damaged: 'Abîmé',
  other: 'Autre raison',
};

export const VOUCHER_STATE_LABELS: Record<VoucherState, string> = {
  usable: 'Valable',
  not_active: 'Pas encore activé',
  cancelled: 'Annulé',
  used: 'Déjà utilisé',
  not_yet_valid: 'Pas encore valable',
  expired: 'Expiré',
  not_issued: 'Pas encore émis',
};
