import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domains/actor.js';
import type { ApplicationStatus } from '../../src/db/schema.js';
import { DomainError } from '../../src/domains/errors.js';
import { decideApplication, messageApplicant, reinstateProvider, suspendProvider, type ReviewDecision } from '../../src/domains/providers/review-application.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOrganisation, createPerson } from '../support/fixtures.js';
import { addPlace, createReviewProvider, placeStatuses } from '../support/review-fixtures.js';

let t: TestContext;
let operator: Actor;

beforeAll(async () => {
  t = await createTestContext();
  const organisation = await createOrganisation(t.ctx, 'operator', 'Opérateur');
  const person = await createPerson(t.ctx, 'decideur@operateur.fr', [[organisation.id, 'admin']]);
  operator = { userId: person.id, organisationId: organisation.id, apiTokenId: null };
});
afterAll(() => t.close());

async function statusOf(providerId: string) {
  return t.ctx.db.selectFrom('providers').select(['status', 'decided_at', 'suspended_at', 'suspension_reason']).where('organisation_id', '=', providerId).executeTakeFirstOrThrow();
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const STATUSES: ApplicationStatus[] = ['draft', 'submitted', 'changes_requested', 'qualified', 'refused'];
const DECISIONS: { decision: ReviewDecision; to: ApplicationStatus }[] = [
  { decision: 'request_changes', to: 'changes_requested' },
  { decision: 'qualify', to: 'qualified' },
  { decision: 'refuse', to: 'refused' },
];

describe('operator decisions on an application', () => {
  const cases = STATUSES.flatMap((from) => DECISIONS.map((d) => ({ from, ...d })));

  it.each(cases)('$decision from $from', async ({ from, decision, to }) => {
    const provider = await createReviewProvider(t.ctx, { status: from });
    const attempt = decideApplication(t.ctx, operator, { providerId: provider.id, decision, message: 'Merci de compléter les statuts.' });
    if (from === 'submitted') {
      await expect(attempt).resolves.toMatchObject({ status: to });
      expect((await statusOf(provider.id)).status).toBe(to);
    } else {
      expect(await rejection(attempt)).toBe('application_status_conflict');
      expect((await statusOf(provider.id)).status).toBe(from);
    }
  });

  it('asks for a message to request changes or refuse, not to qualify', async () => {
    for (const decision of ['request_changes', 'refuse'] as const) {
      const provider = await createReviewProvider(t.ctx);
      expect(await rejection(decideApplication(t.ctx, operator, { providerId: provider.id, decision, message: '   ' }))).toBe('review_message_required');
      expect(await rejection(decideApplication(t.ctx, operator, { providerId: provider.id, decision }))).toBe('review_message_required');
      expect(await rejection(decideApplication(t.ctx, operator, { providerId: provider.id, decision, message: 'x'.repeat(5001) }))).toBe('review_message_too_long');
      expect((await statusOf(provider.id)).status).toBe('submitted');
    }
    const provider = await createReviewProvider(t.ctx);
    await expect(decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'qualify' })).resolves.toMatchObject({ status: 'qualified' });
  });

  it('writes the message in the thread, the decision time and an audit event with before and after', async () => {
    const provider = await createReviewProvider(t.ctx);
    await decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'request_changes', message: '  Ajoutez le K-Bis.  ' });
    const messages = await t.ctx.db.selectFrom('application_messages').selectAll().where('provider_id', '=', provider.id).execute();
    expect(messages).toEqual([expect.objectContaining({ body: 'Ajoutez le K-Bis.', from_operator: true, author_id: operator.userId })]);
    expect((await statusOf(provider.id)).decided_at).toEqual(t.clock.now());
    const events = await t.ctx.db.selectFrom('audit_events').selectAll().where('subject_id', '=', provider.id).execute();
    expect(events).toEqual([
      expect.objectContaining({
        action: 'application.changes_requested',
        subject_type: 'provider',
        actor_user_id: operator.userId,
        before: { status: 'submitted' },
        after: { status: 'changes_requested', messageId: messages[0]!.id },
      }),
    ]);
  });

  it('refuses an unknown provider', async () => {
    expect(await rejection(decideApplication(t.ctx, operator, { providerId: '00000000-0000-0000-0000-000000000000', decision: 'qualify' }))).toBe('provider_unknown');
  });

  it('lets one of two operators deciding at once win; the other gets a conflict and nothing of theirs is saved', async () => {
    const provider = await createReviewProvider(t.ctx);
    const results = await Promise.allSettled([
      decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'qualify' }),
      decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'refuse', message: 'Dossier incomplet.' }),
      decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'request_changes', message: 'Ajoutez le RIB.' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as DomainError).code)).toEqual(['application_status_conflict', 'application_status_conflict']);
    const status = (await statusOf(provider.id)).status;
    expect(status).toBe((won[0] as PromiseFulfilledResult<{ status: ApplicationStatus }>).value.status);
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('subject_id', '=', provider.id).execute();
    expect(events).toHaveLength(1);
    const messages = await t.ctx.db.selectFrom('application_messages').select('id').where('provider_id', '=', provider.id).execute();
    expect(messages.length).toBe(status === 'qualified' ? 0 : 1);
  });
});

describe('places follow the qualification', () => {
  it('qualification publishes the provider’s places with its SIRET as pivot; suspension withdraws them; reinstatement publishes them again', async () => {
    const provider = await createReviewProvider(t.ctx, { siret: '73282932000074' });
    const other = await createReviewProvider(t.ctx);
    await addPlace(t.ctx, provider.id, { name: 'Médiathèque' });
    await addPlace(t.ctx, provider.id, { name: 'Bus numérique' });
    const otherPlace = await addPlace(t.ctx, other.id);

    const qualified = await decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'qualify' });
    expect(qualified.publishedPlaces).toBe(2);
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => [p.status, p.pivot])).toEqual([
      ['published', '73282932000074'],
      ['published', '73282932000074'],
    ]);
    expect(await placeStatuses(t.ctx, other.id)).toEqual([{ id: otherPlace, status: 'draft', pivot: null }]);

    t.clock.advanceMinutes(60);
    await expect(suspendProvider(t.ctx, operator, { providerId: provider.id, reason: 'Plaintes répétées.' })).resolves.toEqual({ withdrawnPlaces: 2 });
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => p.status)).toEqual(['withdrawn', 'withdrawn']);
    expect(await statusOf(provider.id)).toMatchObject({ status: 'qualified', suspended_at: t.clock.now(), suspension_reason: 'Plaintes répétées.' });

    await expect(reinstateProvider(t.ctx, operator, { providerId: provider.id })).resolves.toEqual({ publishedPlaces: 2 });
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => p.status)).toEqual(['published', 'published']);
    expect(await statusOf(provider.id)).toMatchObject({ suspended_at: null, suspension_reason: null });

    const actions = await t.ctx.db.selectFrom('audit_events').select(['action', 'before', 'after']).where('subject_id', '=', provider.id).orderBy('id').execute();
    expect(actions).toEqual([
      { action: 'application.qualified', before: { status: 'submitted' }, after: { status: 'qualified', publishedPlaces: 2 } },
      { action: 'provider.suspended', before: { suspended: false }, after: { suspended: true, reason: 'Plaintes répétées.', withdrawnPlaces: 2 } },
      { action: 'provider.reinstated', before: { suspended: true }, after: { suspended: false, publishedPlaces: 2 } },
    ]);
  });

  it('uses the RNA number as pivot for an association without SIRET', async () => {
    const provider = await createReviewProvider(t.ctx, { legalForm: 'association', siret: null, rna: 'W332012345' });
    await addPlace(t.ctx, provider.id);
    await decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'qualify' });
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => [p.status, p.pivot])).toEqual([['published', 'W332012345']]);
  });

  it('suspends only a qualified provider that is not suspended, with a reason, and reinstates only a suspended one', async () => {
    for (const status of ['draft', 'submitted', 'changes_requested', 'refused'] as const) {
      const provider = await createReviewProvider(t.ctx, { status });
      expect(await rejection(suspendProvider(t.ctx, operator, { providerId: provider.id, reason: 'Motif' }))).toBe('provider_not_suspendable');
      expect(await rejection(reinstateProvider(t.ctx, operator, { providerId: provider.id }))).toBe('provider_not_suspended');
    }
    const qualified = await createReviewProvider(t.ctx, { status: 'qualified' });
    expect(await rejection(suspendProvider(t.ctx, operator, { providerId: qualified.id, reason: ' ' }))).toBe('review_message_required');
    expect(await rejection(reinstateProvider(t.ctx, operator, { providerId: qualified.id }))).toBe('provider_not_suspended');
    const suspended = await createReviewProvider(t.ctx, { status: 'qualified', suspended: 'Déjà suspendue' });
    expect(await rejection(suspendProvider(t.ctx, operator, { providerId: suspended.id, reason: 'Encore' }))).toBe('provider_not_suspendable');
  });

  it('lets only one of two simultaneous suspensions through', async () => {
    const provider = await createReviewProvider(t.ctx, { status: 'qualified' });
    await addPlace(t.ctx, provider.id, { status: 'published', pivot: '73282932000074' });
    const results = await Promise.allSettled([
      suspendProvider(t.ctx, operator, { providerId: provider.id, reason: 'Premier motif' }),
      suspendProvider(t.ctx, operator, { providerId: provider.id, reason: 'Second motif' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as DomainError).code)).toEqual(['provider_not_suspendable']);
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('subject_id', '=', provider.id).execute();
    expect(events).toEqual([{ action: 'provider.suspended' }]);
  });
});

describe('mails to the provider’s admins', () => {
  it('mails each admin of the provider, not its members, with the message and a link to the application', async () => {
    const provider = await createReviewProvider(t.ctx, { admins: ['a1@mails.fr', 'a2@mails.fr'], members: ['m@mails.fr'] });
    const before = t.mailbox.sent.length;
    await decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'request_changes', message: 'Ajoutez vos statuts.\nMerci.' });
    const sent = t.mailbox.sent.slice(before);
    expect(sent.map((m) => m.to).sort()).toEqual(['a1@mails.fr', 'a2@mails.fr']);
    for (const mail of sent) {
      expect(mail.subject).toBe('Votre candidature passnum : des modifications sont demandées');
      expect(mail.text).toContain('> Ajoutez vos statuts.\n> Merci.');
      expect(mail.text).toContain('http://passnum.test/structure/candidature');
      expect(mail.text).toContain(provider.name);
    }
  });

  it('mails a qualification, a refusal, a suspension and a reinstatement', async () => {
    const a = await createReviewProvider(t.ctx, { admins: ['qualifiee@mails.fr'] });
    await decideApplication(t.ctx, operator, { providerId: a.id, decision: 'qualify' });
    expect(t.mailbox.sent.findLast((m) => m.to === 'qualifiee@mails.fr')?.subject).toContain('acceptée');
    await suspendProvider(t.ctx, operator, { providerId: a.id, reason: 'Contrôle en cours' });
    const suspension = t.mailbox.sent.findLast((m) => m.to === 'qualifiee@mails.fr')!;
    expect(suspension.subject).toContain('suspendue');
    expect(suspension.text).toContain('> Contrôle en cours');
    await reinstateProvider(t.ctx, operator, { providerId: a.id });
    expect(t.mailbox.sent.findLast((m) => m.to === 'qualifiee@mails.fr')?.subject).toContain('rétablie');
    const b = await createReviewProvider(t.ctx, { admins: ['refusee@mails.fr'] });
    await decideApplication(t.ctx, operator, { providerId: b.id, decision: 'refuse', message: 'Hors du champ du dispositif.' });
    const refusal = t.mailbox.sent.findLast((m) => m.to === 'refusee@mails.fr')!;
    expect(refusal.subject).toContain('pas été retenue');
    expect(refusal.text).toContain('> Hors du champ du dispositif.');
  });

  it('sends nothing when the decision fails', async () => {
    const provider = await createReviewProvider(t.ctx, { status: 'draft', admins: ['brouillon@mails.fr'] });
    await rejection(decideApplication(t.ctx, operator, { providerId: provider.id, decision: 'qualify' }));
    expect(t.mailbox.sent.filter((m) => m.to === 'brouillon@mails.fr')).toEqual([]);
  });
});

describe('a message without decision', () => {
  it('joins the thread, mails the admins and leaves the status as it is', async () => {
    const provider = await createReviewProvider(t.ctx, { status: 'changes_requested', admins: ['question@mails.fr'] });
    const { messageId } = await messageApplicant(t.ctx, operator, { providerId: provider.id, message: 'Avez-vous un lieu itinérant ?' });
    expect((await statusOf(provider.id)).status).toBe('changes_requested');
    const row = await t.ctx.db.selectFrom('application_messages').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ from_operator: true, body: 'Avez-vous un lieu itinérant ?' });
    const mail = t.mailbox.sent.findLast((m) => m.to === 'question@mails.fr')!;
    expect(mail.subject).toBe('Nouveau message de l’opérateur sur votre candidature passnum');
    expect(mail.text).toContain('> Avez-vous un lieu itinérant ?');
    const events = await t.ctx.db.selectFrom('audit_events').select(['action', 'after']).where('subject_id', '=', provider.id).execute();
    expect(events).toEqual([{ action: 'application.message_sent', after: { messageId, fromOperator: true, status: 'changes_requested' } }]);
    expect(await rejection(messageApplicant(t.ctx, operator, { providerId: provider.id, message: '' }))).toBe('review_message_required');
  });
});
