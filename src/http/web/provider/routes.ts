import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { applicationRoutes } from './application-page.js';
import { charterRoutes } from './charter-page.js';
import { documentsRoutes } from './documents-page.js';
import { eligibilityRoutes } from './eligibility-page.js';
import { mediatorsRoutes } from './mediators-page.js';
import { profileRoutes } from './profile-page.js';
import { signUpRoutes } from './sign-up-page.js';

/**
 * The applicant's side of provider onboarding: the public sign-up, then the checklist of the
 * application and one page per step. The document upload (multipart) is registered apart, in
 * app.ts, in the one scope that parses multipart.
 */
export function providerRoutes(app: FastifyInstance, ctx: AppContext) {
  signUpRoutes(app, ctx);
  applicationRoutes(app, ctx);
  profileRoutes(app, ctx);
  eligibilityRoutes(app, ctx);
  charterRoutes(app, ctx);
  documentsRoutes(app, ctx);
  mediatorsRoutes(app, ctx);
}
