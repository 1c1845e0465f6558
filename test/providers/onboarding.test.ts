import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptCharter } from '../../src/domains/providers/accept-charter.js';
import { answerEligibility } from '../../src/domains/providers/answer-eligibility.js';
import { postApplicantMessage } from '../../src/domains/providers/applicant-messages.js';
import { DOCUMENT_MAX_BYTES } from '../../src/domains/providers/application.js';
import { readDocument, sniffMediaType, uploadDocument } from '../../src/domains/providers/documents.js';
import { ELIGIBILITY_QUESTIONNAIRE } from '../../src/domains/providers/eligibility.js';
import { addMediator, removeMediator } from '../../src/domains/providers/mediators.js';
import { updateProviderProfile } from '../../src/domains/providers/provider-profile.js';
import { loadApplication } from '../../src/domains/providers/repository.js';
import { signUpProvider } from '../../src/domains/providers/sign-up-provider.js';
import { submitApplication } from '../../src/domains/providers/submit-application.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOrganisation, createPerson } from '../support/fixtures.js';
import {
  BIC,
  IBAN,
  JPEG,
  PDF,
  PNG,
  completeApplication,
  createApplicant,
  eligibleAnswers,
  signUpInput,
  weakAnswers,
} from '../support/provider-fixtures.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function countRows() {
  const count = async (table: 'organisations' | 'users' | 'memberships' | 'providers' | 'audit_events') =>
    (await t.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  return {
    organisations: await count('organisations'),
    users: await count('users'),
    memberships: await count('memberships'),
    providers: await count('providers'),
    audit: await count('audit_events'),
  };
}

describe('provider sign-up', () => {
  it('creates the organisation, its admin, the membership and a draft application, with audit events', async () => {
    const input = signUpInput({ email: 'Nouvelle@Lieu.test' });
    const { userId, organisationId } = await signUpProvider(t.ctx, input);
    const organisation = await t.ctx.db.selectFrom('organisations').selectAll().where('id', '=', organisationId).executeTakeFirstOrThrow();
    expect(organisation).toMatchObject({ kind: 'provider', name: 'Médiathèque des Chartrons' });
    const user = await t.ctx.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    expect(user.email).toBe('nouvelle@lieu.test');
    expect(user.password_hash).toMatch(/^\$argon2/);
    const membership = await t.ctx.db.selectFrom('memberships').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect(membership).toMatchObject({ organisation_id: organisationId, role: 'admin' });
    const application = await loadApplication(t.ctx.db, organisationId);
    expect(application.provider).toMatchObject({ status: 'draft', legal_form: 'public_body', siret: '21330063500017', insee_code: '33063', commune: 'Bordeaux' });
    expect(application.submissionGaps).toEqual(['not_eligible', 'charter_not_accepted', 'no_place', 'no_active_service', 'missing_documents', 'missing_bank_details']);
    const actions = await t.ctx.db.selectFrom('audit_events').select('action').where('actor_organisation_id', '=', organisationId).execute();
    expect(actions.map((a) => a.action).sort()).toEqual(['membership.created', 'organisation.created', 'provider.signed_up', 'user.created']);
  });

  it('accepts a La Poste establishment SIRET (digit sum multiple of 5) and an association with only an RNA number', async () => {
    await expect(signUpProvider(t.ctx, signUpInput({ legalForm: 'company', siret: '356 000 000 01235' }))).resolves.toBeDefined();
    const association = await signUpProvider(t.ctx, signUpInput({ legalForm: 'association', siret: '', rna: 'w751234567' }));
    expect((await loadApplication(t.ctx.db, association.organisationId)).provider).toMatchObject({ siret: null, rna: 'W751234567' });
  });

  it.each([
    [{ siret: '21330063500018' }, 'siret_invalid', 'siret'],
    [{ siret: '00000000000000' }, 'siret_invalid', 'siret'],
    [{ siret: '' }, 'legal_identifier_missing', 'siret'],
    [{ siret: '', rna: 'W751234567', legalForm: 'company' as const }, 'rna_only_for_associations', 'rna'],
    [{ legalForm: 'association' as const, siret: '', rna: 'X12' }, 'rna_invalid', 'rna'],
    [{ postcode: '99999', inseeCode: '' }, 'postcode_unknown', 'postcode'],
    [{ postcode: '01200', inseeCode: '' }, 'commune_required', 'inseeCode'],
    [{ postcode: '33000', inseeCode: '75112' }, 'postcode_commune_mismatch', 'inseeCode'],
    [{ password: 'court' }, 'password_too_weak', 'password'],
  ])('refuses %o with %s and writes nothing', async (overrides, code, field) => {
    const before = await countRows();
    await expect(signUpProvider(t.ctx, signUpInput(overrides))).rejects.toMatchObject({ code, field });
    expect(await countRows()).toEqual(before);
  });

  it('chooses the only commune of a postcode, and checks the one chosen among several', async () => {
    const single = await signUpProvider(t.ctx, signUpInput({ postcode: '33000', inseeCode: '' }));
    expect((await loadApplication(t.ctx.db, single.organisationId)).provider.insee_code).toBe('33063');
    const chosen = await signUpProvider(t.ctx, signUpInput({ postcode: '01200', inseeCode: '74109' }));
    expect((await loadApplication(t.ctx.db, chosen.organisationId)).provider.commune).toBe('Éloise');
  });

  it('refuses an e-mail that already has an account, with no partial write', async () => {
    await createPerson(t.ctx, 'deja@lieu.test');
    const before = await countRows();
    await expect(signUpProvider(t.ctx, signUpInput({ email: 'DEJA@lieu.test' }))).rejects.toMatchObject({ code: 'email_taken', field: 'email' });
    expect(await countRows()).toEqual(before);
  });

  it('lets only one of two simultaneous sign-ups with one address through', async () => {
    const email = 'course@lieu.test';
    const results = await Promise.allSettled([signUpProvider(t.ctx, signUpInput({ email })), signUpProvider(t.ctx, signUpInput({ email }))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'email_taken' } });
    const users = await t.ctx.db.selectFrom('users').select('id').where('email', '=', email).execute();
    expect(users).toHaveLength(1);
  });
});

describe('profile and bank details', () => {
  it('stores a valid IBAN and BIC normalised, and refuses bad ones', async () => {
    const a = await createApplicant(t.ctx);
    const base = { organisationName: 'Nouveau nom', legalForm: 'public_body' as const, siret: '21330063500017', address: '1 place Pey-Berland', postcode: '33000', inseeCode: '33063' };
    await expect(updateProviderProfile(t.ctx, a.actor, a.providerId, { ...base, iban: 'FR76 3000 6000 0112 3456 7890 188', bic: BIC, accountHolder: 'X' })).rejects.toMatchObject({ code: 'iban_invalid', field: 'iban' });
    await expect(updateProviderProfile(t.ctx, a.actor, a.providerId, { ...base, iban: IBAN, bic: 'AGRI', accountHolder: 'X' })).rejects.toMatchObject({ code: 'bic_invalid', field: 'bic' });
    await expect(updateProviderProfile(t.ctx, a.actor, a.providerId, { ...base, iban: IBAN, bic: BIC, accountHolder: ' ' })).rejects.toMatchObject({ code: 'account_holder_missing' });
    await updateProviderProfile(t.ctx, a.actor, a.providerId, { ...base, iban: 'fr76 3000 6000 0112 3456 7890 189', bic: 'agri frpp', accountHolder: 'Ville de Bordeaux' });
    const { provider, submissionGaps } = await loadApplication(t.ctx.db, a.providerId);
    expect(provider).toMatchObject({ organisationName: 'Nouveau nom', iban: IBAN, bic: BIC, account_holder: 'Ville de Bordeaux', address: '1 place Pey-Berland' });
    expect(submissionGaps).not.toContain('missing_bank_details');
  });
});

describe('eligibility questionnaire', () => {
  it('stores each answer with the questionnaire version and outcome; the latest counts', async () => {
    const a = await createApplicant(t.ctx);
    const weak = await answerEligibility(t.ctx, a.actor, a.providerId, weakAnswers());
    expect(weak.outcome).toBe('not_yet');
    expect((await loadApplication(t.ctx.db, a.providerId)).submissionGaps).toContain('not_eligible');
    t.clock.advanceMinutes(1);
    const good = await answerEligibility(t.ctx, a.actor, a.providerId, { ...eligibleAnswers(), intruder: 'x' });
    expect(good.outcome).toBe('eligible');
    const rows = await t.ctx.db.selectFrom('eligibility_answers').selectAll().where('provider_id', '=', a.providerId).orderBy('answered_at').execute();
    expect(rows.map((r) => [r.questionnaire_version, r.outcome])).toEqual([
      [ELIGIBILITY_QUESTIONNAIRE.version, 'not_yet'],
      [ELIGIBILITY_QUESTIONNAIRE.version, 'eligible'],
    ]);
    expect(rows[1]!.answers).not.toHaveProperty('intruder');
    const application = await loadApplication(t.ctx.db, a.providerId);
    expect(application.eligibility?.outcome).toBe('eligible');
    expect(application.submissionGaps).not.toContain('not_eligible');
  });

  it('refuses an incomplete questionnaire and stores nothing', async () => {
    const a = await createApplicant(t.ctx);
    const answers = eligibleAnswers();
    delete answers[ELIGIBILITY_QUESTIONNAIRE.themes[0].questions[0].code];
    await expect(answerEligibility(t.ctx, a.actor, a.providerId, answers)).rejects.toMatchObject({ code: 'eligibility_incomplete' });
    expect(await t.ctx.db.selectFrom('eligibility_answers').select('id').where('provider_id', '=', a.providerId).execute()).toHaveLength(0);
  });
});

describe('charter', () => {
  it('records the acceptance once per version, with who and when', async () => {
    const a = await createApplicant(t.ctx);
    expect(await acceptCharter(t.ctx, a.actor, a.providerId)).toMatchObject({ alreadyAccepted: false });
    t.clock.advanceMinutes(5);
    expect(await acceptCharter(t.ctx, a.actor, a.providerId)).toMatchObject({ alreadyAccepted: true });
    const [first, second] = await Promise.all([acceptCharter(t.ctx, a.actor, a.providerId), acceptCharter(t.ctx, a.actor, a.providerId)]);
    expect(first.alreadyAccepted && second.alreadyAccepted).toBe(true);
    const { charterAcceptances, currentCharterVersion } = await loadApplication(t.ctx.db, a.providerId);
    expect(charterAcceptances).toEqual([{ version: currentCharterVersion, acceptedAt: expect.any(Date), acceptedById: a.adminId, acceptedByName: 'Alix Admin' }]);
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('subject_id', '=', a.providerId).where('action', '=', 'charter.accepted').execute();
    expect(events).toHaveLength(1);
  });
});

describe('documents', () => {
  it('reads the type from the content, not the name or declared type', () => {
    expect(sniffMediaType(PDF)).toBe('application/pdf');
    expect(sniffMediaType(PNG)).toBe('image/png');
    expect(sniffMediaType(JPEG)).toBe('image/jpeg');
    expect(sniffMediaType(Buffer.from('<html><script>alert(1)</script>'))).toBeUndefined();
    expect(sniffMediaType(Buffer.from('MZ\x90\x00'))).toBeUndefined();
  });

  it('stores a document of a required kind, and keeps replaced versions as history', async () => {
    const a = await createApplicant(t.ctx);
    const first = await uploadDocument(t.ctx, a.actor, a.providerId, { kind: 'rib', fileName: 'C:\\Mes documents\\rib.pdf', content: PDF });
    t.clock.advanceMinutes(1);
    const second = await uploadDocument(t.ctx, a.actor, a.providerId, { kind: 'rib', fileName: 'rib-2.png', content: PNG });
    const application = await loadApplication(t.ctx.db, a.providerId);
    expect(application.documents.map((d) => d.id)).toEqual([second.documentId, first.documentId]);
    expect(application.currentDocuments.get('rib')).toMatchObject({ id: second.documentId, mediaType: 'image/png', fileName: 'rib-2.png' });
    expect(application.documents[1]).toMatchObject({ fileName: 'rib.pdf', mediaType: 'application/pdf', sizeBytes: PDF.length });
    expect(application.documents[0]).not.toHaveProperty('content');
    expect(application.missingDocuments).toEqual(['identity', 'authorisation']);
    expect((await readDocument(t.ctx, a.providerId, first.documentId)).content.equals(PDF)).toBe(true);
  });

  it.each([
    ['a kind not asked of the legal form', { kind: 'kbis', content: PDF }, 'document_kind_not_required'],
    ['an unknown kind', { kind: 'passport', content: PDF }, 'document_kind_not_required'],
    ['HTML named and declared as a PDF', { kind: 'rib', content: Buffer.from('<!doctype html><script>alert(1)</script>') }, 'document_type_not_allowed'],
    ['an empty file', { kind: 'rib', content: Buffer.alloc(0) }, 'document_missing'],
    ['a file over the size limit', { kind: 'rib', content: Buffer.concat([PDF, Buffer.alloc(DOCUMENT_MAX_BYTES)]) }, 'document_too_large'],
    ['a file cut at the limit on its way in', { kind: 'rib', content: PDF, truncated: true }, 'document_too_large'],
  ])('refuses %s and saves nothing', async (_name, upload, code) => {
    const a = await createApplicant(t.ctx);
    await expect(uploadDocument(t.ctx, a.actor, a.providerId, { fileName: 'piece.pdf', ...upload })).rejects.toMatchObject({ code });
    expect(await t.ctx.db.selectFrom('provider_documents').select('id').where('provider_id', '=', a.providerId).execute()).toHaveLength(0);
  });

  it('never gives a document to another provider', async () => {
    const a = await createApplicant(t.ctx);
    const b = await createApplicant(t.ctx);
    const { documentId } = await uploadDocument(t.ctx, a.actor, a.providerId, { kind: 'rib', fileName: 'rib.pdf', content: PDF });
    await expect(readDocument(t.ctx, b.providerId, documentId)).rejects.toMatchObject({ code: 'document_unknown' });
    await expect(readDocument(t.ctx, a.providerId, 'not-a-uuid')).rejects.toMatchObject({ code: 'document_unknown' });
  });
});

describe('mediators', () => {
  it('requires volunteers and civic-service staff to be trained; employees need not be', async () => {
    const a = await createApplicant(t.ctx);
    await expect(addMediator(t.ctx, a.actor, a.providerId, { name: 'Béné Vole', status: 'volunteer', trained: false })).rejects.toMatchObject({ code: 'mediator_training_required' });
    await expect(addMediator(t.ctx, a.actor, a.providerId, { name: 'Service Civique', status: 'civic_service', trained: true, training: ' ' })).rejects.toMatchObject({ code: 'mediator_training_required' });
    await addMediator(t.ctx, a.actor, a.providerId, { name: 'Sam Salarié', status: 'employee', trained: false });
    const { mediatorId } = await addMediator(t.ctx, a.actor, a.providerId, { name: 'Béné Vole', status: 'volunteer', trained: true, training: 'Formation Aidants Connect' });
    expect((await loadApplication(t.ctx.db, a.providerId)).mediators.map((m) => [m.name, m.status, m.trained])).toEqual([
      ['Béné Vole', 'volunteer', true],
      ['Sam Salarié', 'employee', false],
    ]);
    await removeMediator(t.ctx, a.actor, a.providerId, mediatorId);
    expect((await loadApplication(t.ctx.db, a.providerId)).mediators).toHaveLength(1);
    await expect(removeMediator(t.ctx, a.actor, a.providerId, mediatorId)).rejects.toMatchObject({ code: 'mediator_unknown' });
  });
});

describe('submitting the application', () => {
  it('is refused while something is missing, with the gaps', async () => {
    const a = await createApplicant(t.ctx);
    await expect(submitApplication(t.ctx, a.actor, a.providerId)).rejects.toMatchObject({ code: 'application_incomplete', gaps: expect.arrayContaining(['not_eligible']) });
    expect((await loadApplication(t.ctx.db, a.providerId)).provider.status).toBe('draft');
  });

  it('moves a complete application to submitted, mails the operator, and then freezes it', async () => {
    const operator = await createOrganisation(t.ctx, 'operator', 'Opérateur');
    await createPerson(t.ctx, 'revue@operateur.test', [[operator.id, 'admin']]);
    await createPerson(t.ctx, 'agent@operateur.test', [[operator.id, 'member']]);
    const a = await createApplicant(t.ctx);
    await completeApplication(t.ctx, a);
    expect((await loadApplication(t.ctx.db, a.providerId)).submissionGaps).toEqual([]);
    await submitApplication(t.ctx, a.actor, a.providerId);
    const { provider } = await loadApplication(t.ctx.db, a.providerId);
    expect(provider).toMatchObject({ status: 'submitted', submitted_at: t.clock.now() });
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.mailbox.sent.filter((m) => m.to === 'revue@operateur.test').at(-1)?.text).toContain(`/operateur/candidatures/${a.providerId}`);
    expect(t.mailbox.sent.some((m) => m.to === 'agent@operateur.test')).toBe(false);
    expect(t.mailbox.sent.some((m) => m.to === a.adminEmail && m.subject.includes('envoyée'))).toBe(true);
    const event = await t.ctx.db.selectFrom('audit_events').selectAll().where('subject_id', '=', a.providerId).where('action', '=', 'application.submitted').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ actor_user_id: a.adminId, before: { status: 'draft' }, after: { status: 'submitted' } });

    await expect(submitApplication(t.ctx, a.actor, a.providerId)).rejects.toMatchObject({ code: 'application_status_changed' });
    await expect(uploadDocument(t.ctx, a.actor, a.providerId, { kind: 'rib', fileName: 'rib.pdf', content: PDF })).rejects.toMatchObject({ code: 'application_not_editable' });
    await expect(answerEligibility(t.ctx, a.actor, a.providerId, eligibleAnswers())).rejects.toMatchObject({ code: 'application_not_editable' });
    await expect(addMediator(t.ctx, a.actor, a.providerId, { name: 'X', status: 'employee', trained: true })).rejects.toMatchObject({ code: 'application_not_editable' });
    // Messages stay possible while the operator examines the application.
    await postApplicantMessage(t.ctx, a.actor, a.providerId, '  Une précision sur notre lieu.  ');
    expect((await loadApplication(t.ctx.db, a.providerId)).messages).toMatchObject([{ body: 'Une précision sur notre lieu.', fromOperator: false, authorName: 'Alix Admin' }]);
  });

  it('lets one of two simultaneous submissions through', async () => {
    const a = await createApplicant(t.ctx);
    await completeApplication(t.ctx, a);
    const results = await Promise.allSettled([submitApplication(t.ctx, a.actor, a.providerId), submitApplication(t.ctx, a.actor, a.providerId)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'application_status_changed' } });
    const events = await t.ctx.db.selectFrom('audit_events').select('id').where('subject_id', '=', a.providerId).where('action', '=', 'application.submitted').execute();
    expect(events).toHaveLength(1);
  });

  it('submits again after the operator asked for changes', async () => {
    const a = await createApplicant(t.ctx);
    await completeApplication(t.ctx, a);
    await submitApplication(t.ctx, a.actor, a.providerId);
    await t.ctx.db.updateTable('providers').set({ status: 'changes_requested' }).where('organisation_id', '=', a.providerId).execute();
    await uploadDocument(t.ctx, a.actor, a.providerId, { kind: 'rib', fileName: 'rib.jpg', content: JPEG });
    await submitApplication(t.ctx, a.actor, a.providerId);
    expect((await loadApplication(t.ctx.db, a.providerId)).provider.status).toBe('submitted');
  });
});

describe('loadApplication', () => {
  it('refuses an organisation that has no application', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    await expect(loadApplication(t.ctx.db, funder.id)).rejects.toMatchObject({ code: 'provider_unknown' });
  });
});
