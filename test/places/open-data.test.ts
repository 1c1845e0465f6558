import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { importPlaces } from '../../src/domains/places/import-places.js';
import { createTestApp, type TestApp } from '../support/app.js';

interface SchemaField {
  name: string;
  type: string;
  constraints?: { required?: boolean; pattern?: string; maxLength?: number; unique?: boolean };
}
const data = (path: string) => fileURLToPath(new URL(`../data/${path}`, import.meta.url));

let t: TestApp;
let fields: SchemaField[];
beforeAll(async () => {
  t = await createTestApp();
  fields = JSON.parse(await readFile(data('standard-mediation-num/schema.json'), 'utf8')).fields;
  for (const file of ['lieux-mediation-numerique/hinaura-aura-2022_standard-v0.1.json', 'lieux-mediation-numerique/20231003-bus-france-services-charente_standard-v0.1.json']) {
    await importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: file, content: await readFile(data(file)) });
  }
  await importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'exemple-valide.csv', content: await readFile(data('standard-mediation-num/exemple-valide.csv')) });
  // What qualification will do: a provider with a SIRET runs the place, which becomes public.
  await t.ctx.db.updateTable('places').set({ status: 'published', pivot: '13002526500013' }).where('pivot', 'is', null).execute();
  await t.ctx.db.updateTable('places').set({ status: 'published' }).where('pivot', 'is not', null).execute();
  await t.ctx.db.updateTable('places').set({ status: 'draft' }).where('source_id', '=', '0').execute();
});
afterAll(() => t.close());

/** Every field constraint of the standard's Table Schema, on one row. */
function violations(row: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of fields) {
    const value = row[field.name];
    const empty = value === null || value === undefined || value === '';
    if (empty) {
      if (field.constraints?.required) problems.push(`${field.name} requis`);
      continue;
    }
    const text = String(value);
    if (field.type === 'number' && !Number.isFinite(Number(text))) problems.push(`${field.name} n’est pas un nombre`);
    if (field.type === 'date' && !(/^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text)))) problems.push(`${field.name} n’est pas une date`);
    const pattern = field.constraints?.pattern;
    if (pattern && !new RegExp(`^(?:${pattern})$`, 'u').test(text)) problems.push(`${field.name} « ${text} » ne respecte pas ${pattern.slice(0, 40)}…`);
    const max = field.constraints?.maxLength;
    if (max !== undefined && [...text].length > max) problems.push(`${field.name} dépasse ${max} caractères`);
  }
  return problems;
}

describe('open data of public places (standard v1.0.2)', () => {
  it('pages through every public place as JSON, each row valid against every constraint of schema.json', async () => {
    const rows: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const response: { statusCode: number; json(): { data: Record<string, unknown>[]; nextCursor: string | null } } = await t.app.inject({
        url: `/api/v1/open-data/lieux?limit=250${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(response.statusCode).toBe(200);
      const page = response.json();
      rows.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    expect(rows).toHaveLength(687 + 12 + 1 - 1);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const row of rows) expect({ id: row.id, problems: violations(row) }).toEqual({ id: row.id, problems: [] });
    expect(rows.every((r) => r.pass_numerique === true)).toBe(true);
    expect(rows.some((r) => r.nom === 'MAISON DE SERVICES AU PUBLIC D\'ABONDANCE')).toBe(false);
  });

  it('writes the strict CSV with exactly the standard’s columns, in order, and valid rows', async () => {
    const response = await t.app.inject({ url: '/api/v1/open-data/lieux.csv' });
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header] = parse(response.body, { to_line: 1 }) as string[][];
    expect(header).toEqual(fields.map((f) => f.name));
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(699);
    for (const row of rows) expect(violations(row)).toEqual([]);
  });

  it('writes the extended CSV with one more column, pass_numerique', async () => {
    const response = await t.app.inject({ url: '/api/v1/open-data/lieux-etendu.csv' });
    const [header] = parse(response.body, { to_line: 1 }) as string[][];
    expect(header).toEqual([...fields.map((f) => f.name), 'pass_numerique']);
  });

  it('refuses a malformed cursor', async () => {
    const response = await t.app.inject({ url: '/api/v1/open-data/lieux?cursor=abc' });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('validation_failed');
  });
});
