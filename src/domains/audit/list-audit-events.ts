import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export interface AuditFilter {
  action?: string | undefined;
  organisationId?: string | undefined;
  /** Inclusive bounds on occurred_at. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset pagination: events older than this id. */
  beforeId?: number | undefined;
  limit: number;
}

export interface AuditEntry {
  id: number;
  occurredAt: Date;
  action: string;
  subjectType: string;
  subjectId: string;
  actorUserId: string | null;
  actorEmail: string | null;
  actorOrganisationId: string | null;
  actorOrganisationName: string | null;
  actorApiTokenId: string | null;
  before: unknown;
  after: unknown;
}

/** The operator's view of the journal, newest first. Returns one page and whether more follow. */
export async function listAuditEvents(db: Kysely<DB>, filter: AuditFilter): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
  let query = db
    .selectFrom('audit_events as e')
    .leftJoin('users as u', 'u.id', 'e.actor_user_id')
    .leftJoin('organisations as o', 'o.id', 'e.actor_organisation_id')
    .select([
      'e.id',
      'e.occurred_at as occurredAt',
      'e.action',
      'e.subject_type as subjectType',
      'e.subject_id as subjectId',
      'e.actor_user_id as actorUserId',
      'u.email as actorEmail',
      'e.actor_organisation_id as actorOrganisationId',
      'o.name as actorOrganisationName',
      'e.actor_api_token_id as actorApiTokenId',
      'e.before',
      'e.after',
    ])
    .orderBy('e.id', 'desc')
    .limit(filter.limit + 1);
  if (filter.action) query = query.where('e.action', '=', filter.action);
  if (filter.organisationId) query = query.where('e.actor_organisation_id', '=', filter.organisationId);
  if (filter.from) query = query.where('e.occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('e.occurred_at', '<=', filter.to);
  if (filter.beforeId !== undefined) query = query.where('e.id', '<', filter.beforeId);
  const rows = await query.execute();
  return { entries: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
}

export async function listAuditActions(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('audit_events').select('action').distinct().orderBy('action').execute();
  return rows.map((r) => r.action);
}
