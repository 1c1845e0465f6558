import type { MemberRole, OrganisationKind } from '../../domains/accounts/model.js';

/** French words for the codes of the domain (see docs/glossary.md). */
export const ORGANISATION_KIND_LABELS: Record<OrganisationKind, string> = {
  operator: 'Opérateur de la plateforme',
  funder: 'Commanditaire',
  distributor: 'Distributeur',
  provider: 'Lieu de médiation (acteur qualifié)',
};

export const ROLE_LABELS: Record<MemberRole, string> = {
  admin: 'Administrateur·rice',
  member: 'Membre',
};

export function formatDateTime(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(date);
}
