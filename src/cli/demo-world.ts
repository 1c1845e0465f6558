import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../app-context.js';
import { importPlaces } from '../domains/places/import-places.js';
import { hashPassword } from '../domains/accounts/passwords.js';
import { insertMembership, insertOrganisation, insertUser } from '../domains/accounts/repository.js';
import { SYSTEM_ACTOR } from '../domains/actor.js';
import { recordAuditEvent } from '../domains/audit/record-audit-event.js';
import type { MemberRole, OrganisationKind } from '../db/schema.js';

/** Known to everyone who reads the README: the demo world is for trying passnum, never for real data. */
export const DEMO_PASSWORD = 'passnum-demo-2026';

export interface DemoLogin {
  email: string;
  role: string;
}

const ORGANISATIONS: { key: string; kind: OrganisationKind; name: string }[] = [
  { key: 'operator', kind: 'operator', name: 'Opérateur passnum (démo)' },
  { key: 'funder', kind: 'funder', name: 'Département de la Gironde (démo)' },
  { key: 'distributor', kind: 'distributor', name: 'CCAS de Bordeaux (démo)' },
  { key: 'provider', kind: 'provider', name: 'Association Les Clés du numérique (démo)' },
];

const PEOPLE: { email: string; name: string; role: string; memberships: [string, MemberRole][] }[] = [
  { email: 'operateur@demo.passnum.fr', name: 'Olivia Opératrice', role: 'opérateur (admin)', memberships: [['operator', 'admin']] },
  { email: 'financeur@demo.passnum.fr', name: 'Fabrice Financeur', role: 'commanditaire (admin)', memberships: [['funder', 'admin']] },
  {
    email: 'distributeur@demo.passnum.fr',
    name: 'Dina Distributrice',
    role: 'distributeur (admin), aussi membre du commanditaire',
    memberships: [['distributor', 'admin'], ['funder', 'member']],
  },
  { email: 'lieu@demo.passnum.fr', name: 'Lucas Lieu', role: 'lieu de médiation (admin)', memberships: [['provider', 'admin']] },
  { email: 'mediatrice@demo.passnum.fr', name: 'Maya Médiatrice', role: 'lieu de médiation (membre)', memberships: [['provider', 'member']] },
];

export async function isDatabaseEmpty(ctx: AppContext): Promise<boolean> {
  const row = await ctx.db.selectFrom('organisations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return row.n === 0;
}

/**
 * Real places of digital mediation, from regional hubs' files in the national standard (their
 * SOURCE note is beside them). The tests use the same files.
 */
const REAL_PLACES_DIR = fileURLToPath(new URL('../../test/data/lieux-mediation-numerique/', import.meta.url));

/** Imports the real places as drafts that providers can claim; returns how many were imported. */
async function importRealPlaces(ctx: AppContext): Promise<number> {
  let imported = 0;
  for (const file of (await readdir(REAL_PLACES_DIR)).filter((f) => f.endsWith('.json')).sort()) {
    const report = await importPlaces(ctx, SYSTEM_ACTOR, { fileName: file, content: await readFile(path.join(REAL_PLACES_DIR, file)) });
    imported += report.imported;
  }
  return imported;
}

/** Loads the demo world: one organisation of each kind, one account per role, real imported places. */
export async function loadDemoWorld(ctx: AppContext): Promise<DemoLogin[]> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await ctx.db.transaction().execute(async (trx) => {
    const ids = new Map<string, string>();
    for (const org of ORGANISATIONS) ids.set(org.key, (await insertOrganisation(trx, { kind: org.kind, name: org.name })).id);
    for (const person of PEOPLE) {
      const user = await insertUser(trx, { email: person.email, displayName: person.name, passwordHash });
      for (const [key, role] of person.memberships) await insertMembership(trx, { userId: user.id, organisationId: ids.get(key)!, role });
    }
    await recordAuditEvent(trx, SYSTEM_ACTOR, ctx.clock.now(), {
      action: 'demo.loaded',
      subjectType: 'platform',
      subjectId: 'demo',
      after: { organisations: ORGANISATIONS.length, people: PEOPLE.length },
    });
  });
  await importRealPlaces(ctx);
  return PEOPLE.map((p) => ({ email: p.email, role: p.role }));
}

export function formatDemoLogins(logins: DemoLogin[], baseUrl: string): string {
  return [
    '',
    `Monde de démonstration chargé. Connectez-vous sur ${baseUrl}/connexion avec le mot de passe « ${DEMO_PASSWORD} » :`,
    ...logins.map((l) => `  ${l.email.padEnd(32)} ${l.role}`),
    '',
  ].join('\n');
}
