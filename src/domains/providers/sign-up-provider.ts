import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { normaliseEmail, passwordProblem } from '../accounts/model.js';
import { hashPassword } from '../accounts/passwords.js';
import { findUserByEmail, insertMembership, insertOrganisation, insertUser } from '../accounts/repository.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { checkPostcodeMatchesCommune, communesForPostcode, type Commune } from '../territories/communes.js';
import type { LegalForm } from './application.js';
import { validateRna, validateSiret } from './identifiers.js';

export interface ProviderSignUp {
  organisationName: string;
  legalForm: LegalForm;
  /** Empty or absent when an association gives only its RNA number. */
  siret?: string | undefined;
  rna?: string | undefined;
  address: string;
  postcode: string;
  /** The commune, chosen among those of the postcode; may be left out when the postcode has only one. */
  inseeCode?: string | undefined;
  adminName: string;
  email: string;
  password: string;
}

/** SIRET (checksum, La Poste exception) or, for an association only, RNA number. */
export function checkLegalIdentifiers(input: { legalForm: LegalForm; siret?: string | undefined; rna?: string | undefined }): {
  siret: string | null;
  rna: string | null;
} {
  const siretText = input.siret?.trim() ?? '';
  const rnaText = input.rna?.trim() ?? '';
  if (rnaText && input.legalForm !== 'association') throw new DomainError('rna_only_for_associations', 'rna');
  let siret: string | null = null;
  if (siretText) {
    const checked = validateSiret(siretText);
    if (!checked.ok) throw new DomainError('siret_invalid', 'siret');
    siret = checked.value;
  }
  let rna: string | null = null;
  if (rnaText) {
    const checked = validateRna(rnaText);
    if (!checked.ok) throw new DomainError('rna_invalid', 'rna');
    rna = checked.value;
  }
  if (!siret && !rna) throw new DomainError('legal_identifier_missing', 'siret');
  return { siret, rna };
}

/**
 * The commune of an address: the one chosen when it matches the postcode, or the only commune of
 * the postcode. When the postcode serves several communes and none was chosen, `commune_required`
 * (field inseeCode): the page then offers them in a list.
 */
export function resolveCommune(postcode: string, inseeCode: string | undefined): Commune {
  const code = inseeCode?.trim() ?? '';
  if (!code) {
    const candidates = communesForPostcode(postcode.trim());
    if (candidates.length === 0) throw new DomainError('postcode_unknown', 'postcode');
    if (candidates.length > 1) throw new DomainError('commune_required', 'inseeCode');
    return candidates[0]!;
  }
  const checked = checkPostcodeMatchesCommune(postcode.trim(), code);
  if (!checked.ok) throw new DomainError(checked.reason, checked.reason === 'postcode_unknown' ? 'postcode' : 'inseeCode');
  return checked.value;
}

/**
 * A provider signs itself up: the organisation, its first admin, and a draft application, in one
 * transaction with their audit events. The caller opens a session for the returned user.
 */
export async function signUpProvider(ctx: AppContext, input: ProviderSignUp): Promise<{ userId: string; organisationId: string }> {
  const identifiers = checkLegalIdentifiers(input);
  const commune = resolveCommune(input.postcode, input.inseeCode);
  const problem = passwordProblem(input.password);
  if (problem) throw new DomainError(problem, 'password');
  const email = normaliseEmail(input.email);
  // Checked before the (slow) hash so that a taken address answers at once; the unique index
  // settles the race of two sign-ups with one address.
  if (await findUserByEmail(ctx.db, email)) throw new DomainError('email_taken', 'email');
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const organisation = await insertOrganisation(trx, { kind: 'provider', name: input.organisationName.trim() });
      const user = await insertUser(trx, { email, displayName: input.adminName.trim(), passwordHash });
      await insertMembership(trx, { userId: user.id, organisationId: organisation.id, role: 'admin' });
      await trx
        .insertInto('providers')
        .values({
          organisation_id: organisation.id,
          legal_form: input.legalForm,
          siret: identifiers.siret,
          rna: identifiers.rna,
          address: input.address.trim(),
          postcode: input.postcode.trim(),
          insee_code: commune.code,
          commune: commune.name,
          status: 'draft',
          created_at: now,
          updated_at: now,
        })
        .execute();
      const actor: Actor = { userId: user.id, organisationId: organisation.id, apiTokenId: null };
      await recordAuditEvent(trx, actor, now, { action: 'user.created', subjectType: 'user', subjectId: user.id, after: { email, displayName: user.display_name } });
      await recordAuditEvent(trx, actor, now, {
        action: 'organisation.created',
        subjectType: 'organisation',
        subjectId: organisation.id,
        after: { kind: 'provider', name: organisation.name, selfSignUp: true },
      });
      await recordAuditEvent(trx, actor, now, {
        action: 'membership.created',
        subjectType: 'membership',
        subjectId: `${organisation.id}:${user.id}`,
        after: { organisationId: organisation.id, userId: user.id, role: 'admin' },
      });
      await recordAuditEvent(trx, actor, now, {
        action: 'provider.signed_up',
        subjectType: 'provider',
        subjectId: organisation.id,
        after: { legalForm: input.legalForm, siret: identifiers.siret, rna: identifiers.rna, inseeCode: commune.code, status: 'draft' },
      });
      return { userId: user.id, organisationId: organisation.id };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_key')) throw new DomainError('email_taken', 'email');
    throw error;
  }
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, constraint: name, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  return code === '23505' && (name === constraint || (typeof message === 'string' && message.includes(constraint)));
}
