import type { MemberRole, OrganisationKind } from '../../db/schema.js';
import type { DomainErrorCode } from '../errors.js';

export type { MemberRole, OrganisationKind };

export const ORGANISATION_KINDS = ['operator', 'funder', 'distributor', 'provider'] as const satisfies readonly OrganisationKind[];
export const MEMBER_ROLES = ['admin', 'member'] as const satisfies readonly MemberRole[];

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 accepts long inputs, but hashing megabytes on demand is a denial of service. */
export const PASSWORD_MAX_LENGTH = 256;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Length is what makes a password strong (NIST SP 800-63B); no composition rules. */
export function passwordProblem(password: string): DomainErrorCode | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'password_too_weak';
  if (length > PASSWORD_MAX_LENGTH) return 'password_too_long';
  return null;
}

/** What a machine client may do. Later domains add their scopes here. */
export const API_SCOPES = ['organisation:read', 'members:read', 'members:write', 'audit:read', 'redemptions:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Some scopes only make sense for some kinds of organisation. */
const SCOPE_KINDS: Record<ApiScope, readonly OrganisationKind[]> = {
  'organisation:read': ORGANISATION_KINDS,
  'members:read': ORGANISATION_KINDS,
  'members:write': ORGANISATION_KINDS,
  'audit:read': ['operator'],
  'redemptions:write': ['provider'],
};

export function scopesFor(kind: OrganisationKind): ApiScope[] {
  return API_SCOPES.filter((scope) => SCOPE_KINDS[scope].includes(kind));
}

export function isApiScope(value: string): value is ApiScope {
  return (API_SCOPES as readonly string[]).includes(value);
}

export interface Membership {
  organisationId: string;
  organisationName: string;
  organisationKind: OrganisationKind;
  role: MemberRole;
}

/**
 * The organisation a person acts for after signing in: the one asked for if still theirs,
 * otherwise the first in a stable order: the operator, then where they are admin, then by name.
 */
export function defaultMembership(memberships: readonly Membership[], preferred?: string | null): Membership | undefined {
  const kept = memberships.find((m) => m.organisationId === preferred);
  if (kept) return kept;
  return [...memberships].sort(
    (a, b) =>
      Number(b.organisationKind === 'operator') - Number(a.organisationKind === 'operator') ||
      MEMBER_ROLES.indexOf(a.role) - MEMBER_ROLES.indexOf(b.role) ||
      a.organisationName.localeCompare(b.organisationName, 'fr'),
  )[0];
}
