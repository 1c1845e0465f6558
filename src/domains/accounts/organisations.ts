import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { deliverInBackground } from '../../mail/deliver.js';
import { createInvitation } from './invitations.js';
import { normaliseEmail, passwordProblem, type MemberRole, type OrganisationKind } from './model.js';
import { hashPassword } from './passwords.js';
import {
  countAdmins,
  findMembership,
  findUserByEmail,
  insertMembership,
  insertOrganisation,
  insertUser,
  listOrganisationMembers,
} from './repository.js';

/**
 * The operator creates an organisation and invites its first admin, who then invites the others.
 * (Providers will also sign themselves up: see the places domain.)
 */
export async function createOrganisation(
  ctx: AppContext,
  actor: Actor,
  input: { kind: OrganisationKind; name: string; adminEmail: string },
): Promise<{ organisationId: string }> {
  // The platform has one operator, made from the command line (create-operator), never from a page.
  if (input.kind === 'operator') throw new DomainError('organisation_kind_not_allowed', 'kind');
  const now = ctx.clock.now();
  const { organisationId, mail } = await ctx.db.transaction().execute(async (trx) => {
    const created = await insertOrganisation(trx, { kind: input.kind, name: input.name.trim() });
    await recordAuditEvent(trx, actor, now, {
      action: 'organisation.created',
      subjectType: 'organisation',
      subjectId: created.id,
      after: { kind: created.kind, name: created.name },
    });
    const invitation = await createInvitation({ ...ctx, db: trx }, actor, { organisationId: created.id, email: input.adminEmail, role: 'admin' });
    return { organisationId: created.id, mail: invitation.mail };
  });
  deliverInBackground(ctx, mail);
  return { organisationId };
}

export function listOrganisations(ctx: AppContext) {
  return ctx.db
    .selectFrom('organisations as o')
    .leftJoin('memberships as m', 'm.organisation_id', 'o.id')
    .select((eb) => ['o.id', 'o.kind', 'o.name', 'o.created_at as createdAt', eb.fn.count<number>('m.user_id').as('memberCount')])
    .groupBy('o.id')
    .orderBy('o.kind')
    .orderBy('o.name')
    .execute();
}

export function listMembers(ctx: AppContext, organisationId: string) {
  return listOrganisationMembers(ctx.db, organisationId);
}

/** Removes someone from an organisation; an organisation always keeps at least one admin. */
export async function removeMember(ctx: AppContext, actor: Actor, input: { organisationId: string; userId: string }): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    // Serialises membership changes of one organisation: two admins removing each other at once
    // must not both see "two admins left".
    await trx.selectFrom('organisations').select('id').where('id', '=', input.organisationId).forUpdate().execute();
    const membership = await findMembership(trx, input.userId, input.organisationId);
    if (!membership) throw new DomainError('not_a_member');
    if (membership.role === 'admin' && (await countAdmins(trx, input.organisationId)) <= 1) throw new DomainError('last_admin');
    await trx
      .deleteFrom('memberships')
      .where('user_id', '=', input.userId)
      .where('organisation_id', '=', input.organisationId)
      .execute();
    await recordAuditEvent(trx, actor, now, {
      action: 'membership.removed',
      subjectType: 'membership',
      subjectId: `${input.organisationId}:${input.userId}`,
      before: { role: membership.role },
    });
  });
}

/**
 * `npx passnum create-operator`: a platform administrator, in the operator organisation (created
 * on first use). Idempotent on the e-mail: an existing person is added to the operator as admin.
 */
export async function createOperator(
  ctx: AppContext,
  input: { email: string; displayName: string; password: string },
): Promise<{ userId: string; organisationId: string; created: boolean }> {
  const problem = passwordProblem(input.password);
  if (problem) throw new DomainError(problem, 'password');
  const email = normaliseEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const operator =
      (await trx.selectFrom('organisations').select(['id']).where('kind', '=', 'operator').orderBy('created_at').executeTakeFirst()) ??
      (await insertOrganisation(trx, { kind: 'operator', name: 'Opérateur passnum' }));
    const existing = await findUserByEmail(trx, email);
    const user = existing ?? (await insertUser(trx, { email, displayName: input.displayName, passwordHash }));
    const alreadyMember = Boolean(await findMembership(trx, user.id, operator.id));
    if (alreadyMember) return { userId: user.id, organisationId: operator.id, created: false };
    await insertMembership(trx, { userId: user.id, organisationId: operator.id, role: 'admin' satisfies MemberRole });
    await recordAuditEvent(trx, { userId: null, organisationId: null, apiTokenId: null }, now, {
      action: 'operator.created',
      subjectType: 'user',
      subjectId: user.id,
      after: { email, organisationId: operator.id, newUser: !existing },
    });
    return { userId: user.id, organisationId: operator.id, created: !existing };
  });
}
