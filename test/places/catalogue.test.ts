import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueForm, formatEuros, holderShareCents, loadPlaceCatalogue, parsePriceToCents, saveCatalogueEntry } from '../../src/domains/places/catalogue.js';
import { createPlace } from '../../src/domains/places/manage-places.js';
import { DomainError } from '../../src/domains/errors.js';
import { publishReferential } from '../../src/domains/referential/publish-referential.js';
import { REFERENTIAL_V1 } from '../../src/domains/referential/referential-v1.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { addMediator, catalogueInput, createProvider, placeInput } from '../support/places-fixtures.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const doingForPerson = REFERENTIAL_V1.services.find((s) => s.doingForPerson)!;
const ordinary = REFERENTIAL_V1.services.find((s) => !s.doingForPerson)!;

async function providerWithPlace() {
  const provider = await createProvider(t.ctx, { application: 'draft' });
  const place = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput());
  return { provider, place, save: (input = catalogueInput()) => saveCatalogueEntry(t.ctx, provider.actor, provider.organisation.id, place.id, input) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('prices', () => {
  it('reads euros as people type them into integer cents', () => {
    expect(parsePriceToCents('10')).toBe(1000);
    expect(parsePriceToCents('12,50')).toBe(1250);
    expect(parsePriceToCents('12,5')).toBe(1250);
    expect(parsePriceToCents('12.05')).toBe(1205);
    expect(parsePriceToCents(' 15 € ')).toBe(1500);
    expect(parsePriceToCents('0')).toBe(0);
    expect(parsePriceToCents('1000')).toBe(100000);
    for (const bad of ['', '-5', '12,505', 'dix', '1001', '1e3', '12,']) expect(parsePriceToCents(bad)).toBeUndefined();
  });

  it('shows the holder’s share above the voucher’s 10 €', () => {
    expect(holderShareCents(1000)).toBe(0);
    expect(holderShareCents(800)).toBe(0);
    expect(holderShareCents(1250)).toBe(250);
    expect(formatEuros(1250)).toBe('12,50 €');
    expect(formatEuros(1000)).toBe('10 €');
  });

  it('defaults to 10 € in the form', () => {
    expect(catalogueForm.parse({ serviceCode: 'M01', durationMinutes: '60', format: 'group', deliveryModes: 'remote' })).toMatchObject({ priceCents: 1000, deliveryModes: ['remote'], parcours: null, active: true });
  });
});

describe('the catalogue form', () => {
  const form = { serviceCode: 'M01', price: '12,50', durationMinutes: '90', format: 'individual', deliveryModes: ['on_site', 'home'], parcours: '5', state: 'paused' };
  it('reads a complete entry', () => {
    expect(catalogueForm.parse(form)).toEqual({ serviceCode: 'M01', priceCents: 1250, durationMinutes: 90, format: 'individual', deliveryModes: ['on_site', 'home'], parcours: 5, active: false });
  });
  it('requires a delivery mode, a parcours of 5 or 10, a price and a duration that make sense', () => {
    const result = catalogueForm.safeParse({ ...form, deliveryModes: undefined, parcours: '7', price: '-3', durationMinutes: '2' });
    expect(result.error?.issues.map((i) => i.path[0]).sort()).toEqual(['deliveryModes', 'durationMinutes', 'parcours', 'price']);
  });
});

describe('catalogue entries', () => {
  it('stores the entry with the latest referential version, and updates it in place', async () => {
    const { place, save, provider } = await providerWithPlace();
    const created = await save(catalogueInput({ serviceCode: ordinary.code, priceCents: 1250, parcours: 10 }));
    expect(created).toMatchObject({ referential_version: 1, price_cents: 1250, parcours_sessions: 10, active: true });
    const updated = await save(catalogueInput({ serviceCode: ordinary.code, priceCents: 1000, active: false }));
    expect(updated.id).toBe(created.id);
    expect(updated).toMatchObject({ price_cents: 1000, active: false });
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('subject_id', '=', created.id).orderBy('id').execute();
    expect(events.map((e) => e.action)).toEqual(['catalogue_entry.created', 'catalogue_entry.updated']);
    const catalogue = await loadPlaceCatalogue(t.ctx, provider.organisation.id, place.id);
    expect(catalogue.entries).toHaveLength(1);
  });

  it('keeps the place’s standard services in step with its active catalogue', async () => {
    const { place, save } = await providerWithPlace();
    await save(catalogueInput({ serviceCode: ordinary.code }));
    const row = await t.ctx.db.selectFrom('places').select('standard_services').where('id', '=', place.id).executeTakeFirstOrThrow();
    expect(row.standard_services).toEqual([...ordinary.standardServices]);
    await save(catalogueInput({ serviceCode: ordinary.code, active: false }));
    expect((await t.ctx.db.selectFrom('places').select('standard_services').where('id', '=', place.id).executeTakeFirstOrThrow()).standard_services).toEqual([]);
  });

  it('refuses an entry without delivery mode, with a parcours of 7 sessions, or an unknown service', async () => {
    const { save } = await providerWithPlace();
    expect(await codeOf(save(catalogueInput({ deliveryModes: [] })))).toBe('catalogue_delivery_mode_required');
    expect(await codeOf(save(catalogueInput({ parcours: 7 as 5 })))).toBe('catalogue_parcours_invalid');
    expect(await codeOf(save(catalogueInput({ serviceCode: 'Z99' })))).toBe('catalogue_service_unknown');
    expect(await codeOf(save(catalogueInput({ priceCents: 12.5 })))).toBe('catalogue_price_invalid');
  });

  it('offers a « faire à la place » service only with an active employee among the mediators', async () => {
    const { save, provider } = await providerWithPlace();
    const input = catalogueInput({ serviceCode: doingForPerson.code });
    expect(await codeOf(save(input))).toBe('catalogue_needs_employee');
    await addMediator(t.ctx, provider.organisation.id, 'volunteer');
    await addMediator(t.ctx, provider.organisation.id, 'civic_service');
    await addMediator(t.ctx, provider.organisation.id, 'employee', false);
    expect(await codeOf(save(input))).toBe('catalogue_needs_employee');
    // Paused, it can wait in the catalogue.
    expect((await save({ ...input, active: false })).active).toBe(false);
    await addMediator(t.ctx, provider.organisation.id, 'employee');
    expect((await save(input)).active).toBe(true);
  });

  it('makes a changed entry with the newest version of the referential', async () => {
    const { save } = await providerWithPlace();
    await save(catalogueInput({ serviceCode: ordinary.code }));
    await publishReferential(t.ctx, { userId: null, organisationId: null, apiTokenId: null }, {
      title: 'Référentiel v2',
      services: REFERENTIAL_V1.services.map((s) => ({ ...s, standardServices: [...s.standardServices] })),
    });
    expect((await save(catalogueInput({ serviceCode: ordinary.code, priceCents: 1100 }))).referential_version).toBe(2);
  });

  it('is frozen while the operator examines the application', async () => {
    const { save, provider } = await providerWithPlace();
    await t.ctx.db.updateTable('providers').set({ status: 'submitted' }).where('organisation_id', '=', provider.organisation.id).execute();
    expect(await codeOf(save())).toBe('application_not_editable');
  });

  it('refuses the catalogue of another provider’s place', async () => {
    const { place } = await providerWithPlace();
    const other = await createProvider(t.ctx);
    expect(await codeOf(saveCatalogueEntry(t.ctx, other.actor, other.organisation.id, place.id, catalogueInput()))).toBe('place_unknown');
    expect(await codeOf(loadPlaceCatalogue(t.ctx, other.organisation.id, place.id))).toBe('place_unknown');
  });
});
