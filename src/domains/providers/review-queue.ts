import type { Kysely } from 'kysely';
import type { ApplicationStatus, DB, LegalForm } from '../../db/schema.js';
import { CURRENT_CHARTER_VERSION } from './charters/charters.js';
import { ELIGIBILITY_QUESTIONNAIRE, scoreEligibility, type ThemeDiagnostic, type ThemeScore } from './eligibility.js';
import { REQUIRED_DOCUMENTS } from './application.js';
import { findDocumentContent } from './repository.js';

/**
 * What the operator reads to review applications: the queue, and everything about one application.
 * SQL only (read side); the decisions are in review-application.ts.
 */

export const REVIEW_PAGE_SIZE = 25;

/** The queue's status filter: an application status, suspended qualified providers, or all. */
export const QUEUE_STATUSES = ['submitted', 'changes_requested', 'qualified', 'suspended', 'refused', 'draft', 'all'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export interface ReviewQueueFilter {
  status: QueueStatus;
  /** Département code: 33, 2A, 974. */
  departement?: string | undefined;
  legalForm?: LegalForm | undefined;
  /** Part of the name, or the beginning of the SIRET or RNA number. */
  text?: string | undefined;
  /** 1-based. */
  page: number;
}

export interface ReviewQueueRow {
  providerId: string;
  name: string;
  legalForm: LegalForm;
  status: ApplicationStatus;
  siret: string | null;
  rna: string | null;
  commune: string;
  inseeCode: string;
  submittedAt: Date | null;
  suspendedAt: Date | null;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function filteredProviders(db: Kysely<DB>, filter: ReviewQueueFilter) {
  let query = db.selectFrom('providers as p').innerJoin('organisations as o', 'o.id', 'p.organisation_id');
  if (filter.status === 'suspended') query = query.where('p.status', '=', 'qualified').where('p.suspended_at', 'is not', null);
  else if (filter.status !== 'all') query = query.where('p.status', '=', filter.status);
  // The département is the start of the INSEE code (2 characters, 3 overseas, 2A/2B in Corsica).
  if (filter.departement) query = query.where('p.insee_code', 'like', `${escapeLike(filter.departement)}%`);
  if (filter.legalForm) query = query.where('p.legal_form', '=', filter.legalForm);
  const text = filter.text?.trim();
  if (text) {
    const compact = text.replace(/\s+/g, '').toUpperCase();
    query = query.where((eb) =>
      eb.or([
        eb('o.name', 'ilike', `%${escapeLike(text)}%`),
        eb('p.siret', 'like', `${escapeLike(compact)}%`),
        eb('p.rna', 'like', `${escapeLike(compact)}%`),
      ]),
    );
  }
  return query;
}

/** One page of the queue, oldest submission first (never-submitted drafts last), and the total. */
export async function listApplicationsForReview(db: Kysely<DB>, filter: ReviewQueueFilter): Promise<{ rows: ReviewQueueRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    filteredProviders(db, filter)
      .select([
        'p.organisation_id as providerId',
        'o.name',
        'p.legal_form as legalForm',
        'p.status',
        'p.siret',
        'p.rna',
        'p.commune',
        'p.insee_code as inseeCode',
        'p.submitted_at as submittedAt',
        'p.suspended_at as suspendedAt',
      ])
      .orderBy('p.submitted_at', (ob) => ob.asc().nullsLast())
      .orderBy('p.created_at')
      .orderBy('p.organisation_id')
      .limit(REVIEW_PAGE_SIZE)
      .offset((filter.page - 1) * REVIEW_PAGE_SIZE)
      .execute(),
    filteredProviders(db, filter)
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

export interface EligibilityReview {
  questionnaireVersion: number;
  outcome: 'eligible' | 'not_yet';
  answeredAt: Date;
  answeredBy: string;
  scores: ThemeScore[];
  /** Recomputed from the answers when they were given to the current questionnaire. */
  diagnostic: ThemeDiagnostic[];
}

/** Scores as stored: an array of theme scores, or an object holding one (whatever the writer kept). */
function storedScores(scores: unknown): ThemeScore[] {
  if (Array.isArray(scores)) return scores as ThemeScore[];
  if (scores && typeof scores === 'object' && Array.isArray((scores as { scores?: unknown }).scores)) return (scores as { scores: ThemeScore[] }).scores;
  return [];
}

function readEligibility(row: { questionnaire_version: number; answers: unknown; outcome: 'eligible' | 'not_yet'; scores: unknown; answered_at: Date; answeredBy: string }): EligibilityReview {
  const base = { questionnaireVersion: row.questionnaire_version, outcome: row.outcome, answeredAt: row.answered_at, answeredBy: row.answeredBy };
  if (row.questionnaire_version === ELIGIBILITY_QUESTIONNAIRE.version && row.answers && typeof row.answers === 'object') {
    const result = scoreEligibility(row.answers as Record<string, string>);
    if (result.outcome !== 'incomplete') return { ...base, scores: result.scores, diagnostic: result.outcome === 'not_yet' ? result.diagnostic : [] };
  }
  return { ...base, scores: storedScores(row.scores), diagnostic: [] };
}

/** Everything the operator needs to decide on one application, or undefined for an unknown provider. */
export async function loadApplicationForReview(db: Kysely<DB>, providerId: string) {
  const provider = await db
    .selectFrom('providers as p')
    .innerJoin('organisations as o', 'o.id', 'p.organisation_id')
    .selectAll('p')
    .select('o.name')
    .where('p.organisation_id', '=', providerId)
    .executeTakeFirst();
  if (!provider) return undefined;

  const [admins, eligibility, charters, documents, mediators, places, catalogue, messages, history] = await Promise.all([
    db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.display_name as displayName', 'u.email'])
      .where('m.organisation_id', '=', providerId)
      .where('m.role', '=', 'admin')
      .orderBy('u.display_name')
      .execute(),
    db
      .selectFrom('eligibility_answers as e')
      .innerJoin('users as u', 'u.id', 'e.answered_by')
      .select(['e.questionnaire_version', 'e.answers', 'e.outcome', 'e.scores', 'e.answered_at', 'u.display_name as answeredBy'])
      .where('e.provider_id', '=', providerId)
      .orderBy('e.answered_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('charter_acceptances as c')
      .innerJoin('users as u', 'u.id', 'c.accepted_by')
      .select(['c.charter_version as version', 'c.accepted_at as acceptedAt', 'u.display_name as acceptedBy', 'u.email as acceptedByEmail'])
      .where('c.provider_id', '=', providerId)
      .orderBy('c.charter_version', 'desc')
      .execute(),
    db
      .selectFrom('provider_documents as d')
      .innerJoin('users as u', 'u.id', 'd.uploaded_by')
      .select(['d.id', 'd.kind', 'd.file_name as fileName', 'd.media_type as mediaType', 'd.size_bytes as sizeBytes', 'd.uploaded_at as uploadedAt', 'u.display_name as uploadedBy'])
      .where('d.provider_id', '=', providerId)
      .orderBy('d.kind')
      .orderBy('d.uploaded_at', 'desc')
      .execute(),
    db
      .selectFrom('mediators')
      .select(['id', 'name', 'status', 'trained', 'training', 'active'])
      .where('provider_id', '=', providerId)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('places')
      .select(['id', 'name', 'address', 'postcode', 'commune', 'status', 'itinerant', 'pivot', 'typologies', 'opening_hours as openingHours'])
      .where('provider_id', '=', providerId)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('catalogue_entries as c')
      .innerJoin('places as pl', 'pl.id', 'c.place_id')
      .innerJoin('referential_services as s', (join) => join.onRef('s.version', '=', 'c.referential_version').onRef('s.code', '=', 'c.service_code'))
      .select([
        'c.place_id as placeId',
        'c.service_code as serviceCode',
        's.label',
        's.doing_for_person as doingForPerson',
        'c.referential_version as referentialVersion',
        'c.price_cents as priceCents',
        'c.duration_minutes as durationMinutes',
        'c.format',
        'c.delivery_modes as deliveryModes',
        'c.parcours_sessions as parcoursSessions',
        'c.active',
      ])
      .where('pl.provider_id', '=', providerId)
      .orderBy('c.service_code')
      .execute(),
    db
      .selectFrom('application_messages as a')
      .innerJoin('users as u', 'u.id', 'a.author_id')
      .select(['a.id', 'a.body', 'a.from_operator as fromOperator', 'a.created_at as createdAt', 'u.display_name as author'])
      .where('a.provider_id', '=', providerId)
      .orderBy('a.created_at')
      .orderBy('a.id')
      .execute(),
    db
      .selectFrom('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .select(['e.id', 'e.occurred_at as occurredAt', 'e.action', 'e.before', 'e.after', 'u.display_name as actor'])
      .where('e.subject_id', '=', providerId)
      .orderBy('e.id', 'desc')
      .limit(200)
      .execute(),
  ]);

  const required = REQUIRED_DOCUMENTS[provider.legal_form];
  return {
    provider,
    admins,
    eligibility: eligibility ? readEligibility(eligibility) : undefined,
    charters: charters.map((c) => ({ ...c, current: c.version === CURRENT_CHARTER_VERSION })),
    currentCharterVersion: CURRENT_CHARTER_VERSION,
    requiredDocumentKinds: required,
    documents,
    mediators,
    places: places.map((place) => ({ ...place, catalogue: catalogue.filter((entry) => entry.placeId === place.id) })),
    messages,
    history,
  };
}

export type ApplicationReview = NonNullable<Awaited<ReturnType<typeof loadApplicationForReview>>>;

/** One document of a provider, content included (the operator downloads it). */
export const loadProviderDocument = findDocumentContent;

