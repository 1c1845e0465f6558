import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_PAGE_SIZE, listApplicationsForReview, loadApplicationForReview, type ReviewQueueFilter } from '../../src/domains/providers/review-queue.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { addPlace, completeApplication, createReviewProvider } from '../support/review-fixtures.js';

let t: TestContext;
const at = (day: number) => new Date(Date.UTC(2026, 1, day, 10));

beforeAll(async () => {
  t = await createTestContext();
  await createReviewProvider(t.ctx, { name: 'Zèbre numérique', submittedAt: at(10), legalForm: 'company', siret: '11111111100011' });
  await createReviewProvider(t.ctx, { name: 'Association Ajaccio', submittedAt: at(3), inseeCode: '2A004', postcode: '20000', commune: 'Ajaccio', siret: '22222222200022' });
  await createReviewProvider(t.ctx, { name: 'Médiathèque de Saint-Denis', submittedAt: at(5), legalForm: 'public_body', inseeCode: '97411', postcode: '97400', commune: 'Saint-Denis', siret: '33333333300033' });
  await createReviewProvider(t.ctx, { name: 'Cyber 100%_sûr', submittedAt: at(7), siret: '44444444400044' });
  await createReviewProvider(t.ctx, { name: 'Brouillon', status: 'draft' });
  await createReviewProvider(t.ctx, { name: 'Qualifiée suspendue', status: 'qualified', suspended: 'Contrôle' });
  await createReviewProvider(t.ctx, { name: 'Qualifiée active', status: 'qualified' });
});
afterAll(() => t.close());

const list = (filter: Partial<ReviewQueueFilter>) => listApplicationsForReview(t.ctx.db, { status: 'submitted', page: 1, ...filter });
const names = async (filter: Partial<ReviewQueueFilter>) => (await list(filter)).rows.map((r) => r.name);

describe('the review queue', () => {
  it('lists submitted applications, oldest submission first', async () => {
    expect(await names({})).toEqual(['Association Ajaccio', 'Médiathèque de Saint-Denis', 'Cyber 100%_sûr', 'Zèbre numérique']);
  });

  it('filters by status, suspended providers apart', async () => {
    expect(await names({ status: 'draft' })).toEqual(['Brouillon']);
    expect(await names({ status: 'suspended' })).toEqual(['Qualifiée suspendue']);
    expect((await names({ status: 'qualified' })).sort()).toEqual(['Qualifiée active', 'Qualifiée suspendue']);
    expect((await list({ status: 'all' })).total).toBe(7);
    // Drafts were never submitted: they come last.
    expect((await names({ status: 'all' })).at(-1)).toBe('Brouillon');
  });

  it('filters by département, Corsican and overseas ones included', async () => {
    expect(await names({ departement: '2A' })).toEqual(['Association Ajaccio']);
    expect(await names({ departement: '974' })).toEqual(['Médiathèque de Saint-Denis']);
    expect(await names({ departement: '33' })).toEqual(['Cyber 100%_sûr', 'Zèbre numérique']);
  });

  it('filters by legal form', async () => {
    expect(await names({ legalForm: 'public_body' })).toEqual(['Médiathèque de Saint-Denis']);
    expect(await names({ legalForm: 'company' })).toEqual(['Zèbre numérique']);
  });

  it('searches the name (case-insensitive, wildcards taken literally) and the start of the SIRET', async () => {
    expect(await names({ text: 'ajaccio' })).toEqual(['Association Ajaccio']);
    expect(await names({ text: '100%_' })).toEqual(['Cyber 100%_sûr']);
    expect(await names({ text: '%' })).toEqual(['Cyber 100%_sûr']);
    expect(await names({ text: '333 333 333' })).toEqual(['Médiathèque de Saint-Denis']);
    expect(await names({ text: 'inconnu' })).toEqual([]);
  });

  it('pages through a long queue', async () => {
    for (let i = 0; i < REVIEW_PAGE_SIZE + 2; i++) {
      await createReviewProvider(t.ctx, { name: `Pagination ${String(i).padStart(2, '0')}`, submittedAt: new Date(Date.UTC(2026, 0, 1, 0, i)), legalForm: 'sole_trader' });
    }
    const first = await list({ text: 'Pagination', page: 1 });
    const second = await list({ text: 'Pagination', page: 2 });
    expect(first.total).toBe(REVIEW_PAGE_SIZE + 2);
    expect(first.rows).toHaveLength(REVIEW_PAGE_SIZE);
    expect(first.rows[0]!.name).toBe('Pagination 00');
    expect(second.rows.map((r) => r.name)).toEqual([`Pagination ${REVIEW_PAGE_SIZE}`, `Pagination ${REVIEW_PAGE_SIZE + 1}`]);
  });
});

describe('one application for review', () => {
  it('gathers eligibility, charter, documents by kind, mediators, places and catalogue, messages and history', async () => {
    const provider = await createReviewProvider(t.ctx, { name: 'Dossier complet' });
    const { documentId } = await completeApplication(t.ctx, provider.id, provider.admins[0]!.id);
    await addPlace(t.ctx, provider.id, { name: 'Médiathèque' });
    const review = (await loadApplicationForReview(t.ctx.db, provider.id))!;
    expect(review.provider.name).toBe('Dossier complet');
    expect(review.admins.map((a) => a.email)).toEqual([provider.admins[0]!.email]);
    expect(review.eligibility).toMatchObject({ outcome: 'eligible', diagnostic: [] });
    expect(review.eligibility!.scores).toHaveLength(5);
    expect(review.charters).toEqual([expect.objectContaining({ version: 2, current: true })]);
    expect(review.requiredDocumentKinds).toEqual(['official_journal', 'general_assembly', 'statutes', 'identity', 'rib']);
    expect(review.documents).toEqual([expect.objectContaining({ id: documentId, kind: 'statutes', fileName: 'Statuts signés été.pdf' })]);
    expect(review.mediators).toHaveLength(1);
    expect(review.places).toEqual([expect.objectContaining({ name: 'Médiathèque', catalogue: [expect.objectContaining({ priceCents: 1000, active: true })] })]);
    expect(review.messages).toEqual([expect.objectContaining({ fromOperator: false, body: 'Bonjour,\nvoici notre dossier.' })]);
  });

  it('knows no unknown provider', async () => {
    expect(await loadApplicationForReview(t.ctx.db, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });
});
