import type { ApplicationStatus, LegalForm, MediatorStatus } from '../../db/schema.js';

export type { ApplicationStatus, LegalForm, MediatorStatus };

export const LEGAL_FORMS = ['association', 'company', 'public_body', 'sole_trader'] as const satisfies readonly LegalForm[];
export const MEDIATOR_STATUSES = ['employee', 'volunteer', 'civic_service'] as const satisfies readonly MediatorStatus[];

/**
 * The application lifecycle: draft → submitted → (changes_requested → submitted)* → qualified | refused.
 * Suspension is not a status: a qualified provider may be suspended (with a reason) and reinstated.
 */
export type ApplicationAction = 'submit' | 'request_changes' | 'qualify' | 'refuse';

const TRANSITIONS: Record<ApplicationAction, { from: readonly ApplicationStatus[]; to: ApplicationStatus }> = {
  submit: { from: ['draft', 'changes_requested'], to: 'submitted' },
  request_changes: { from: ['submitted'], to: 'changes_requested' },
  qualify: { from: ['submitted'], to: 'qualified' },
  refuse: { from: ['submitted'], to: 'refused' },
};

/** The status after an action, or undefined when the action is not allowed from this status. */
export function nextStatus(current: ApplicationStatus, action: ApplicationAction): ApplicationStatus | undefined {
  const transition = TRANSITIONS[action];
  return transition.from.includes(current) ? transition.to : undefined;
}

/** Whether the applicant may still edit the application (profile, places, catalogue, documents). */
export function isEditableByApplicant(status: ApplicationStatus): boolean {
  return status === 'draft' || status === 'changes_requested' || status === 'qualified';
}

/** Documents by legal form (DOMAIN.md, after the predecessor's guide). The RIB is asked of everyone paid. */
export const DOCUMENT_KINDS = {
  identity: 'Pièce d’identité du représentant légal ou d’un mandataire',
  kbis: 'Extrait K-Bis de moins de 3 mois',
  statutes: 'Statuts',
  beneficial_owners: 'Liste des bénéficiaires effectifs (au moins 25 % du capital ou des droits de vote)',
  official_journal: 'Annonce de création au Journal officiel',
  general_assembly: 'Procès-verbal de la dernière assemblée générale',
  authorisation: 'Délibération ou document autorisant la structure publique à adhérer',
  sirene_certificate: 'Avis de situation au répertoire SIRENE',
  rib: 'Relevé d’identité bancaire (RIB)',
} as const;
export type DocumentKind = keyof typeof DOCUMENT_KINDS;

export const REQUIRED_DOCUMENTS: Record<LegalForm, readonly DocumentKind[]> = {
  company: ['identity', 'kbis', 'statutes', 'beneficial_owners', 'rib'],
  public_body: ['identity', 'authorisation', 'rib'],
  association: ['official_journal', 'general_assembly', 'statutes', 'identity', 'rib'],
  sole_trader: ['identity', 'sirene_certificate', 'rib'],
};

export const DOCUMENT_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export const DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;

/** What an application lacks before it can be submitted, in the order a person fixes them. */
export type SubmissionGap =
  | 'not_eligible'
  | 'charter_not_accepted'
  | 'no_place'
  | 'no_active_service'
  | 'missing_documents'
  | 'missing_bank_details';

export interface ApplicationSnapshot {
  legalForm: LegalForm;
  eligibility: 'eligible' | 'not_yet' | 'unanswered';
  acceptedCharterVersions: readonly number[];
  currentCharterVersion: number;
  placeCount: number;
  activeServiceCount: number;
  documentKinds: readonly string[];
  hasBankDetails: boolean;
}

export function missingDocuments(legalForm: LegalForm, present: readonly string[]): DocumentKind[] {
  return REQUIRED_DOCUMENTS[legalForm].filter((kind) => !present.includes(kind));
}

export function submissionGaps(application: ApplicationSnapshot): SubmissionGap[] {
  const gaps: SubmissionGap[] = [];
  if (application.eligibility !== 'eligible') gaps.push('not_eligible');
  if (!application.acceptedCharterVersions.includes(application.currentCharterVersion)) gaps.push('charter_not_accepted');
  if (application.placeCount === 0) gaps.push('no_place');
  if (application.activeServiceCount === 0) gaps.push('no_active_service');
  if (missingDocuments(application.legalForm, application.documentKinds).length) gaps.push('missing_documents');
  if (!application.hasBankDetails) gaps.push('missing_bank_details');
  return gaps;
}

/**
 * The charters' rule: volunteers and civic-service staff, even trained, do not deliver « faire à
 * la place » services (doing a procedure for the person); employees do.
 */
export function mayDeliver(mediator: { status: MediatorStatus }, service: { doingForPerson: boolean }): boolean {
  return !service.doingForPerson || mediator.status === 'employee';
}
