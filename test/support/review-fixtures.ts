/**
 * Providers and their applications, inserted with SQL as the applicant's pages would leave them,
 * for the tests of the operator's review (independent of the sign-up code).
 */
import { EMPTY_PLACE_LISTS } from './place-rows.js';
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../src/app-context.js';
import type { ApplicationStatus, LegalForm } from '../../src/db/schema.js';
import { ELIGIBILITY_QUESTIONNAIRE, scoreEligibility } from '../../src/domains/providers/eligibility.js';
import { createOrganisation, createPerson } from './fixtures.js';

export interface ReviewProviderInput {
  name?: string;
  legalForm?: LegalForm;
  siret?: string | null;
  rna?: string | null;
  status?: ApplicationStatus;
  submittedAt?: Date | null;
  inseeCode?: string;
  postcode?: string;
  commune?: string;
  suspended?: string;
  /** Admins' e-mails; a random one when none is given. */
  admins?: string[];
  members?: string[];
  iban?: string | null;
}

let counter = 0;

export async function createReviewProvider(ctx: AppContext, input: ReviewProviderInput = {}) {
  counter += 1;
  const organisation = await createOrganisation(ctx, 'provider', input.name ?? `Structure ${counter} ${randomUUID().slice(0, 6)}`);
  const now = ctx.clock.now();
  const status = input.status ?? 'submitted';
  const legalForm = input.legalForm ?? 'association';
  await ctx.db
    .insertInto('providers')
    .values({
      organisation_id: organisation.id,
      legal_form: legalForm,
      siret: input.siret === undefined ? '73282932000074' : input.siret,
      rna: input.rna ?? null,
      address: '1 rue de la Mairie',
      postcode: input.postcode ?? '33000',
      insee_code: input.inseeCode ?? '33063',
      commune: input.commune ?? 'Bordeaux',
      iban: input.iban === undefined ? 'FR7630006000011234567890189' : input.iban,
      bic: 'AGRIFRPP',
      account_holder: 'Association Test',
      status,
      submitted_at: input.submittedAt === undefined ? (status === 'draft' ? null : now) : input.submittedAt,
      decided_at: null,
      suspended_at: input.suspended ? now : null,
      suspension_reason: input.suspended ?? null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const admins = [];
  for (const email of input.admins ?? [`admin-${counter}-${randomUUID().slice(0, 6)}@structure.fr`]) {
    admins.push(await createPerson(ctx, email, [[organisation.id, 'admin']]));
  }
  const members = [];
  for (const email of input.members ?? []) members.push(await createPerson(ctx, email, [[organisation.id, 'member']]));
  return { id: organisation.id, name: organisation.name, admins, members };
}

/** A place of the provider, not yet public, with one active service of the referential. */
export async function addPlace(ctx: AppContext, providerId: string, input: { name?: string; status?: 'draft' | 'published' | 'withdrawn'; pivot?: string | null } = {}) {
  const now = ctx.clock.now();
  const place = await ctx.db
    .insertInto('places')
    .values({
      provider_id: providerId,
      source: 'passnum',
      source_id: randomUUID(),
      pivot: input.pivot ?? null,
      name: input.name ?? 'Espace numérique',
      address: '2 place du Marché',
      postcode: '33000',
      commune: 'Bordeaux',
      insee_code: '33063',
      latitude: 44.84,
      longitude: -0.58,
      status: input.status ?? 'draft',
      ...EMPTY_PLACE_LISTS,
      typologies: ['EPN'],
      source_accepts_pass: false,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const service = await ctx.db.selectFrom('referential_services').select(['version', 'code']).orderBy('version', 'desc').orderBy('position').executeTakeFirstOrThrow();
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
      parcours_sessions: null,
      active: true,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return place.id;
}

export async function placeStatuses(ctx: AppContext, providerId: string) {
  return ctx.db.selectFrom('places').select(['id', 'status', 'pivot']).where('provider_id', '=', providerId).orderBy('id').execute();
}

/** The rest of a complete application: eligibility (all best answers), charter, a document, a mediator. */
export async function completeApplication(ctx: AppContext, providerId: string, userId: string) {
  const now = ctx.clock.now();
  const answers: Record<string, string> = {};
  for (const theme of ELIGIBILITY_QUESTIONNAIRE.themes) {
    for (const question of theme.questions) {
      const best = [...question.options].sort((a, b) => b.points - a.points)[0]!;
      answers[question.code] = best.value;
    }
  }
  const result = scoreEligibility(answers);
  if (result.outcome === 'incomplete') throw new Error('incomplete answers');
  await ctx.db
    .insertInto('eligibility_answers')
    .values({
      provider_id: providerId,
      questionnaire_version: ELIGIBILITY_QUESTIONNAIRE.version,
      answers: JSON.stringify(answers),
      outcome: result.outcome,
      scores: JSON.stringify(result.scores),
      answered_by: userId,
      answered_at: now,
    })
    .execute();
  await ctx.db.insertInto('charter_acceptances').values({ provider_id: providerId, charter_version: 2, accepted_by: userId, accepted_at: now }).execute();
  const content = Buffer.from('%PDF-1.4 statuts <script>alert(1)</script>');
  const document = await ctx.db
    .insertInto('provider_documents')
    .values({
      provider_id: providerId,
      kind: 'statutes',
      file_name: 'Statuts signés été.pdf',
      media_type: 'application/pdf',
      size_bytes: content.length,
      sha256: 'x'.repeat(64),
      content,
      uploaded_by: userId,
      uploaded_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.db.insertInto('mediators').values({ provider_id: providerId, name: 'Camille Médiatrice', status: 'employee', trained: true, training: 'Titre professionnel', active: true, created_at: now }).execute();
  await ctx.db.insertInto('application_messages').values({ provider_id: providerId, author_id: userId, from_operator: false, body: 'Bonjour,\nvoici notre dossier.', created_at: now }).execute();
  return { documentId: document.id, content };
}
