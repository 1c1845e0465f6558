import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import type { LegalForm } from './application.js';
import { validateBic, validateIban } from './identifiers.js';
import { lockEditableProvider } from './repository.js';
import { checkLegalIdentifiers, resolveCommune } from './sign-up-provider.js';

export interface ProviderProfileInput {
  organisationName: string;
  legalForm: LegalForm;
  siret?: string | undefined;
  rna?: string | undefined;
  address: string;
  postcode: string;
  inseeCode?: string | undefined;
  /** Bank details: all three, or none yet. */
  iban?: string | undefined;
  bic?: string | undefined;
  accountHolder?: string | undefined;
}

/** Checks the bank details: SEPA IBAN (checksum), BIC, and the holder's name, together. */
export function checkBankDetails(input: { iban?: string | undefined; bic?: string | undefined; accountHolder?: string | undefined }) {
  const iban = input.iban?.trim() ?? '';
  const bic = input.bic?.trim() ?? '';
  const accountHolder = input.accountHolder?.trim() ?? '';
  if (!iban && !bic && !accountHolder) return { iban: null, bic: null, accountHolder: null };
  const checkedIban = validateIban(iban);
  if (!checkedIban.ok) throw new DomainError('iban_invalid', 'iban');
  const checkedBic = validateBic(bic);
  if (!checkedBic.ok) throw new DomainError('bic_invalid', 'bic');
  if (!accountHolder) throw new DomainError('account_holder_missing', 'accountHolder');
  return { iban: checkedIban.value.iban, bic: checkedBic.value, accountHolder };
}

/** The applicant updates its legal data and bank details while the application is editable. */
export async function updateProviderProfile(ctx: AppContext, actor: Actor, providerId: string, input: ProviderProfileInput): Promise<void> {
  const identifiers = checkLegalIdentifiers(input);
  const commune = resolveCommune(input.postcode, input.inseeCode);
  const bank = checkBankDetails(input);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const before = await lockEditableProvider(trx, providerId);
    await trx.updateTable('organisations').set({ name: input.organisationName.trim() }).where('id', '=', providerId).execute();
    await trx
      .updateTable('providers')
      .set({
        legal_form: input.legalForm,
        siret: identifiers.siret,
        rna: identifiers.rna,
        address: input.address.trim(),
        postcode: input.postcode.trim(),
        insee_code: commune.code,
        commune: commune.name,
        iban: bank.iban,
        bic: bank.bic,
        account_holder: bank.accountHolder,
        updated_at: now,
      })
      .where('organisation_id', '=', providerId)
      .execute();
    await recordAuditEvent(trx, actor, now, {
      action: 'provider.profile_updated',
      subjectType: 'provider',
      subjectId: providerId,
      // The IBAN is identified by its last four characters only: the journal is widely readable.
      before: {
        name: before.organisationName,
        legalForm: before.legal_form,
        siret: before.siret,
        rna: before.rna,
        address: before.address,
        inseeCode: before.insee_code,
        ibanEnd: before.iban?.slice(-4) ?? null,
        bic: before.bic,
        accountHolder: before.account_holder,
      },
      after: {
        name: input.organisationName.trim(),
        legalForm: input.legalForm,
        siret: identifiers.siret,
        rna: identifiers.rna,
        address: input.address.trim(),
        inseeCode: commune.code,
        ibanEnd: bank.iban?.slice(-4) ?? null,
        bic: bank.bic,
        accountHolder: bank.accountHolder,
      },
    });
  });
}
