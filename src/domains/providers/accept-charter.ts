import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { CURRENT_CHARTER_VERSION } from './charters/charters.js';
import { lockEditableProvider } from './repository.js';

/**
 * A named admin accepts the current charter for the provider; the version, time and person are
 * recorded once per version: accepting the same version again changes nothing.
 */
export async function acceptCharter(
  ctx: AppContext,
  actor: Actor & { userId: string },
  providerId: string,
): Promise<{ version: number; alreadyAccepted: boolean }> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await lockEditableProvider(trx, providerId);
    const inserted = await trx
      .insertInto('charter_acceptances')
      .values({ provider_id: providerId, charter_version: CURRENT_CHARTER_VERSION, accepted_by: actor.userId, accepted_at: now })
      .onConflict((oc) => oc.columns(['provider_id', 'charter_version']).doNothing())
      .returning('charter_version')
      .executeTakeFirst();
    if (!inserted) return { version: CURRENT_CHARTER_VERSION, alreadyAccepted: true };
    await recordAuditEvent(trx, actor, now, {
      action: 'charter.accepted',
      subjectType: 'provider',
      subjectId: providerId,
      after: { charterVersion: CURRENT_CHARTER_VERSION, acceptedBy: actor.userId },
    });
    return { version: CURRENT_CHARTER_VERSION, alreadyAccepted: false };
  });
}
