/**
 * Kysely's view of the tables, written by hand next to the migrations (src/db/migrations).
 * Types follow db/type-parsers.ts: int8 → number, bytea → Buffer, timestamptz → Date.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export type OrganisationKind = 'operator' | 'funder' | 'distributor' | 'provider';
export type MemberRole = 'admin' | 'member';

export interface OrganisationsTable {
  id: Generated<string>;
  kind: OrganisationKind;
  name: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  password_hash: string | null;
  created_at: CreatedAt;
}

export interface MembershipsTable {
  user_id: string;
  organisation_id: string;
  role: MemberRole;
  created_at: CreatedAt;
}

export interface SessionsTable {
  id: Generated<string>;
  token_hash: Buffer;
  user_id: string;
  organisation_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface InvitationsTable {
  id: Generated<string>;
  organisation_id: string;
  email: string;
  role: MemberRole;
  token_hash: Buffer;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
}

export interface PasswordResetsTable {
  id: Generated<string>;
  user_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface SignInFailuresTable {
  email: string;
  failed_at: Timestamp;
}

export interface ApiTokensTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  prefix: string;
  secret_hash: Buffer;
  scopes: string[];
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  occurred_at: Timestamp;
  actor_user_id: string | null;
  actor_organisation_id: string | null;
  actor_api_token_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  before: unknown;
  after: unknown;
}

export interface ReferentialVersionsTable {
  version: number;
  title: string;
  published_on: string;
  published_at: Timestamp;
  published_by: string | null;
  notes: string | null;
}

export interface ReferentialServicesTable {
  version: number;
  code: string;
  level: number;
  label: string;
  description: string;
  standard_services: string[];
  help_kind: 'detection_referral' | 'assistance' | 'facilitation' | 'training';
  doing_for_person: boolean;
  position: number;
}

export type PlaceStatus = 'draft' | 'published' | 'withdrawn';

export interface PlacesTable {
  id: Generated<string>;
  provider_id: string | null;
  source: string;
  source_id: string;
  pivot: string | null;
  name: string;
  address: string;
  address_complement: string | null;
  postcode: string;
  commune: string;
  insee_code: string | null;
  latitude: number;
  longitude: number;
  typologies: string[];
  phones: string[];
  emails: string[];
  websites: string[];
  opening_hours: string | null;
  summary: string | null;
  details: string | null;
  itinerant: boolean;
  parent_structure: string | null;
  source_updated_on: string | null;
  standard_services: string[];
  publics: string[];
  specific_support: string[];
  fees: string[];
  national_programmes: string[];
  trainings_labels: string[];
  other_labels: string | null;
  access_modes: string[];
  support_modes: string[];
  accessibility_url: string | null;
  booking_url: string | null;
  source_accepts_pass: boolean;
  status: PlaceStatus;
  /** Kept by a trigger on catalogue_entries (migration 0003). */
  has_active_service: Generated<boolean>;
  import_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PlaceImportsTable {
  id: Generated<string>;
  file_name: string;
  file_sha256: string;
  started_at: Timestamp;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  report: unknown;
}

export type LegalForm = 'association' | 'company' | 'public_body' | 'sole_trader';
export type ApplicationStatus = 'draft' | 'submitted' | 'changes_requested' | 'qualified' | 'refused';

export interface ProvidersTable {
  organisation_id: string;
  legal_form: LegalForm;
  siret: string | null;
  rna: string | null;
  address: string;
  postcode: string;
  insee_code: string;
  commune: string;
  iban: string | null;
  bic: string | null;
  account_holder: string | null;
  status: ApplicationStatus;
  submitted_at: Timestamp | null;
  decided_at: Timestamp | null;
  suspended_at: Timestamp | null;
  suspension_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EligibilityAnswersTable {
  id: Generated<string>;
  provider_id: string;
  questionnaire_version: number;
  answers: unknown;
  outcome: 'eligible' | 'not_yet';
  scores: unknown;
  answered_by: string;
  answered_at: Timestamp;
}

export interface CharterAcceptancesTable {
  provider_id: string;
  charter_version: number;
  accepted_by: string;
  accepted_at: Timestamp;
}

export interface ProviderDocumentsTable {
  id: Generated<string>;
  provider_id: string;
  kind: string;
  file_name: string;
  media_type: 'application/pdf' | 'image/jpeg' | 'image/png';
  size_bytes: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string;
  uploaded_at: Timestamp;
}

export type MediatorStatus = 'employee' | 'volunteer' | 'civic_service';

export interface MediatorsTable {
  id: Generated<string>;
  provider_id: string;
  name: string;
  status: MediatorStatus;
  trained: boolean;
  training: string | null;
  active: boolean;
  created_at: Timestamp;
}

export interface ApplicationMessagesTable {
  id: Generated<string>;
  provider_id: string;
  author_id: string;
  from_operator: boolean;
  body: string;
  created_at: Timestamp;
}

export type DeliveryMode = 'on_site' | 'remote' | 'home';

export interface CatalogueEntriesTable {
  id: Generated<string>;
  place_id: string;
  referential_version: number;
  service_code: string;
  price_cents: number;
  duration_minutes: number;
  format: 'individual' | 'group';
  delivery_modes: DeliveryMode[];
  parcours_sessions: 5 | 10 | null;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DocumentCountersTable {
  series: string;
  year: number;
  last_number: number;
}

export interface FunderDistributorsTable {
  funder_id: string;
  distributor_id: string;
  created_at: Timestamp;
}

export type FundingMode = 'prepaid' | 'billed_on_use';
export type VoucherActivation = 'on_hand_out' | 'on_issue';
/** draft → confirmed → committed (paid or engaged) → issued; draft or confirmed → cancelled. */
export type OrderStatus = 'draft' | 'confirmed' | 'committed' | 'issued' | 'cancelled';
export type PublicAge = 'under_26' | '26_59' | '60_74' | '75_plus';
export type PublicSituation = 'job_seeker' | 'minimum_income' | 'retired' | 'student' | 'employed' | 'disability' | 'other';
export type BookletCancelReason = 'lost' | 'stolen' | 'damaged' | 'other';

export interface OrdersTable {
  id: Generated<string>;
  number: Generated<number>;
  funder_id: string;
  label: string | null;
  booklet_count: number;
  vouchers_per_booklet: 5 | 10;
  face_value_cents: number;
  funding_mode: FundingMode;
  territory: string[];
  service_levels: number[];
  service_codes: string[];
  place_types: string[];
  /** 'YYYY-MM-DD', a Europe/Paris day. */
  valid_from: string;
  valid_until: string;
  holder_share_allowed: boolean;
  delivery_modes: DeliveryMode[];
  activation: VoucherActivation;
  status: OrderStatus;
  invoice_number: string | null;
  commitment_reference: string | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  confirmed_at: Timestamp | null;
  committed_at: Timestamp | null;
  issued_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  /** The funder as the order's documents name it, copied at confirmation (migration 0010); null before. */
  buyer_name: string | null;
  buyer_address: string | null;
  buyer_postcode: string | null;
  buyer_commune: string | null;
  buyer_siret: string | null;
}

export interface BookletsTable {
  id: Generated<string>;
  order_id: string;
  number: number;
  position: number;
  distributor_id: string | null;
  allocated_at: Timestamp | null;
  handed_out_at: Timestamp | null;
  handed_out_by: string | null;
  public_age: PublicAge | null;
  public_situation: PublicSituation | null;
  cancelled_at: Timestamp | null;
  cancel_reason: BookletCancelReason | null;
  cancelled_by: string | null;
}

export interface VouchersTable {
  id: Generated<string>;
  order_id: string;
  booklet_id: string;
  position: number;
  code_hash: Buffer;
  code_sealed: Buffer;
  face_value_cents: number;
  redemption_id: string | null;
  redeemed_at: Timestamp | null;
}

export interface RedemptionsTable {
  id: Generated<string>;
  provider_id: string;
  place_id: string;
  catalogue_entry_id: string;
  referential_version: number;
  service_code: string;
  /** 'YYYY-MM-DD', a Europe/Paris day. */
  service_date: string;
  delivery_mode: DeliveryMode;
  price_cents: number;
  vouchers_cents: number;
  holder_share_cents: number;
  voucher_count: number;
  mediator_id: string | null;
  public_age: PublicAge | null;
  public_situation: PublicSituation | null;
  recorded_by_user: string | null;
  recorded_by_token: string | null;
  created_at: Timestamp;
}

export interface RedemptionRefusalsTable {
  id: Generated<string>;
  provider_id: string;
  place_id: string | null;
  voucher_id: string | null;
  reason: string;
  recorded_by_user: string | null;
  recorded_by_token: string | null;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  token_id: string;
  key: string;
  request_hash: Buffer;
  outcome: unknown;
  created_at: Timestamp;
}

export interface LedgerAccountsTable {
  id: string;
  key: string;
  kind: string;
  organisation_id: string | null;
  order_id: string | null;
  territory: string | null;
  chart_number: string;
  label: string;
  balance_cents: Generated<number>;
  postings_count: Generated<number>;
  created_at: Timestamp;
}

export type Journal = 'VT' | 'EN' | 'RE' | 'BQ' | 'OD';

export interface JournalEntriesTable {
  seq: Generated<number>;
  journal: Journal;
  kind: string;
  label: string;
  /** 'YYYY-MM-DD', a Europe/Paris day. */
  booked_on: string;
  piece_ref: string;
  order_id: string | null;
  redemption_id: string | null;
  corrects_seq: number | null;
  created_at: Timestamp;
}

export interface LedgerSealsTable {
  seq: number;
  hash: Buffer;
  sealed_at: Timestamp;
}

export interface PostingsTable {
  entry_seq: number;
  line: number;
  account_id: string;
  amount_cents: number;
  balance_after_cents: Generated<number>;
  account_line: Generated<number>;
}

export interface LedgerHeadTable {
  id: boolean;
  last_seq: number;
  last_hash: Buffer;
}

export type PayoutStatus = 'pending' | 'file_generated' | 'sent' | 'settled' | 'rejected' | 'nothing_to_pay';

export interface SettlementsTable {
  id: Generated<string>;
  /** 'YYYY-MM-01' */
  month: string;
  platform_fee_bp: number;
  fund_fee_bp: number;
  scans_until: Timestamp;
  subscription_monthly_cents: number;
  subscription_yearly_cents: number;
  vat_bp: number;
  redemptions: Generated<number>;
  gross_cents: Generated<number>;
  platform_fee_cents: Generated<number>;
  fund_fee_cents: Generated<number>;
  subscription_cents: Generated<number>;
  net_cents: Generated<number>;
  status: 'running' | 'done';
  started_by: string | null;
  started_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface PayoutBatchesTable {
  id: Generated<string>;
  settlement_id: string;
  message_id: string;
  transactions: number;
  control_sum_cents: number;
  requested_on: string;
  file_name: string;
  file_sha256: string;
  xml: string;
  created_at: Timestamp;
}

export interface PayoutsTable {
  id: Generated<string>;
  settlement_id: string;
  provider_id: string;
  statement_number: string;
  gross_cents: number;
  platform_fee_cents: number;
  fund_fee_cents: number;
  subscription_cents: number;
  carried_in_cents: Generated<number>;
  net_cents: number;
  iban: string | null;
  bic: string | null;
  account_holder: string | null;
  end_to_end_id: string;
  status: PayoutStatus;
  batch_id: string | null;
  rejected_reason: string | null;
  retries_payout_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The vouchers that paid a redemption, as marked (migration 0014). */
export interface RedemptionVouchersTable {
  redemption_id: string;
  voucher_id: string;
}

export interface PayoutLinesTable {
  redemption_id: string;
  payout_id: string;
  gross_cents: number;
  platform_fee_cents: number;
  fund_fee_cents: number;
  territory: string;
}

export interface ProviderSubscriptionsTable {
  provider_id: string;
  plan: 'monthly' | 'yearly';
  started_on: string | null;
  created_at: Timestamp;
}

export interface SubscriptionInvoicesTable {
  id: Generated<string>;
  provider_id: string;
  number: string;
  period_start: string;
  period_end: string;
  amount_excl_vat_cents: number;
  vat_cents: number;
  amount_incl_vat_cents: number;
  paid_by_payout_id: string | null;
  created_at: Timestamp;
}

export interface FunderInvoicesTable {
  id: Generated<string>;
  funder_id: string;
  month: string;
  number: string;
  amount_cents: number;
  created_at: Timestamp;
  /** The buyer as invoiced, copied at issue (migration 0009); null on invoices issued before it. */
  buyer_name: string | null;
  buyer_address: string | null;
  buyer_postcode: string | null;
  buyer_commune: string | null;
  buyer_siret: string | null;
}

/** A funder's billing address (migration 0009): one row per funder, none until an admin gives it. */
export interface FunderBillingDetailsTable {
  organisation_id: string;
  address: string;
  postcode: string;
  commune: string;
  siret: string | null;
  updated_at: Timestamp;
}

export interface OrderExpiryStepsTable {
  order_id: string;
  stage: 'alert_30' | 'block_15' | 'acknowledge_7' | 'credit_note';
  done_at: Timestamp;
  credit_note_number: string | null;
  amount_cents: number | null;
}

export interface JobsTable {
  id: Generated<string>;
  kind: string;
  run_at: Timestamp;
  payload: unknown;
  key: string;
  status: Generated<'pending' | 'running' | 'done' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  finished_at: Timestamp | null;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: CreatedAt;
}

export interface DB {
  organisations: OrganisationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  api_tokens: ApiTokensTable;
  sign_in_failures: SignInFailuresTable;
  audit_events: AuditEventsTable;
  referential_versions: ReferentialVersionsTable;
  referential_services: ReferentialServicesTable;
  places: PlacesTable;
  place_imports: PlaceImportsTable;
  providers: ProvidersTable;
  eligibility_answers: EligibilityAnswersTable;
  charter_acceptances: CharterAcceptancesTable;
  provider_documents: ProviderDocumentsTable;
  mediators: MediatorsTable;
  application_messages: ApplicationMessagesTable;
  catalogue_entries: CatalogueEntriesTable;
  document_counters: DocumentCountersTable;
  funder_distributors: FunderDistributorsTable;
  orders: OrdersTable;
  booklets: BookletsTable;
  vouchers: VouchersTable;
  redemptions: RedemptionsTable;
  redemption_vouchers: RedemptionVouchersTable;
  redemption_refusals: RedemptionRefusalsTable;
  idempotency_keys: IdempotencyKeysTable;
  ledger_accounts: LedgerAccountsTable;
  journal_entries: JournalEntriesTable;
  postings: PostingsTable;
  ledger_head: LedgerHeadTable;
  ledger_seals: LedgerSealsTable;
  settlements: SettlementsTable;
  payout_batches: PayoutBatchesTable;
  payouts: PayoutsTable;
  payout_lines: PayoutLinesTable;
  provider_subscriptions: ProviderSubscriptionsTable;
  subscription_invoices: SubscriptionInvoicesTable;
  funder_invoices: FunderInvoicesTable;
  funder_billing_details: FunderBillingDetailsTable;
  order_expiry_steps: OrderExpiryStepsTable;
  jobs: JobsTable;
  schema_migrations: SchemaMigrationsTable;
}
