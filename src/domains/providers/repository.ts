import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DomainError } from '../errors.js';
import { isEditableByApplicant, missingDocuments, submissionGaps, type DocumentKind, type SubmissionGap } from './application.js';
import { CURRENT_CHARTER_VERSION } from './charters/charters.js';
import type { ThemeScore } from './eligibility.js';

/** SQL only: the use cases own the transactions and pass them in as `db`. */

export function findProvider(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('providers as p')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .selectAll('p')
    .select('o.name as organisationName')
    .where('p.organisation_id', '=', providerId)
    .executeTakeFirst();
}

export type ProviderRow = NonNullable<Awaited<ReturnType<typeof findProvider>>>;

/**
 * The provider row, locked until the end of the caller's transaction: every change to an
 * application goes through here, so that a change and a submission never interleave.
 */
export async function lockProvider(db: Kysely<DB>, providerId: string) {
  const locked = await db.selectFrom('providers').select('organisation_id').where('organisation_id', '=', providerId).forUpdate().executeTakeFirst();
  if (!locked) throw new DomainError('provider_unknown');
  return (await findProvider(db, providerId))!;
}

/** Locks the provider and checks that its applicant may still change the application. */
export async function lockEditableProvider(db: Kysely<DB>, providerId: string) {
  const provider = await lockProvider(db, providerId);
  if (!isEditableByApplicant(provider.status)) throw new DomainError('application_not_editable');
  return provider;
}

export function latestEligibility(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('eligibility_answers')
    .select(['id', 'questionnaire_version as questionnaireVersion', 'answers', 'outcome', 'scores', 'answered_by as answeredBy', 'answered_at as answeredAt'])
    .where('provider_id', '=', providerId)
    .orderBy('answered_at', 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

export function listCharterAcceptances(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('charter_acceptances as c')
    .innerJoin('users as u', 'u.id', 'c.accepted_by')
    .select(['c.charter_version as version', 'c.accepted_at as acceptedAt', 'u.id as acceptedById', 'u.display_name as acceptedByName'])
    .where('c.provider_id', '=', providerId)
    .orderBy('c.charter_version')
    .execute();
}

/** Every document ever uploaded (replaced ones included), newest first; never the content. */
export function listDocuments(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('provider_documents as d')
    .innerJoin('users as u', 'u.id', 'd.uploaded_by')
    .select([
      'd.id',
      'd.kind',
      'd.file_name as fileName',
      'd.media_type as mediaType',
      'd.size_bytes as sizeBytes',
      'd.sha256',
      'd.uploaded_at as uploadedAt',
      'u.display_name as uploadedByName',
    ])
    .where('d.provider_id', '=', providerId)
    .orderBy('d.uploaded_at', 'desc')
    .orderBy('d.id', 'desc')
    .execute();
}

export type DocumentMetadata = Awaited<ReturnType<typeof listDocuments>>[number];

export function findDocumentContent(db: Kysely<DB>, providerId: string, documentId: string) {
  return db
    .selectFrom('provider_documents')
    .select(['id', 'kind', 'file_name as fileName', 'media_type as mediaType', 'size_bytes as sizeBytes', 'content'])
    .where('provider_id', '=', providerId)
    .where('id', '=', documentId)
    .executeTakeFirst();
}

export function listMediators(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('mediators')
    .select(['id', 'name', 'status', 'trained', 'training', 'active', 'created_at as createdAt'])
    .where('provider_id', '=', providerId)
    .where('active', '=', true)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export function listMessages(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('application_messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(['m.id', 'm.body', 'm.from_operator as fromOperator', 'm.created_at as createdAt', 'u.display_name as authorName'])
    .where('m.provider_id', '=', providerId)
    .orderBy('m.created_at')
    .orderBy('m.id')
    .execute();
}

export async function countPlacesAndServices(db: Kysely<DB>, providerId: string): Promise<{ placeCount: number; activeServiceCount: number }> {
  const places = await db
    .selectFrom('places')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('provider_id', '=', providerId)
    .executeTakeFirstOrThrow();
  const services = await db
    .selectFrom('catalogue_entries as c')
    .innerJoin('places as p', 'p.id', 'c.place_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('p.provider_id', '=', providerId)
    .where('c.active', '=', true)
    .executeTakeFirstOrThrow();
  return { placeCount: places.n, activeServiceCount: services.n };
}

/** The e-mail addresses of the operator's admins, who review applications. */
export async function operatorAdminEmails(db: Kysely<DB>): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('organisations as o', 'o.id', 'm.organisation_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.email')
    .where('o.kind', '=', 'operator')
    .where('m.role', '=', 'admin')
    .orderBy('u.email')
    .distinct()
    .execute();
  return rows.map((row) => row.email);
}

/** The e-mail addresses of a provider's admins, who follow its application. */
export async function providerAdminEmails(db: Kysely<DB>, providerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.email')
    .where('m.organisation_id', '=', providerId)
    .where('m.role', '=', 'admin')
    .orderBy('u.email')
    .execute();
  return rows.map((row) => row.email);
}

/** The latest document of each kind: the one that counts (older ones stay as history). */
export function currentDocuments(documents: readonly DocumentMetadata[]): Map<string, DocumentMetadata> {
  const current = new Map<string, DocumentMetadata>();
  for (const document of documents) if (!current.has(document.kind)) current.set(document.kind, document);
  return current;
}

export interface ApplicationView {
  provider: ProviderRow;
  eligibility:
    | { questionnaireVersion: number; outcome: 'eligible' | 'not_yet'; answers: Record<string, string>; scores: ThemeScore[]; answeredAt: Date }
    | undefined;
  charterAcceptances: Awaited<ReturnType<typeof listCharterAcceptances>>;
  currentCharterVersion: number;
  /** Every upload, newest first, without content. */
  documents: DocumentMetadata[];
  /** The latest document of each kind. */
  currentDocuments: Map<string, DocumentMetadata>;
  missingDocuments: DocumentKind[];
  mediators: Awaited<ReturnType<typeof listMediators>>;
  messages: Awaited<ReturnType<typeof listMessages>>;
  placeCount: number;
  activeServiceCount: number;
  submissionGaps: SubmissionGap[];
  editable: boolean;
}

/**
 * Everything about an application, for the applicant's checklist and the operator's review.
 * Throws provider_unknown when the organisation has no application.
 */
export async function loadApplication(db: Kysely<DB>, providerId: string): Promise<ApplicationView> {
  const provider = await findProvider(db, providerId);
  if (!provider) throw new DomainError('provider_unknown');
  const [eligibility, charterAcceptances, documents, mediators, messages, counts] = await Promise.all([
    latestEligibility(db, providerId),
    listCharterAcceptances(db, providerId),
    listDocuments(db, providerId),
    listMediators(db, providerId),
    listMessages(db, providerId),
    countPlacesAndServices(db, providerId),
  ]);
  const current = currentDocuments(documents);
  const documentKinds = [...current.keys()];
  return {
    provider,
    eligibility: eligibility && {
      questionnaireVersion: eligibility.questionnaireVersion,
      outcome: eligibility.outcome,
      answers: eligibility.answers as Record<string, string>,
      scores: eligibility.scores as ThemeScore[],
      answeredAt: eligibility.answeredAt,
    },
    charterAcceptances,
    currentCharterVersion: CURRENT_CHARTER_VERSION,
    documents,
    currentDocuments: current,
    missingDocuments: missingDocuments(provider.legal_form, documentKinds),
    mediators,
    messages,
    ...counts,
    submissionGaps: submissionGaps({
      legalForm: provider.legal_form,
      eligibility: eligibility ? eligibility.outcome : 'unanswered',
      acceptedCharterVersions: charterAcceptances.map((a) => a.version),
      currentCharterVersion: CURRENT_CHARTER_VERSION,
      ...counts,
      documentKinds,
      hasBankDetails: Boolean(provider.iban && provider.bic && provider.account_holder),
    }),
    editable: isEditableByApplicant(provider.status),
  };
}
