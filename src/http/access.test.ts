import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../domains/accounts/api-tokens.js';
import type { Membership } from '../domains/accounts/model.js';
import type { SessionView } from '../domains/accounts/sessions.js';
import { ADMIN, MEMBER, OPERATOR, PUBLIC, SIGNED_IN, decide } from './access.js';

const membership = (organisationKind: Membership['organisationKind'], role: Membership['role']): Membership => ({
  organisationId: `${organisationKind}-id`,
  organisationName: organisationKind,
  organisationKind,
  role,
});
const session = (current: Membership | undefined): SessionView => ({
  sessionId: 's',
  user: { id: 'u', email: 'a@b.fr', displayName: 'A' },
  current,
  memberships: current ? [current] : [],
});
const client = (scopes: ApiClient['scopes'], organisationKind: ApiClient['organisationKind'] = 'funder'): ApiClient => ({
  tokenId: 't',
  organisationId: 'o',
  organisationKind,
  scopes,
});

describe('who may use a route', () => {
  it('lets anyone use a public route', () => {
    expect(decide(PUBLIC, {})).toBe('allowed');
  });

  it('asks a person to sign in, then checks organisation kind and role', () => {
    expect(decide(MEMBER, {})).toBe('unauthenticated');
    expect(decide(MEMBER, { client: client(['organisation:read']) })).toBe('unauthenticated');
    expect(decide(MEMBER, { session: session(membership('funder', 'member')) })).toBe('allowed');
    expect(decide(ADMIN, { session: session(membership('funder', 'member')) })).toBe('forbidden');
    expect(decide(ADMIN, { session: session(membership('funder', 'admin')) })).toBe('allowed');
    expect(decide(OPERATOR, { session: session(membership('provider', 'admin')) })).toBe('forbidden');
    expect(decide(OPERATOR, { session: session(membership('operator', 'member')) })).toBe('allowed');
  });

  it('lets a person without any organisation reach only the pages that need none', () => {
    expect(decide(MEMBER, { session: session(undefined) })).toBe('forbidden');
    expect(decide(SIGNED_IN, { session: session(undefined) })).toBe('allowed');
  });

  it('checks a machine client scope and organisation kind', () => {
    const access = { kind: 'client', scope: 'audit:read', organisationKinds: ['operator'] } as const;
    expect(decide(access, {})).toBe('unauthenticated');
    expect(decide(access, { session: session(membership('operator', 'admin')) })).toBe('unauthenticated');
    expect(decide(access, { client: client(['organisation:read'], 'operator') })).toBe('forbidden');
    expect(decide(access, { client: client(['audit:read'], 'funder') })).toBe('forbidden');
    expect(decide(access, { client: client(['audit:read'], 'operator') })).toBe('allowed');
  });
});
