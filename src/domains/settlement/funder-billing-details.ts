import type { Kysely } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../actor.js';
import { isUuid } from '../../lib/uuid.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { validateSiret } from '../providers/identifiers.js';

/**
 * A funder's billing details: the postal address, and the SIRET when it has one, printed under its
 * name on the invoices of its orders billed on use (funder-invoices.ts, print/funder-invoice.ts).
 * One row per funder (migration 0009), none until an admin of the funder gives them (the page's
 * access, FUNDER_ADMIN, decides who may); without a row, invoices carry the name alone.
 *
 * The commune is typed, not chosen among the postcode's communes as for places and providers: a
 * public body's billing address often has a CEDEX postcode (33074 Bordeaux Cedex), which serves no
 * commune of the INSEE list. The SIRET is checked as the providers' is (validateSiret: both Luhn
 * keys, La Poste's exception), and stored as its 14 digits.
 */

export interface FunderBillingDetails {
  address: string;
  postcode: string;
  commune: string;
  siret: string | null;
}

export interface FunderBillingInput {
  address: string;
  postcode: string;
  commune: string;
  /** Optional: empty or absent means none. Spaces and dots are allowed, as on an INSEE notice. */
  siret?: string | undefined;
}

export const BILLING_ADDRESS_MAX = 300;
export const BILLING_COMMUNE_MAX = 100;

/** One line, as printed: spaces of any kind (a pasted line break too) become one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** Checks and normalises what an admin typed; each problem names its field. Pure. */
export function checkFunderBillingDetails(input: FunderBillingInput): FunderBillingDetails {
  const address = oneLine(input.address);
  if (address.length === 0 || address.length > BILLING_ADDRESS_MAX) throw new DomainError('billing_address_invalid', 'address');
  const postcode = input.postcode.trim();
  if (!/^\d{5}$/u.test(postcode)) throw new DomainError('billing_postcode_invalid', 'postcode');
  const commune = oneLine(input.commune);
  if (commune.length === 0 || commune.length > BILLING_COMMUNE_MAX) throw new DomainError('billing_commune_invalid', 'commune');
  const siretText = input.siret?.trim() ?? '';
  let siret: string | null = null;
  if (siretText) {
    const checked = validateSiret(siretText);
    if (!checked.ok) throw new DomainError('siret_invalid', 'siret');
    siret = checked.value;
  }
  return { address, postcode, commune, siret };
}

/** « 1 esplanade Charles-de-Gaulle, 33074 Bordeaux Cedex »: the address on one line, as invoices print it. */
export function formatBillingAddress(details: FunderBillingDetails): string {
  return `${details.address}, ${details.postcode} ${details.commune}`;
}

/**
 * The lines a document prints under the funder's name, as a letter's: the street, then the
 * postcode and commune on their own line (a long street would otherwise part them), then the SIRET.
 */
export function billingLines(details: FunderBillingDetails | null): string[] {
  if (!details) return [];
  return [details.address, `${details.postcode} ${details.commune}`, ...(details.siret ? [`SIRET : ${details.siret}`] : [])];
}

async function readDetails(db: Kysely<DB>, funderId: string): Promise<FunderBillingDetails | null> {
  const row = await db
    .selectFrom('funder_billing_details')
    .select(['address', 'postcode', 'commune', 'siret'])
    .where('organisation_id', '=', funderId)
    .executeTakeFirst();
  return row ?? null;
}

/** The funder's billing details, or null when none were given. */
export function loadFunderBillingDetails(ctx: AppContext, funderId: string): Promise<FunderBillingDetails | null> {
  return readDetails(ctx.db, funderId);
}

/**
 * The columns that copy the buyer onto a document when it is issued (funder_invoices, 0009;
 * orders, 0010): an issued document never changes, whatever the funder later renames or moves.
 */
export interface BuyerColumns {
  buyer_name: string | null;
  buyer_address: string | null;
  buyer_postcode: string | null;
  buyer_commune: string | null;
  buyer_siret: string | null;
}

/** The funder as a document issued now names it: its name, and its billing details if any. */
export async function buyerColumnsOf(db: Kysely<DB>, funderId: string): Promise<BuyerColumns> {
  const row = await db
    .selectFrom('organisations')
    .leftJoin('funder_billing_details as billing', 'billing.organisation_id', 'organisations.id')
    .select(['organisations.name', 'billing.address', 'billing.postcode', 'billing.commune', 'billing.siret'])
    .where('organisations.id', '=', funderId)
    .executeTakeFirstOrThrow();
  return { buyer_name: row.name, buyer_address: row.address, buyer_postcode: row.postcode, buyer_commune: row.commune, buyer_siret: row.siret };
}

/**
 * The buyer a document was issued to, from its copy; a document issued before copies existed
 * (migrations 0009 and 0010) names the funder as it is called today, without an address, as it did.
 */
export function issuedBuyer(columns: BuyerColumns, currentName: string): { name: string; billing: FunderBillingDetails | null } {
  const { buyer_address: address, buyer_postcode: postcode, buyer_commune: commune } = columns;
  return {
    name: columns.buyer_name ?? currentName,
    billing: address !== null && postcode !== null && commune !== null ? { address, postcode, commune, siret: columns.buyer_siret } : null,
  };
}

function sameDetails(a: FunderBillingDetails, b: FunderBillingDetails): boolean {
  return a.address === b.address && a.postcode === b.postcode && a.commune === b.commune && a.siret === b.siret;
}

/**
 * A funder's admin saves its billing details (the first time, or again): written with their audit
 * event `funder.billing_details_updated` (before, after) in one transaction. The same details again
 * write nothing (`changed: false`). Refused as `organisation_unknown` for anything but a funder.
 */
export async function saveFunderBillingDetails(ctx: AppContext, actor: Actor, funderId: string, input: FunderBillingInput): Promise<{ changed: boolean }> {
  const details = checkFunderBillingDetails(input);
  if (!isUuid(funderId)) throw new DomainError('organisation_unknown');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    // The funder's row, locked: of two admins saving at once, the second waits and journals the
    // first one's details as its "before". No key update: orders and invoices may still reference it.
    const funder = await trx.selectFrom('organisations').select('kind').where('id', '=', funderId).forNoKeyUpdate().executeTakeFirst();
    if (funder?.kind !== 'funder') throw new DomainError('organisation_unknown');
    const before = await readDetails(trx, funderId);
    if (before && sameDetails(before, details)) return { changed: false };
    await trx
      .insertInto('funder_billing_details')
      .values({ organisation_id: funderId, ...details, updated_at: now })
      .onConflict((oc) => oc.column('organisation_id').doUpdateSet({ ...details, updated_at: now }))
      .execute();
    await recordAuditEvent(trx, actor, now, {
      action: 'funder.billing_details_updated',
      subjectType: 'organisation',
      subjectId: funderId,
      before: before ? { ...before } : null,
      after: { ...details },
    });
    return { changed: true };
  });
}
