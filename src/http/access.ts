import type { ApiClient } from '../domains/accounts/api-tokens.js';
import type { ApiScope, MemberRole, OrganisationKind } from '../domains/accounts/model.js';
import type { SessionView } from '../domains/accounts/sessions.js';

/**
 * Every route declares who may use it (route option `config.access`); app.ts refuses to start
 * with a route that does not, and checks the declaration on every request, before the body is
 * even parsed. This file is the one place where permissions are decided.
 */
export type Access =
  | { kind: 'public' }
  /** A signed-in person, acting for an organisation of one of these kinds, with this role. */
  | { kind: 'person'; organisationKinds?: readonly OrganisationKind[]; role?: MemberRole; needsOrganisation?: boolean }
  /**
   * A machine client with an API token holding this scope. `tokenRecheckedInTransaction`: the
   * handler checks again that the token is not revoked, in the transaction that writes, so the
   * token may be taken from those found valid lately (domains/accounts/api-tokens.ts).
   */
  | { kind: 'client'; scope: ApiScope; organisationKinds?: readonly OrganisationKind[]; tokenRecheckedInTransaction?: boolean };

export const PUBLIC: Access = { kind: 'public' };
export const SIGNED_IN: Access = { kind: 'person', needsOrganisation: false };
export const MEMBER: Access = { kind: 'person' };
export const ADMIN: Access = { kind: 'person', role: 'admin' };
export const OPERATOR: Access = { kind: 'person', organisationKinds: ['operator'] };
export const OPERATOR_ADMIN: Access = { kind: 'person', organisationKinds: ['operator'], role: 'admin' };
export const PROVIDER: Access = { kind: 'person', organisationKinds: ['provider'] };
export const PROVIDER_ADMIN: Access = { kind: 'person', organisationKinds: ['provider'], role: 'admin' };
export const FUNDER: Access = { kind: 'person', organisationKinds: ['funder'] };
export const FUNDER_ADMIN: Access = { kind: 'person', organisationKinds: ['funder'], role: 'admin' };
export const DISTRIBUTOR: Access = { kind: 'person', organisationKinds: ['distributor'] };

export type Decision = 'allowed' | 'unauthenticated' | 'forbidden';

export function decide(access: Access, principal: { session?: SessionView | undefined; client?: ApiClient | undefined }): Decision {
  switch (access.kind) {
    case 'public':
      return 'allowed';
    case 'person': {
      const session = principal.session;
      if (!session) return 'unauthenticated';
      if (access.needsOrganisation === false) return 'allowed';
      const current = session.current;
      if (!current) return 'forbidden';
      if (access.organisationKinds && !access.organisationKinds.includes(current.organisationKind)) return 'forbidden';
      if (access.role === 'admin' && current.role !== 'admin') return 'forbidden';
      return 'allowed';
    }
    case 'client': {
      const client = principal.client;
      if (!client) return 'unauthenticated';
      if (!client.scopes.includes(access.scope)) return 'forbidden';
      if (access.organisationKinds && !access.organisationKinds.includes(client.organisationKind)) return 'forbidden';
      return 'allowed';
    }
  }
}
