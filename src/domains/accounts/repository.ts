import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Membership } from './model.js';

/** SQL only: the use cases own the transactions and pass them in as `db`. */

export function findUserByEmail(db: Kysely<DB>, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findUserById(db: Kysely<DB>, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findOrganisation(db: Kysely<DB>, id: string) {
  return db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listMemberships(db: Kysely<DB>, userId: string): Promise<Membership[]> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organisations as o', 'o.id', 'm.organisation_id')
    .select([
      'm.organisation_id as organisationId',
      'o.name as organisationName',
      'o.kind as organisationKind',
      'm.role',
    ])
    .where('m.user_id', '=', userId)
    .orderBy('o.name')
    .execute();
}

export function findMembership(db: Kysely<DB>, userId: string, organisationId: string) {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('user_id', '=', userId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
}

export function insertMembership(db: Kysely<DB>, values: { userId: string; organisationId: string; role: 'admin' | 'member' }) {
  return db
    .insertInto('memberships')
    .values({ user_id: values.userId, organisation_id: values.organisationId, role: values.role })
    .execute();
}

export function insertUser(db: Kysely<DB>, values: { email: string; displayName: string; passwordHash: string | null }) {
  return db
    .insertInto('users')
    .values({ email: values.email, display_name: values.displayName, password_hash: values.passwordHash })
    .returning(['id', 'email', 'display_name'])
    .executeTakeFirstOrThrow();
}

export function insertOrganisation(db: Kysely<DB>, values: { kind: DB['organisations']['kind']; name: string }) {
  return db.insertInto('organisations').values(values).returning(['id', 'kind', 'name']).executeTakeFirstOrThrow();
}

export function listOrganisationMembers(db: Kysely<DB>, organisationId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id as userId', 'u.email', 'u.display_name as displayName', 'm.role', 'm.created_at as since'])
    .where('m.organisation_id', '=', organisationId)
    .orderBy('u.display_name')
    .execute();
}

export function countAdmins(db: Kysely<DB>, organisationId: string) {
  return db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organisation_id', '=', organisationId)
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow()
    .then((row) => row.count);
}
