import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import type { MediatorStatus } from './application.js';
import { lockEditableProvider } from './repository.js';

export interface MediatorInput {
  name: string;
  status: MediatorStatus;
  trained: boolean;
  training?: string | undefined;
}

/**
 * The charters require prior training of volunteers and civic-service staff (and keep them from
 * « faire à la place » services, which mayDeliver enforces where services are delivered).
 */
export function checkMediator(input: MediatorInput): { name: string; status: MediatorStatus; trained: boolean; training: string | null } {
  const training = input.training?.trim() || null;
  if (input.status !== 'employee' && (!input.trained || !training)) throw new DomainError('mediator_training_required', 'trained');
  return { name: input.name.trim(), status: input.status, trained: input.trained, training };
}

export async function addMediator(ctx: AppContext, actor: Actor, providerId: string, input: MediatorInput): Promise<{ mediatorId: string }> {
  const mediator = checkMediator(input);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await lockEditableProvider(trx, providerId);
    const row = await trx
      .insertInto('mediators')
      .values({ provider_id: providerId, ...mediator, active: true, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, { action: 'mediator.added', subjectType: 'mediator', subjectId: row.id, after: { providerId, ...mediator } });
    return { mediatorId: row.id };
  });
}

/** A mediator who leaves is kept (deliveries may name them) but no longer listed. */
export async function removeMediator(ctx: AppContext, actor: Actor, providerId: string, mediatorId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await lockEditableProvider(trx, providerId);
    const removed = await trx
      .updateTable('mediators')
      .set({ active: false })
      .where('id', '=', mediatorId)
      .where('provider_id', '=', providerId)
      .where('active', '=', true)
      .returning(['id', 'name'])
      .executeTakeFirst();
    if (!removed) throw new DomainError('mediator_unknown');
    await recordAuditEvent(trx, actor, now, { action: 'mediator.removed', subjectType: 'mediator', subjectId: mediatorId, before: { providerId, name: removed.name } });
  });
}
