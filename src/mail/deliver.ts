import type { AppContext } from '../app-context.js';
import type { MailMessage } from './mailer.js';

/**
 * Sends a mail without making the request wait for it: a slow or failing mail server neither
 * delays the answer nor, through timing, tells whether an account exists. A failure is logged
 * (subject only: the body may hold a link).
 */
export function deliverInBackground(ctx: Pick<AppContext, 'mailer' | 'log'>, message: MailMessage): void {
  ctx.mailer.send(message).catch((error: unknown) => ctx.log.error({ err: error, subject: message.subject }, 'mail not sent'));
}
