import { EMPTY_PLACE_LISTS } from './place-rows.js';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import type { AppContext } from '../../src/app-context.js';
import { insertMembership } from '../../src/domains/accounts/repository.js';
import { acceptCharter } from '../../src/domains/providers/accept-charter.js';
import { answerEligibility } from '../../src/domains/providers/answer-eligibility.js';
import { REQUIRED_DOCUMENTS, type LegalForm } from '../../src/domains/providers/application.js';
import { uploadDocument } from '../../src/domains/providers/documents.js';
import { ELIGIBILITY_QUESTIONNAIRE } from '../../src/domains/providers/eligibility.js';
import { updateProviderProfile } from '../../src/domains/providers/provider-profile.js';
import { findProvider } from '../../src/domains/providers/repository.js';
import { signUpProvider, type ProviderSignUp } from '../../src/domains/providers/sign-up-provider.js';
import { ensureReferentialPublished } from '../../src/domains/referential/publish-referential.js';
import { PASSWORD, createPerson } from './fixtures.js';

/** Valid identifiers for tests (Luhn-valid SIRETs of real, public bodies; a test IBAN). */
export const SIRET = '21330063500017'; // Mairie de Bordeaux
export const OTHER_SIRET = '73282932000074';
export const IBAN = 'FR7630006000011234567890189';
export const BIC = 'AGRIFRPP';

/** The smallest PDF, JPEG and PNG headers: what the sniffing reads. */
export const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(200, 0x20), Buffer.from('\n%%EOF\n')]);
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);

export function signUpInput(overrides: Partial<ProviderSignUp> = {}): ProviderSignUp {
  return {
    organisationName: 'Médiathèque des Chartrons',
    legalForm: 'public_body',
    siret: SIRET,
    address: '12 rue de la Paix',
    postcode: '33000',
    inseeCode: '33063',
    adminName: 'Alix Admin',
    email: `admin-${Math.random().toString(36).slice(2, 8)}@lieu.test`,
    password: PASSWORD,
    ...overrides,
  };
}

/** The best answer to every question: an eligible provider. */
export function eligibleAnswers(): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const theme of ELIGIBILITY_QUESTIONNAIRE.themes) {
    for (const question of theme.questions) {
      const best = [...question.options].sort((a, b) => b.points - a.points)[0]!;
      answers[question.code] = best.value;
    }
  }
  return answers;
}

/** The worst answer to every question: a diagnostic on every theme. */
export function weakAnswers(): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const theme of ELIGIBILITY_QUESTIONNAIRE.themes) {
    for (const question of theme.questions) {
      const worst = [...question.options].sort((a, b) => a.points - b.points)[0]!;
      answers[question.code] = worst.value;
    }
  }
  return answers;
}

/** A provider signed up through the use case, with its admin (and a member when asked). */
export async function createApplicant(ctx: AppContext, overrides: Partial<ProviderSignUp> = {}, options: { memberEmail?: string } = {}) {
  const input = signUpInput(overrides);
  const { userId, organisationId } = await signUpProvider(ctx, input);
  const member = options.memberEmail ? await createPerson(ctx, options.memberEmail, [[organisationId, 'member']]) : undefined;
  const actor = { userId, organisationId, apiTokenId: null };
  return { providerId: organisationId, adminId: userId, adminEmail: input.email, member, actor, legalForm: input.legalForm as LegalForm };
}

/** A place with one active service of the referential, as the places pages would make them. */
export async function addPlaceWithService(ctx: AppContext, providerId: string) {
  await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
  const service = await ctx.db.selectFrom('referential_services').select(['version', 'code']).orderBy('version', 'desc').orderBy('position').executeTakeFirstOrThrow();
  const now = ctx.clock.now();
  const place = await ctx.db
    .insertInto('places')
    .values({
      provider_id: providerId,
      source: 'passnum',
      source_id: `test-${Math.random().toString(36).slice(2)}`,
      name: 'Lieu de test',
      address: '12 rue de la Paix',
      postcode: '33000',
      commune: 'Bordeaux',
      insee_code: '33063',
      latitude: 44.84,
      longitude: -0.58,
      ...EMPTY_PLACE_LISTS,
      source_accepts_pass: false,
      status: 'draft',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.db
    .insertInto('catalogue_entries')
    .values({
      place_id: place.id,
      referential_version: service.version,
      service_code: service.code,
      price_cents: 1000,
      duration_minutes: 60,
      format: 'individual',
      delivery_modes: ['on_site'],
      active: true,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return place.id;
}

/** Everything an application needs before it can be submitted. */
export async function completeApplication(ctx: AppContext, applicant: Awaited<ReturnType<typeof createApplicant>>) {
  const provider = (await findProvider(ctx.db, applicant.providerId))!;
  await updateProviderProfile(ctx, applicant.actor, applicant.providerId, {
    organisationName: provider.organisationName,
    legalForm: provider.legal_form,
    siret: provider.siret ?? undefined,
    rna: provider.rna ?? undefined,
    address: provider.address,
    postcode: provider.postcode,
    inseeCode: provider.insee_code,
    iban: IBAN,
    bic: BIC,
    accountHolder: provider.organisationName,
  });
  await answerEligibility(ctx, applicant.actor, applicant.providerId, eligibleAnswers());
  await acceptCharter(ctx, applicant.actor, applicant.providerId);
  for (const kind of REQUIRED_DOCUMENTS[provider.legal_form]) {
    await uploadDocument(ctx, applicant.actor, applicant.providerId, { kind, fileName: `${kind}.pdf`, content: PDF });
  }
  await addPlaceWithService(ctx, applicant.providerId);
}

/** Adds an existing person to a provider organisation (another provider's admin, say). */
export async function addMember(ctx: AppContext, userId: string, organisationId: string, role: 'admin' | 'member') {
  await insertMembership(ctx.db, { userId, organisationId, role });
}
