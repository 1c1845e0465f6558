import { describe, expect, it } from 'vitest';
import { defaultMembership, normaliseEmail, passwordProblem, scopesFor, type Membership } from './model.js';

describe('account rules', () => {
  it('compares e-mail addresses without case or surrounding spaces', () => {
    expect(normaliseEmail('  Claire.Dupont@Mairie.FR ')).toBe('claire.dupont@mairie.fr');
  });

  it('asks for at least 12 characters, counted as characters not bytes, and at most 256', () => {
    expect(passwordProblem('court')).toBe('password_too_weak');
    expect(passwordProblem('é'.repeat(11))).toBe('password_too_weak');
    expect(passwordProblem('é'.repeat(12))).toBeNull();
    expect(passwordProblem('une phrase de passe')).toBeNull();
    expect(passwordProblem('x'.repeat(257))).toBe('password_too_long');
  });

  it('gives the audit scope to the operator only', () => {
    expect(scopesFor('operator')).toContain('audit:read');
    expect(scopesFor('funder')).not.toContain('audit:read');
    expect(scopesFor('provider')).toEqual(['organisation:read', 'members:read', 'members:write', 'redemptions:write']);
    expect(scopesFor('funder')).not.toContain('redemptions:write');
  });

  it('keeps the organisation asked for, else puts the operator first, then admin roles, then sorts by name', () => {
    const m = (organisationId: string, organisationKind: Membership['organisationKind'], organisationName: string, role: Membership['role'] = 'member'): Membership => ({
      organisationId,
      organisationKind,
      organisationName,
      role,
    });
    const all = [m('a', 'provider', 'Zèbre'), m('b', 'funder', 'Ville'), m('c', 'funder', 'Département')];
    expect(defaultMembership(all)?.organisationId).toBe('c');
    expect(defaultMembership(all, 'a')?.organisationId).toBe('a');
    expect(defaultMembership(all, 'gone')?.organisationId).toBe('c');
    expect(defaultMembership([...all, m('d', 'distributor', 'Zénith', 'admin')])?.organisationId).toBe('d');
    expect(defaultMembership([...all, m('d', 'distributor', 'Zénith', 'admin'), m('e', 'operator', 'Opérateur')])?.organisationId).toBe('e');
    expect(defaultMembership([])).toBeUndefined();
  });
});
