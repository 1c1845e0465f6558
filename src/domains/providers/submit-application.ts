import type { AppContext } from '../../app-context.js';
import { deliverInBackground } from '../../mail/deliver.js';
import type { MailMessage } from '../../mail/mailer.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { nextStatus, type SubmissionGap } from './application.js';
import { applicationSubmittedToApplicantMail, applicationSubmittedToOperatorMail } from './provider-mails.js';
import { loadApplication, lockProvider, operatorAdminEmails, providerAdminEmails } from './repository.js';

/** Thrown when the application lacks something: the gaps say what, in the order to fix them. */
export class ApplicationIncompleteError extends DomainError {
  constructor(readonly gaps: readonly SubmissionGap[]) {
    super('application_incomplete');
  }
}

/**
 * The applicant sends its application to the operator: draft or changes_requested → submitted,
 * when nothing is missing. A conditional update, after locking the provider row: of two
 * submissions at once, one succeeds and the other finds the application already submitted.
 * The operator's admins and the provider's admins are mailed after the commit.
 */
export async function submitApplication(ctx: AppContext, actor: Actor, providerId: string): Promise<void> {
  const now = ctx.clock.now();
  const mails = await ctx.db.transaction().execute(async (trx) => {
    const provider = await lockProvider(trx, providerId);
    const to = nextStatus(provider.status, 'submit');
    if (!to) throw new DomainError('application_status_changed');
    const application = await loadApplication(trx, providerId);
    if (application.submissionGaps.length > 0) throw new ApplicationIncompleteError(application.submissionGaps);
    const updated = await trx
      .updateTable('providers')
      .set({ status: to, submitted_at: now, updated_at: now })
      .where('organisation_id', '=', providerId)
      .where('status', '=', provider.status)
      .returning('status')
      .executeTakeFirst();
    if (!updated) throw new DomainError('application_status_changed');
    await recordAuditEvent(trx, actor, now, {
      action: 'application.submitted',
      subjectType: 'provider',
      subjectId: providerId,
      before: { status: provider.status },
      after: { status: to },
    });
    const name = provider.organisationName;
    const reviewLink = `${ctx.config.publicUrl}/operateur/candidatures/${providerId}`;
    const applicantLink = `${ctx.config.publicUrl}/structure/candidature`;
    const messages: MailMessage[] = [
      ...(await operatorAdminEmails(trx)).map((email) => applicationSubmittedToOperatorMail({ to: email, providerName: name, link: reviewLink })),
      ...(await providerAdminEmails(trx, providerId)).map((email) =>
        applicationSubmittedToApplicantMail({ to: email, providerName: name, link: applicantLink }),
      ),
    ];
    return messages;
  });
  for (const mail of mails) deliverInBackground(ctx, mail);
}
