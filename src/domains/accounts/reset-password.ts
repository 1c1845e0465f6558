import type { AppContext } from '../../app-context.js';
import { addMinutes } from '../../lib/clock.js';
import { hashSecretToken, newSecretToken } from '../../lib/secret-tokens.js';
import { deliverInBackground } from '../../mail/deliver.js';
import { SYSTEM_ACTOR } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { passwordResetMail } from './mails.js';
import { normaliseEmail, passwordProblem } from './model.js';
import { hashPassword } from './passwords.js';
import { findUserByEmail } from './repository.js';

/**
 * Sends a single-use reset link when the address has an account. Says nothing either way (the
 * caller shows the same message), so the form does not tell who has an account.
 */
export async function requestPasswordReset(ctx: AppContext, input: { email: string }): Promise<void> {
  const user = await findUserByEmail(ctx.db, normaliseEmail(input.email));
  if (!user) return;
  const token = newSecretToken();
  const now = ctx.clock.now();
  const expiresAt = addMinutes(now, ctx.config.passwordResetTtlMinutes);
  await ctx.db.transaction().execute(async (trx) => {
    const reset = await trx
      .insertInto('password_resets')
      .values({ user_id: user.id, token_hash: hashSecretToken(token), created_at: now, expires_at: expiresAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Anyone may ask for a reset of any address: the actor is unknown, not the account's owner.
    await recordAuditEvent(trx, SYSTEM_ACTOR, now, {
      action: 'password_reset.requested',
      subjectType: 'user',
      subjectId: user.id,
      after: { resetId: reset.id, expiresAt: expiresAt.toISOString() },
    });
  });
  deliverInBackground(ctx, passwordResetMail({ to: user.email, link: `${ctx.config.publicUrl}/mot-de-passe/${token}`, expiresAt }));
}

/** Checks a reset link before showing the form. */
export async function checkPasswordResetLink(ctx: AppContext, token: string): Promise<void> {
  await usableReset(ctx, ctx.db, token);
}

/**
 * Sets the new password, spends the link and closes every open session of the person (whoever
 * had the old password is out). Returns the user id, so that the caller can open a fresh session.
 */
export async function resetPassword(ctx: AppContext, input: { token: string; password: string }): Promise<string> {
  const problem = passwordProblem(input.password);
  if (problem) throw new DomainError(problem, 'password');
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const reset = await usableReset(ctx, trx, input.token);
    // Conditional update: of two concurrent submissions of one link, one wins.
    const spent = await trx
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('id', '=', reset.id)
      .where('used_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!spent) throw new DomainError('reset_link_used');
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', reset.user_id).execute();
    await trx.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', reset.user_id).where('revoked_at', 'is', null).execute();
    // Any other pending link of the person is spent too: one reset closes the episode.
    await trx.updateTable('password_resets').set({ used_at: now }).where('user_id', '=', reset.user_id).where('used_at', 'is', null).execute();
    await recordAuditEvent(trx, { userId: reset.user_id, organisationId: null, apiTokenId: null }, now, {
      action: 'user.password_reset',
      subjectType: 'user',
      subjectId: reset.user_id,
      after: { resetId: reset.id },
    });
    return reset.user_id;
  });
}

async function usableReset(ctx: AppContext, db: AppContext['db'], token: string) {
  const reset = await db
    .selectFrom('password_resets')
    .select(['id', 'user_id', 'expires_at', 'used_at'])
    .where('token_hash', '=', hashSecretToken(token))
    .executeTakeFirst();
  if (!reset) throw new DomainError('reset_link_unknown');
  if (reset.used_at) throw new DomainError('reset_link_used');
  if (reset.expires_at <= ctx.clock.now()) throw new DomainError('reset_link_expired');
  return reset;
}
