import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../actor.js';

export interface AuditEvent {
  /** `subject.verb_in_past`, e.g. `invitation.created`. */
  action: `${string}.${string}`;
  subjectType: string;
  subjectId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/**
 * Writes one line of the append-only journal. Call it with the transaction of the change it
 * describes, so that the change and its record land together or not at all. Never put secrets,
 * hashes or voucher codes in before/after.
 */
export async function recordAuditEvent(trx: Kysely<DB>, actor: Actor, at: Date, event: AuditEvent): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      occurred_at: at,
      actor_user_id: actor.userId,
      actor_organisation_id: actor.organisationId,
      actor_api_token_id: actor.apiTokenId,
      action: event.action,
      subject_type: event.subjectType,
      subject_id: event.subjectId,
      before: event.before ? JSON.stringify(event.before) : null,
      after: event.after ? JSON.stringify(event.after) : null,
    })
    .execute();
}
