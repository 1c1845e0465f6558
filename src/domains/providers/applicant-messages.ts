import type { AppContext } from '../../app-context.js';
import { deliverInBackground } from '../../mail/deliver.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { applicantMessageToOperatorMail } from './provider-mails.js';
import { lockProvider, operatorAdminEmails } from './repository.js';

export const MESSAGE_MAX_LENGTH = 5000;

/**
 * The applicant writes to the operator on its application, whatever its status (to answer a
 * request for changes, or to ask a question). The operator's admins are told by e-mail.
 */
export async function postApplicantMessage(
  ctx: AppContext,
  actor: Actor & { userId: string },
  providerId: string,
  body: string,
): Promise<{ messageId: string }> {
  const now = ctx.clock.now();
  const { messageId, mails } = await ctx.db.transaction().execute(async (trx) => {
    const provider = await lockProvider(trx, providerId);
    const row = await trx
      .insertInto('application_messages')
      .values({ provider_id: providerId, author_id: actor.userId, from_operator: false, body: body.trim(), created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, {
      action: 'application.message_posted',
      subjectType: 'provider',
      subjectId: providerId,
      after: { messageId: row.id, fromOperator: false },
    });
    const link = `${ctx.config.publicUrl}/operateur/candidatures/${providerId}`;
    const mails = (await operatorAdminEmails(trx)).map((email) => applicantMessageToOperatorMail({ to: email, providerName: provider.organisationName, link }));
    return { messageId: row.id, mails };
  });
  for (const mail of mails) deliverInBackground(ctx, mail);
  return { messageId };
}
