import type { AppContext } from '../../app-context.js';
import { addMinutes } from '../../lib/clock.js';
import { hashSecretToken, newSecretToken } from '../../lib/secret-tokens.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { deliverInBackground } from '../../mail/deliver.js';
import type { MailMessage } from '../../mail/mailer.js';
import { invitationMail } from './mails.js';
import { normaliseEmail, passwordProblem, type MemberRole } from './model.js';
import { hashPassword } from './passwords.js';
import { findMembership, findOrganisation, findUserByEmail, findUserById, insertMembership, insertUser } from './repository.js';

/**
 * Invites someone into an organisation by e-mail. The caller has checked that the actor may
 * (an admin of that organisation, or the operator). The link expires after
 * PASSNUM_INVITATION_TTL_HOURS and serves once.
 */
export async function inviteMember(
  ctx: AppContext,
  actor: Actor,
  input: { organisationId: string; email: string; role: MemberRole },
): Promise<{ invitationId: string }> {
  const invitation = await ctx.db.transaction().execute((trx) => createInvitation({ ...ctx, db: trx }, actor, input));
  deliverInBackground(ctx, invitation.mail);
  return { invitationId: invitation.invitationId };
}

/**
 * The invitation row and its audit event, in the caller's transaction (ctx.db); the caller sends
 * the returned mail once the transaction has committed.
 */
export async function createInvitation(
  ctx: AppContext,
  actor: Actor,
  input: { organisationId: string; email: string; role: MemberRole },
): Promise<{ invitationId: string; mail: MailMessage }> {
  const email = normaliseEmail(input.email);
  const token = newSecretToken();
  const now = ctx.clock.now();
  const expiresAt = addMinutes(now, ctx.config.invitationTtlHours * 60);
  const organisation = await findOrganisation(ctx.db, input.organisationId);
  if (!organisation) throw new DomainError('organisation_unknown');
  const existing = await findUserByEmail(ctx.db, email);
  if (existing && (await findMembership(ctx.db, existing.id, organisation.id))) throw new DomainError('already_member', 'email');
  const invitation = await ctx.db
    .insertInto('invitations')
    .values({
      organisation_id: organisation.id,
      email,
      role: input.role,
      token_hash: hashSecretToken(token),
      invited_by: actor.userId,
      created_at: now,
      expires_at: expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAuditEvent(ctx.db, actor, now, {
    action: 'invitation.created',
    subjectType: 'invitation',
    subjectId: invitation.id,
    after: { organisationId: organisation.id, email, role: input.role, expiresAt: expiresAt.toISOString() },
  });
  const inviter = actor.userId ? await findUserById(ctx.db, actor.userId) : undefined;
  return {
    invitationId: invitation.id,
    mail: invitationMail({
      to: email,
      organisationName: organisation.name,
      inviterName: inviter?.display_name ?? null,
      link: `${ctx.config.publicUrl}/invitations/${token}`,
      expiresAt,
    }),
  };
}

export interface InvitationView {
  email: string;
  role: MemberRole;
  organisationName: string;
  /** Whether the invited address already has an account (then they sign in to accept). */
  accountExists: boolean;
}

export async function describeInvitation(ctx: AppContext, token: string): Promise<InvitationView> {
  const invitation = await usableInvitation(ctx, ctx.db, token);
  const organisation = await findOrganisation(ctx.db, invitation.organisation_id);
  const user = await findUserByEmail(ctx.db, invitation.email);
  return {
    email: invitation.email,
    role: invitation.role,
    organisationName: organisation!.name,
    accountExists: Boolean(user?.password_hash),
  };
}

/**
 * Accepts an invitation. A newcomer chooses a name and a password, which creates their account;
 * someone who already has an account must be signed in as the invited address. Returns the user
 * and the organisation joined, so that the caller can open a session acting for it.
 */
export async function acceptInvitation(
  ctx: AppContext,
  input: { token: string; signedInUserId?: string | undefined; newAccount?: { displayName: string; password: string } | undefined },
): Promise<{ userId: string; organisationId: string }> {
  const now = ctx.clock.now();
  if (input.newAccount) {
    const problem = passwordProblem(input.newAccount.password);
    if (problem) throw new DomainError(problem, 'password');
  }
  const passwordHash = input.newAccount ? await hashPassword(input.newAccount.password) : null;
  return ctx.db.transaction().execute(async (trx) => {
    const invitation = await usableInvitation(ctx, trx, input.token);
    const user = { id: await acceptingUserId(trx, invitation.email, input, passwordHash, now) };
    const accepted = await trx
      .updateTable('invitations')
      .set({ accepted_at: now, accepted_by: user.id })
      .where('id', '=', invitation.id)
      .where('accepted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!accepted) throw new DomainError('invitation_used');
    const actor: Actor = { userId: user.id, organisationId: invitation.organisation_id, apiTokenId: null };
    if (await findMembership(trx, user.id, invitation.organisation_id)) throw new DomainError('already_member');
    await insertMembership(trx, { userId: user.id, organisationId: invitation.organisation_id, role: invitation.role });
    await recordAuditEvent(trx, actor, now, {
      action: 'membership.created',
      subjectType: 'membership',
      subjectId: `${invitation.organisation_id}:${user.id}`,
      after: { organisationId: invitation.organisation_id, userId: user.id, role: invitation.role, invitationId: invitation.id },
    });
    return { userId: user.id, organisationId: invitation.organisation_id };
  });
}

/**
 * Who accepts: someone with an account must be signed in as the invited address; a newcomer
 * (no account, or an account whose password was never chosen) gets one with the name and
 * password given.
 */
async function acceptingUserId(
  trx: AppContext['db'],
  email: string,
  input: { signedInUserId?: string | undefined; newAccount?: { displayName: string } | undefined },
  passwordHash: string | null,
  now: Date,
): Promise<string> {
  const existing = await findUserByEmail(trx, email);
  if (existing?.password_hash) {
    if (existing.id !== input.signedInUserId) throw new DomainError('invitation_for_another_account');
    return existing.id;
  }
  if (input.signedInUserId) throw new DomainError('invitation_for_another_account');
  if (!input.newAccount || !passwordHash) throw new DomainError('password_too_weak', 'password');
  const displayName = input.newAccount.displayName;
  const userId = existing
    ? (await trx.updateTable('users').set({ display_name: displayName, password_hash: passwordHash }).where('id', '=', existing.id).returning('id').executeTakeFirstOrThrow()).id
    : (await insertUser(trx, { email, displayName, passwordHash })).id;
  await recordAuditEvent(trx, { userId, organisationId: null, apiTokenId: null }, now, {
    action: existing ? 'user.password_set' : 'user.created',
    subjectType: 'user',
    subjectId: userId,
    after: { email, displayName },
  });
  return userId;
}

async function usableInvitation(ctx: AppContext, db: AppContext['db'], token: string) {
  const invitation = await db
    .selectFrom('invitations')
    .selectAll()
    .where('token_hash', '=', hashSecretToken(token))
    .executeTakeFirst();
  if (!invitation) throw new DomainError('invitation_unknown');
  if (invitation.accepted_at) throw new DomainError('invitation_used');
  if (invitation.expires_at <= ctx.clock.now()) throw new DomainError('invitation_expired');
  return invitation;
}

export function listPendingInvitations(ctx: AppContext, organisationId: string) {
  return ctx.db
    .selectFrom('invitations')
    .select(['id', 'email', 'role', 'created_at as createdAt', 'expires_at as expiresAt'])
    .where('organisation_id', '=', organisationId)
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', ctx.clock.now())
    .orderBy('created_at', 'desc')
    .execute();
}
