import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authenticateApiToken, createApiToken, revokeApiToken } from '../../src/domains/accounts/api-tokens.js';
import { acceptInvitation, describeInvitation, inviteMember } from '../../src/domains/accounts/invitations.js';
import { createOperator, removeMember } from '../../src/domains/accounts/organisations.js';
import { requestPasswordReset, resetPassword } from '../../src/domains/accounts/reset-password.js';
import { loadSession, signIn, signOut, switchOrganisation } from '../../src/domains/accounts/sessions.js';
import type { Actor } from '../../src/domains/actor.js';
import { createTestContext, onPostgres, type TestContext } from '../support/context.js';
import { PASSWORD, createOrganisation, createPerson } from '../support/fixtures.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());
beforeEach(() => {
  t.mailbox.sent.length = 0;
});

const tokenOf = (link: string) => link.split('/').at(-1)!;
const auditActions = async () => (await t.ctx.db.selectFrom('audit_events').select('action').orderBy('id').execute()).map((e) => e.action);

describe(`accounts on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  describe('signing in', () => {
    it('opens a session with the right password only, and says the same for an unknown address', async () => {
      const org = await createOrganisation(t.ctx, 'funder');
      await createPerson(t.ctx, 'claire@ville.fr', [[org.id, 'admin']]);
      await expect(signIn(t.ctx, { email: 'claire@ville.fr', password: 'mauvais mot de passe' })).rejects.toMatchObject({ code: 'invalid_credentials' });
      await expect(signIn(t.ctx, { email: 'personne@ville.fr', password: PASSWORD })).rejects.toMatchObject({ code: 'invalid_credentials' });
      const { token } = await signIn(t.ctx, { email: '  Claire@Ville.FR ', password: PASSWORD });
      const session = await loadSession(t.ctx, token);
      expect(session?.user.email).toBe('claire@ville.fr');
      expect(session?.current).toMatchObject({ organisationId: org.id, role: 'admin' });
    });

    it('keeps the token out of the database: only its hash is stored', async () => {
      await createPerson(t.ctx, 'hash@ville.fr');
      const { token } = await signIn(t.ctx, { email: 'hash@ville.fr', password: PASSWORD });
      const rows = await t.ctx.db.selectFrom('sessions').select('token_hash').execute();
      expect(rows.some((r) => r.token_hash.toString('base64url') === token || r.token_hash.toString('utf8') === token)).toBe(false);
    });

    it('ends a session on sign-out and after its lifetime', async () => {
      await createPerson(t.ctx, 'fin@ville.fr');
      const first = await signIn(t.ctx, { email: 'fin@ville.fr', password: PASSWORD });
      await signOut(t.ctx, (await loadSession(t.ctx, first.token))!);
      expect(await loadSession(t.ctx, first.token)).toBeUndefined();
      const second = await signIn(t.ctx, { email: 'fin@ville.fr', password: PASSWORD });
      t.clock.advanceMinutes(t.ctx.config.sessionTtlHours * 60 + 1);
      expect(await loadSession(t.ctx, second.token)).toBeUndefined();
    });

    it('refuses every attempt on an account after too many failures, even the right password, until the window passes', async () => {
      await createPerson(t.ctx, 'cible@ville.fr');
      for (let i = 0; i < t.ctx.config.rateLimits.signInPerAccount.max; i++) {
        await expect(signIn(t.ctx, { email: 'cible@ville.fr', password: `essai ${i}` })).rejects.toMatchObject({ code: 'invalid_credentials' });
      }
      await expect(signIn(t.ctx, { email: 'Cible@ville.fr', password: PASSWORD })).rejects.toMatchObject({ code: 'too_many_attempts' });
      t.clock.advanceMinutes(t.ctx.config.rateLimits.signInPerAccount.windowMs / 60_000 + 1);
      await expect(signIn(t.ctx, { email: 'cible@ville.fr', password: PASSWORD })).resolves.toBeDefined();
    });

    it('lets a person of several organisations switch, and only between their own', async () => {
      const a = await createOrganisation(t.ctx, 'funder', 'A');
      const b = await createOrganisation(t.ctx, 'distributor', 'B');
      const other = await createOrganisation(t.ctx, 'provider', 'C');
      await createPerson(t.ctx, 'multi@ville.fr', [[a.id, 'member'], [b.id, 'admin']]);
      const { token } = await signIn(t.ctx, { email: 'multi@ville.fr', password: PASSWORD });
      const session = (await loadSession(t.ctx, token))!;
      expect(session.memberships).toHaveLength(2);
      await switchOrganisation(t.ctx, session, b.id);
      expect((await loadSession(t.ctx, token))!.current).toMatchObject({ organisationId: b.id, role: 'admin' });
      await expect(switchOrganisation(t.ctx, session, other.id)).rejects.toMatchObject({ code: 'not_a_member' });
    });
  });

  describe('invitations', () => {
    let org: { id: string };
    let actor: Actor;
    beforeAll(async () => {
      org = await createOrganisation(t.ctx, 'provider', 'Médiathèque');
      const admin = await createPerson(t.ctx, 'admin@mediatheque.fr', [[org.id, 'admin']]);
      actor = { userId: admin.id, organisationId: org.id, apiTokenId: null };
    });

    it('mails a link with which a newcomer creates an account and joins, once', async () => {
      await inviteMember(t.ctx, actor, { organisationId: org.id, email: 'Nouveau@Mediatheque.fr', role: 'member' });
      const token = tokenOf(t.mailbox.lastLinkTo('nouveau@mediatheque.fr'));
      expect(await describeInvitation(t.ctx, token)).toMatchObject({ email: 'nouveau@mediatheque.fr', organisationName: 'Médiathèque', accountExists: false });
      const joined = await acceptInvitation(t.ctx, { token, newAccount: { displayName: 'Nina', password: 'une très bonne phrase' } });
      expect(joined.organisationId).toBe(org.id);
      await expect(signIn(t.ctx, { email: 'nouveau@mediatheque.fr', password: 'une très bonne phrase' })).resolves.toBeDefined();
      await expect(acceptInvitation(t.ctx, { token, newAccount: { displayName: 'Autre', password: 'une autre phrase longue' } })).rejects.toMatchObject({ code: 'invitation_used' });
    });

    it('refuses an expired link, and writes nothing for a weak password', async () => {
      await inviteMember(t.ctx, actor, { organisationId: org.id, email: 'lent@mediatheque.fr', role: 'member' });
      const token = tokenOf(t.mailbox.lastLinkTo('lent@mediatheque.fr'));
      await expect(acceptInvitation(t.ctx, { token, newAccount: { displayName: 'Lent', password: 'court' } })).rejects.toMatchObject({ code: 'password_too_weak' });
      expect(await t.ctx.db.selectFrom('users').select('id').where('email', '=', 'lent@mediatheque.fr').execute()).toEqual([]);
      t.clock.advanceMinutes(t.ctx.config.invitationTtlHours * 60 + 1);
      await expect(acceptInvitation(t.ctx, { token, newAccount: { displayName: 'Lent', password: 'une phrase assez longue' } })).rejects.toMatchObject({ code: 'invitation_expired' });
    });

    it('asks someone who has an account to be signed in as the invited address', async () => {
      const existing = await createPerson(t.ctx, 'deja@ailleurs.fr');
      const stranger = await createPerson(t.ctx, 'intrus@ailleurs.fr');
      await inviteMember(t.ctx, actor, { organisationId: org.id, email: 'deja@ailleurs.fr', role: 'admin' });
      const token = tokenOf(t.mailbox.lastLinkTo('deja@ailleurs.fr'));
      expect((await describeInvitation(t.ctx, token)).accountExists).toBe(true);
      await expect(acceptInvitation(t.ctx, { token })).rejects.toMatchObject({ code: 'invitation_for_another_account' });
      await expect(acceptInvitation(t.ctx, { token, signedInUserId: stranger.id })).rejects.toMatchObject({ code: 'invitation_for_another_account' });
      await acceptInvitation(t.ctx, { token, signedInUserId: existing.id });
      await expect(inviteMember(t.ctx, actor, { organisationId: org.id, email: 'deja@ailleurs.fr', role: 'member' })).rejects.toMatchObject({ code: 'already_member' });
    });

    it('lets exactly one of many concurrent acceptances of one link succeed', async () => {
      await inviteMember(t.ctx, actor, { organisationId: org.id, email: 'course@mediatheque.fr', role: 'member' });
      const token = tokenOf(t.mailbox.lastLinkTo('course@mediatheque.fr'));
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => acceptInvitation(t.ctx, { token, newAccount: { displayName: `Course ${i}`, password: 'une phrase assez longue' } })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const members = await t.ctx.db.selectFrom('memberships as m').innerJoin('users as u', 'u.id', 'm.user_id').select('u.email').where('u.email', '=', 'course@mediatheque.fr').execute();
      expect(members).toHaveLength(1);
    });

    it('keeps an admin when two admins remove each other at the same time', async () => {
      for (let round = 0; round < 5; round++) {
        const org = await createOrganisation(t.ctx, 'funder', `Duel ${round}`);
        const a = await createPerson(t.ctx, `a${round}@duel.fr`, [[org.id, 'admin']]);
        const b = await createPerson(t.ctx, `b${round}@duel.fr`, [[org.id, 'admin']]);
        const results = await Promise.allSettled([
          removeMember(t.ctx, { userId: a.id, organisationId: org.id, apiTokenId: null }, { organisationId: org.id, userId: b.id }),
          removeMember(t.ctx, { userId: b.id, organisationId: org.id, apiTokenId: null }, { organisationId: org.id, userId: a.id }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const admins = await t.ctx.db.selectFrom('memberships').select('user_id').where('organisation_id', '=', org.id).where('role', '=', 'admin').execute();
        expect(admins).toHaveLength(1);
      }
    });

    it('keeps at least one admin in an organisation', async () => {
      const solo = await createOrganisation(t.ctx, 'funder', 'Solo');
      const admin = await createPerson(t.ctx, 'seul@solo.fr', [[solo.id, 'admin']]);
      const member = await createPerson(t.ctx, 'membre@solo.fr', [[solo.id, 'member']]);
      const soloActor = { userId: admin.id, organisationId: solo.id, apiTokenId: null };
      await expect(removeMember(t.ctx, soloActor, { organisationId: solo.id, userId: admin.id })).rejects.toMatchObject({ code: 'last_admin' });
      await removeMember(t.ctx, soloActor, { organisationId: solo.id, userId: member.id });
      await expect(removeMember(t.ctx, soloActor, { organisationId: solo.id, userId: member.id })).rejects.toMatchObject({ code: 'not_a_member' });
    });
  });

  describe('password reset', () => {
    it('sends nothing for an unknown address', async () => {
      await requestPasswordReset(t.ctx, { email: 'inconnu@nulle-part.fr' });
      expect(t.mailbox.sent).toEqual([]);
    });

    it('changes the password once with the link, and closes every open session', async () => {
      await createPerson(t.ctx, 'oubli@ville.fr');
      const before = await signIn(t.ctx, { email: 'oubli@ville.fr', password: PASSWORD });
      await requestPasswordReset(t.ctx, { email: 'Oubli@ville.fr' });
      const token = tokenOf(t.mailbox.lastLinkTo('oubli@ville.fr'));
      await expect(resetPassword(t.ctx, { token, password: 'trop court' })).rejects.toMatchObject({ code: 'password_too_weak', field: 'password' });
      await resetPassword(t.ctx, { token, password: 'ma nouvelle phrase secrète' });
      expect(await loadSession(t.ctx, before.token)).toBeUndefined();
      await expect(signIn(t.ctx, { email: 'oubli@ville.fr', password: PASSWORD })).rejects.toMatchObject({ code: 'invalid_credentials' });
      await expect(signIn(t.ctx, { email: 'oubli@ville.fr', password: 'ma nouvelle phrase secrète' })).resolves.toBeDefined();
      await expect(resetPassword(t.ctx, { token, password: 'encore une autre phrase' })).rejects.toMatchObject({ code: 'reset_link_used' });
    });

    it('refuses an expired or unknown link', async () => {
      await createPerson(t.ctx, 'tard@ville.fr');
      await requestPasswordReset(t.ctx, { email: 'tard@ville.fr' });
      const token = tokenOf(t.mailbox.lastLinkTo('tard@ville.fr'));
      t.clock.advanceMinutes(t.ctx.config.passwordResetTtlMinutes + 1);
      await expect(resetPassword(t.ctx, { token, password: 'une phrase assez longue' })).rejects.toMatchObject({ code: 'reset_link_expired' });
      await expect(resetPassword(t.ctx, { token: 'x'.repeat(43), password: 'une phrase assez longue' })).rejects.toMatchObject({ code: 'reset_link_unknown' });
    });
  });

  describe('API tokens', () => {
    it('authenticates with the token shown once, stores only a hash, and stops at revocation', async () => {
      const org = await createOrganisation(t.ctx, 'funder', 'Jetons');
      const actor = { userId: null, organisationId: org.id, apiTokenId: null };
      const { token, tokenId } = await createApiToken(t.ctx, actor, { organisationId: org.id, organisationKind: 'funder', name: 'Compta', scopes: ['organisation:read'] });
      expect(await authenticateApiToken(t.ctx, token)).toMatchObject({ organisationId: org.id, scopes: ['organisation:read'] });
      expect(await authenticateApiToken(t.ctx, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
      const stored = JSON.stringify(await t.ctx.db.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).execute());
      expect(stored).not.toContain(token.slice('pn_'.length + 12 + 1));
      await expect(createApiToken(t.ctx, actor, { organisationId: org.id, organisationKind: 'funder', name: 'Audit', scopes: ['audit:read'] })).rejects.toMatchObject({ code: 'scope_not_allowed' });
      const other = await createOrganisation(t.ctx, 'funder', 'Autre');
      await expect(revokeApiToken(t.ctx, actor, { organisationId: other.id, tokenId })).rejects.toMatchObject({ code: 'api_token_unknown' });
      await revokeApiToken(t.ctx, actor, { organisationId: org.id, tokenId });
      expect(await authenticateApiToken(t.ctx, token)).toBeUndefined();
    });
  });

  describe('operators and the journal', () => {
    it('creates the operator organisation once, and records every change without secrets', async () => {
      const first = await createOperator(t.ctx, { email: 'ops@passnum.fr', displayName: 'Ops', password: 'une phrase assez longue' });
      const again = await createOperator(t.ctx, { email: 'ops2@passnum.fr', displayName: 'Ops 2', password: 'une phrase assez longue' });
      expect(again.organisationId).toBe(first.organisationId);
      const repeated = await createOperator(t.ctx, { email: 'ops@passnum.fr', displayName: 'Ops', password: 'une phrase assez longue' });
      expect(repeated.created).toBe(false);
      const operatorEvents = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'operator.created').execute();
      expect(operatorEvents).toHaveLength(2);
      const actions = await auditActions();
      for (const action of ['session.opened', 'session.closed', 'session.organisation_switched', 'user.created', 'invitation.created', 'membership.created', 'membership.removed', 'password_reset.requested', 'user.password_reset', 'api_token.created', 'api_token.revoked', 'operator.created']) {
        expect(actions).toContain(action);
      }
      const journal = JSON.stringify(await t.ctx.db.selectFrom('audit_events').select(['before', 'after']).execute());
      expect(journal).not.toMatch(/argon2|password_hash|token_hash|secret/);
    });
  });
});
