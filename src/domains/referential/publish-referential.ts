import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { HELP_KINDS, STANDARD_SERVICES, isWellFormedServiceCode, type Referential, type ReferentialLevel } from './model.js';
import { REFERENTIAL_V1 } from './referential-v1.js';

const PUBLICATION_LOCK_KEY = 4_242_002;

/** What the operator submits to publish a version (a JSON file: `npx passnum publish-referential`). */
export const referentialInput = z.strictObject({
  title: z.string().trim().min(1).max(200),
  notes: z.string().trim().max(2000).optional(),
  services: z
    .array(
      z.strictObject({
        code: z.string(),
        level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
        label: z.string().trim().min(1).max(200),
        description: z.string().trim().min(1).max(2000),
        standardServices: z.array(z.enum(STANDARD_SERVICES)).min(1),
        helpKind: z.enum(HELP_KINDS.map((k) => k.code) as [string, ...string[]]),
        doingForPerson: z.boolean(),
      }),
    )
    .min(1),
});
export type ReferentialInput = z.infer<typeof referentialInput>;

/**
 * Publishes a new version of the referential: the next number, frozen once written. A code keeps
 * its level across versions (statistics and catalogues refer to codes); a service can be dropped
 * from a version, never given to another meaning at another level.
 */
export async function publishReferential(ctx: AppContext, actor: Actor, input: ReferentialInput & { publishedOn?: string }): Promise<number> {
  const codes = new Set<string>();
  for (const service of input.services) {
    if (!isWellFormedServiceCode(service.code, service.level as ReferentialLevel)) throw new DomainError('referential_invalid', `services.${service.code}`);
    if (codes.has(service.code)) throw new DomainError('referential_invalid', `services.${service.code}`);
    codes.add(service.code);
  }
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    // Serialises publications: two at once must not both take the same number.
    await sql`select pg_advisory_xact_lock(${PUBLICATION_LOCK_KEY})`.execute(trx);
    const last = await trx.selectFrom('referential_versions').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    const version = (last?.v ?? 0) + 1;
    await trx
      .insertInto('referential_versions')
      .values({
        version,
        title: input.title,
        notes: input.notes ?? null,
        published_on: input.publishedOn ?? now.toISOString().slice(0, 10),
        published_at: now,
        published_by: actor.userId,
      })
      .execute();
    await trx
      .insertInto('referential_services')
      .values(
        input.services.map((service, position) => ({
          version,
          code: service.code,
          level: service.level,
          label: service.label,
          description: service.description,
          standard_services: [...service.standardServices],
          help_kind: service.helpKind as (typeof HELP_KINDS)[number]['code'],
          doing_for_person: service.doingForPerson,
          position,
        })),
      )
      .execute();
    await recordAuditEvent(trx, actor, now, {
      action: 'referential.published',
      subjectType: 'referential_version',
      subjectId: String(version),
      after: { title: input.title, services: input.services.length },
    });
    return version;
  });
}

/** On a new database: publishes version 1, the one written from the seeds. Does nothing after. */
export async function ensureReferentialPublished(ctx: AppContext, actor: Actor): Promise<void> {
  const any = await ctx.db.selectFrom('referential_versions').select('version').limit(1).executeTakeFirst();
  if (any) return;
  await publishReferential(ctx, actor, { ...REFERENTIAL_V1, services: REFERENTIAL_V1.services.map((s) => ({ ...s, standardServices: [...s.standardServices] })) });
}

export async function listReferentialVersions(db: Kysely<DB>) {
  return db.selectFrom('referential_versions').select(['version', 'title', 'published_on as publishedOn']).orderBy('version', 'desc').execute();
}

/** A published version (the latest when none is given), or undefined. */
export async function loadReferential(db: Kysely<DB>, version?: number): Promise<(Referential & { notes: string | null }) | undefined> {
  let query = db.selectFrom('referential_versions').selectAll();
  query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
  const head = await query.executeTakeFirst();
  if (!head) return undefined;
  const services = await db.selectFrom('referential_services').selectAll().where('version', '=', head.version).orderBy('position').execute();
  return {
    version: head.version,
    title: head.title,
    publishedOn: head.published_on,
    notes: head.notes,
    services: services.map((s) => ({
      code: s.code,
      level: s.level as ReferentialLevel,
      label: s.label,
      description: s.description,
      standardServices: s.standard_services as Referential['services'][number]['standardServices'],
      helpKind: s.help_kind,
      doingForPerson: s.doing_for_person,
    })),
  };
}
