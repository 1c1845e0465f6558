import type { AppContext } from '../../src/app-context.js';
import type { MemberRole, OrganisationKind } from '../../src/db/schema.js';
import { hashPassword } from '../../src/domains/accounts/passwords.js';
import { insertMembership, insertOrganisation, insertUser } from '../../src/domains/accounts/repository.js';

export const PASSWORD = 'une phrase de passe assez longue';
let passwordHash: Promise<string> | undefined;

export async function createOrganisation(ctx: AppContext, kind: OrganisationKind, name = `${kind} ${Math.random().toString(36).slice(2, 7)}`) {
  return insertOrganisation(ctx.db, { kind, name });
}

export async function createPerson(ctx: AppContext, email: string, memberships: [organisationId: string, role: MemberRole][] = []) {
  passwordHash ??= hashPassword(PASSWORD);
  const user = await insertUser(ctx.db, { email, displayName: email.split('@')[0]!, passwordHash: await passwordHash });
  for (const [organisationId, role] of memberships) await insertMembership(ctx.db, { userId: user.id, organisationId, role });
  return user;
}

/** One organisation of each kind with an admin and a member each: the usual cast of a test. */
export async function createWorld(ctx: AppContext) {
  const operator = await createOrganisation(ctx, 'operator', 'Opérateur');
  const funder = await createOrganisation(ctx, 'funder', 'Ville de Test');
  const otherFunder = await createOrganisation(ctx, 'funder', 'Autre ville');
  const provider = await createOrganisation(ctx, 'provider', 'Lieu de test');
  const people = {
    operator: await createPerson(ctx, 'operateur@test.fr', [[operator.id, 'admin']]),
    operatorMember: await createPerson(ctx, 'agent@operateur.fr', [[operator.id, 'member']]),
    funderAdmin: await createPerson(ctx, 'admin@ville.fr', [[funder.id, 'admin']]),
    funderMember: await createPerson(ctx, 'membre@ville.fr', [[funder.id, 'member']]),
    otherAdmin: await createPerson(ctx, 'admin@autre.fr', [[otherFunder.id, 'admin']]),
    providerAdmin: await createPerson(ctx, 'admin@lieu.fr', [[provider.id, 'admin']]),
  };
  return { organisations: { operator, funder, otherFunder, provider }, people };
}
