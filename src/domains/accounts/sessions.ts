import type { AppContext } from '../../app-context.js';
import { addMinutes } from '../../lib/clock.js';
import { hashSecretToken, newSecretToken } from '../../lib/secret-tokens.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { defaultMembership, normaliseEmail, type Membership } from './model.js';
import { verifyPassword } from './passwords.js';
import { findUserByEmail, findUserById, listMemberships } from './repository.js';

/** A signed-in person as every page sees them. */
export interface SessionView {
  sessionId: string;
  user: { id: string; email: string; displayName: string };
  /** The organisation they act for now; undefined when they belong to none (yet). */
  current: Membership | undefined;
  memberships: Membership[];
}

/** Checks the password and opens a session; the returned token goes in the cookie, never in logs. */
export async function signIn(ctx: AppContext, input: { email: string; password: string }): Promise<{ token: string; userId: string }> {
  const email = normaliseEmail(input.email);
  const now = ctx.clock.now();
  const limit = ctx.config.rateLimits.signInPerAccount;
  const windowStart = new Date(now.getTime() - limit.windowMs);
  // Counted for unknown addresses too, so that the answer does not tell who has an account.
  await ctx.db.deleteFrom('sign_in_failures').where('failed_at', '<', windowStart).execute();
  const failures = await ctx.db
    .selectFrom('sign_in_failures')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  if (failures.n >= limit.max) throw new DomainError('too_many_attempts');
  const user = await findUserByEmail(ctx.db, email);
  const valid = await verifyPassword(user?.password_hash, input.password);
  if (!user || !valid) {
    await ctx.db.insertInto('sign_in_failures').values({ email, failed_at: now }).execute();
    throw new DomainError('invalid_credentials');
  }
  await ctx.db.deleteFrom('sign_in_failures').where('email', '=', email).execute();
  return openSession(ctx, user.id);
}

/** Opens a session for a person whose identity was just proven (password, invitation, reset). */
export async function openSession(ctx: AppContext, userId: string, preferredOrganisationId?: string): Promise<{ token: string; userId: string }> {
  const token = newSecretToken();
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const current = defaultMembership(await listMemberships(trx, userId), preferredOrganisationId);
    const session = await trx
      .insertInto('sessions')
      .values({
        token_hash: hashSecretToken(token),
        user_id: userId,
        organisation_id: current?.organisationId ?? null,
        created_at: now,
        expires_at: addMinutes(now, ctx.config.sessionTtlHours * 60),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const actor: Actor = { userId, organisationId: current?.organisationId ?? null, apiTokenId: null };
    await recordAuditEvent(trx, actor, now, { action: 'session.opened', subjectType: 'session', subjectId: session.id });
  });
  return { token, userId };
}

export async function signOut(ctx: AppContext, session: SessionView): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const closed = await trx
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', '=', session.sessionId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!closed) return;
    await recordAuditEvent(trx, actorOf(session), now, { action: 'session.closed', subjectType: 'session', subjectId: session.sessionId });
  });
}

/** The session behind a cookie token, or undefined when unknown, expired or closed. */
export async function loadSession(ctx: AppContext, token: string): Promise<SessionView | undefined> {
  const row = await ctx.db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'organisation_id'])
    .where('token_hash', '=', hashSecretToken(token))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', ctx.clock.now())
    .executeTakeFirst();
  if (!row) return undefined;
  const user = await findUserById(ctx.db, row.user_id);
  if (!user) return undefined;
  const memberships = await listMemberships(ctx.db, user.id);
  return {
    sessionId: row.id,
    user: { id: user.id, email: user.email, displayName: user.display_name },
    // A membership removed since sign-in no longer counts, whatever the session row says.
    current: memberships.find((m) => m.organisationId === row.organisation_id),
    memberships,
  };
}

export async function switchOrganisation(ctx: AppContext, session: SessionView, organisationId: string): Promise<void> {
  const target = session.memberships.find((m) => m.organisationId === organisationId);
  if (!target) throw new DomainError('not_a_member', 'organisationId');
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('sessions').set({ organisation_id: organisationId }).where('id', '=', session.sessionId).execute();
    await recordAuditEvent(trx, { ...actorOf(session), organisationId }, now, {
      action: 'session.organisation_switched',
      subjectType: 'session',
      subjectId: session.sessionId,
      before: { organisationId: session.current?.organisationId ?? null },
      after: { organisationId },
    });
  });
}

export function actorOf(session: SessionView): Actor {
  return { userId: session.user.id, organisationId: session.current?.organisationId ?? null, apiTokenId: null };
}
