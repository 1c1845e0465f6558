import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import type { DeliveryMode } from '../src/db/schema.js';
import { SYSTEM_ACTOR } from '../src/domains/actor.js';
import { readStandardRecord, type StandardPlace } from '../src/domains/places/national-standard.js';
import { searchPlaces, type PlaceSearch } from '../src/domains/places/search-places.js';
import { ensureReferentialPublished } from '../src/domains/referential/publish-referential.js';
import { REFERENTIAL_V1 } from '../src/domains/referential/referential-v1.js';
import { communesForPostcode } from '../src/domains/territories/communes.js';
import { systemClock } from '../src/lib/clock.js';
import { readConfig } from '../src/config.js';

/**
 * Search over 20,000 places (goal: p95 < 50 ms). The places are generated from the real files of
 * test/data/lieux-mediation-numerique: a real record drawn at random gives the commune, the
 * coordinates (moved by up to ~2 km) and the standard's services, mapped onto the referential.
 * Records without coordinates (the PACA file has none) are left out. Then 500 searches, mixed:
 * by postcode, by commune, by département, with filters, some from a given point.
 *
 * Runs on PGlite in memory, and also on PostgreSQL when DATABASE_URL is set (in a scratch
 * database created next to it, then dropped).
 */

const PLACES = 20_000;
const PROVIDERS = 2_000;
const SEARCHES = 500;
const WARM_UP = 30;
const FILES = ['hinaura-aura-2022_standard-v0.1.json', '20231003-bus-france-services-charente_standard-v0.1.json', '20230517-hub-du-sud-paca_standard-v1.json'];

/** A deterministic generator, so that two runs measure the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function realPlaces(): Promise<(StandardPlace & { inseeCode: string })[]> {
  const places: (StandardPlace & { inseeCode: string })[] = [];
  for (const file of FILES) {
    const records = JSON.parse(await readFile(new URL(`../test/data/lieux-mediation-numerique/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>[];
    for (const record of records) {
      const read = readStandardRecord(record, file);
      if (!read.ok) continue;
      const inseeCode = read.place.inseeCode ?? communesForPostcode(read.place.postcode)[0]?.code;
      if (inseeCode) places.push({ ...read.place, inseeCode });
    }
  }
  return places;
}

async function generate(database: Database, seed: number): Promise<{ postcodes: string[]; departements: string[]; communes: string[] }> {
  const db = database.db;
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const sources = await realPlaces();
  const byStandard = new Map<string, string[]>();
  for (const service of REFERENTIAL_V1.services) {
    for (const standard of service.standardServices) byStandard.set(standard, [...(byStandard.get(standard) ?? []), service.code]);
  }
  const now = new Date();

  const providerIds: string[] = [];
  for (let i = 0; i < PROVIDERS; i += 500) {
    const organisations = await db
      .insertInto('organisations')
      .values(Array.from({ length: Math.min(500, PROVIDERS - i) }, (_, k) => ({ kind: 'provider' as const, name: `Structure ${i + k}` })))
      .returning('id')
      .execute();
    await db
      .insertInto('providers')
      .values(
        organisations.map((o) => {
          const suspended = next() < 0.05;
          const qualified = suspended || next() < 0.9;
          return {
            organisation_id: o.id,
            legal_form: 'association' as const,
            siret: '35600000000048',
            address: '1 place de la Mairie',
            postcode: '33000',
            insee_code: '33063',
            commune: 'Bordeaux',
            status: qualified ? ('qualified' as const) : ('submitted' as const),
            suspended_at: suspended ? now : null,
            suspension_reason: suspended ? 'Contrôle' : null,
            created_at: now,
            updated_at: now,
          };
        }),
      )
      .execute();
    providerIds.push(...organisations.map((o) => o.id));
  }

  const postcodes = new Set<string>();
  const departements = new Set<string>();
  const communes = new Set<string>();
  for (let i = 0; i < PLACES; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, PLACES - i) }, (_, k) => {
      const source = pick(sources);
      postcodes.add(source.postcode);
      departements.add(source.inseeCode.startsWith('97') ? source.inseeCode.slice(0, 3) : source.inseeCode.slice(0, 2));
      communes.add(source.commune);
      const services = [...new Set(source.services.flatMap((s) => (byStandard.has(s) ? [pick(byStandard.get(s)!)] : [])))].slice(0, 4);
      return {
        place: {
          provider_id: pick(providerIds),
          source: 'bench',
          source_id: String(i + k),
          pivot: '35600000000048',
          name: `${source.name} ${i + k}`,
          address: source.address,
          postcode: source.postcode,
          commune: source.commune,
          insee_code: source.inseeCode,
          latitude: source.latitude + (next() - 0.5) * 0.04,
          longitude: source.longitude + (next() - 0.5) * 0.04,
          typologies: source.typologies,
          phones: [],
          emails: [],
          websites: [],
          standard_services: source.services,
          publics: [],
          specific_support: next() < 0.2 ? ['Surdité'] : [],
          fees: [],
          national_programmes: [],
          trainings_labels: [],
          access_modes: [],
          support_modes: [],
          itinerant: false,
          accessibility_url: next() < 0.15 ? 'https://acceslibre.beta.gouv.fr/app/erp/bench/' : null,
          source_accepts_pass: false,
          status: next() < 0.9 ? ('published' as const) : ('draft' as const),
          created_at: now,
          updated_at: now,
        },
        services: services.length ? services : ['M01'],
      };
    });
    const inserted = await db.insertInto('places').values(batch.map((b) => b.place)).returning('id').execute();
    const entries = inserted.flatMap((row, k) =>
      batch[k]!.services.map((code) => {
        const modes: DeliveryMode[] = ['on_site'];
        if (next() < 0.2) modes.push('remote');
        if (next() < 0.1) modes.push('home');
        return {
          place_id: row.id,
          referential_version: 1,
          service_code: code,
          price_cents: next() < 0.8 ? 1000 : 1500,
          duration_minutes: 60,
          format: next() < 0.7 ? ('individual' as const) : ('group' as const),
          delivery_modes: modes,
          parcours_sessions: null,
          active: next() < 0.9,
          created_at: now,
          updated_at: now,
        };
      }),
    );
    await db.insertInto('catalogue_entries').values(entries).execute();
  }
  // Fresh statistics, as PostgreSQL's autovacuum gathers after a bulk load (PGlite has no
  // autovacuum: without them the planner loops over every place, and searches take seconds).
  await sql`analyze places, catalogue_entries, providers, referential_services`.execute(db);
  return { postcodes: [...postcodes], departements: [...departements], communes: [...communes] };
}

function searches(data: { postcodes: string[]; departements: string[]; communes: string[] }, seed: number): PlaceSearch[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const codes = REFERENTIAL_V1.services.map((s) => s.code);
  const modes: DeliveryMode[] = ['on_site', 'remote', 'home'];
  return Array.from({ length: SEARCHES + WARM_UP }, () => {
    const roll = next();
    const base: PlaceSearch =
      roll < 0.4 ? { text: pick(data.postcodes) } : roll < 0.6 ? { text: pick(data.communes) } : roll < 0.85 ? { text: pick(data.departements) } : {};
    if (next() < 0.35) {
      const filter = next();
      if (filter < 0.35) base.serviceCode = pick(codes);
      else if (filter < 0.6) base.level = pick([1, 2, 3] as const);
      else if (filter < 0.8) base.deliveryMode = pick(modes);
      else if (filter < 0.9) base.acceslibre = true;
      else base.specificSupport = true;
    }
    if (next() < 0.15) {
      base.latitude = 45 + next() * 1.5;
      base.longitude = 4 + next() * 2.5;
    }
    if (next() < 0.1) base.page = 2;
    return base;
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function run(label: string, database: Database): Promise<void> {
  const ctx = { db: database.db, clock: systemClock, mailer: { send: async () => undefined }, config: readConfig({ PASSNUM_DATA_DIR: '/nonexistent-bench-dir' }), log: { error: () => undefined } };
  await migrate(database);
  await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
  let started = performance.now();
  const data = await generate(database, 42);
  console.log(`${label} : ${PLACES} lieux générés en ${((performance.now() - started) / 1000).toFixed(1)} s (${data.postcodes.length} codes postaux, ${data.departements.length} départements)`);
  // Baseline of this machine, in the same run and on the same database: a primary-key lookup of a
  // place through the same driver. The ratio says how many such lookups a search costs.
  const ids = (await database.db.selectFrom('places').select('id').limit(SEARCHES).execute()).map((r) => r.id);
  const baseline: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    await database.db.selectFrom('places').selectAll().where('id', '=', id).executeTakeFirst();
    baseline.push(performance.now() - t0);
  }
  baseline.sort((a, b) => a - b);
  const all = searches(data, 7);
  for (const search of all.slice(0, WARM_UP)) await searchPlaces(database.db, search);
  const timings: number[] = [];
  let found = 0;
  started = performance.now();
  for (const search of all.slice(WARM_UP)) {
    const t0 = performance.now();
    const result = await searchPlaces(database.db, search);
    timings.push(performance.now() - t0);
    found += result.total;
  }
  timings.sort((a, b) => a - b);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `${label} : ${SEARCHES} recherches en ${((performance.now() - started) / 1000).toFixed(1)} s, ${Math.round(found / SEARCHES)} lieux trouvés en moyenne — p50 ${ms(percentile(timings, 50))}, p95 ${ms(percentile(timings, 95))}, p99 ${ms(percentile(timings, 99))}, max ${ms(timings.at(-1)!)}${percentile(timings, 95) < 50 ? ' (objectif p95 < 50 ms atteint)' : ' (objectif p95 < 50 ms MANQUÉ)'}`,
  );
  console.log(
    `${label} : référence de la machine (lecture d’un lieu par clé) p50 ${ms(percentile(baseline, 50))}, p95 ${ms(percentile(baseline, 95))} ; rapport recherche/référence p50 ${(percentile(timings, 50) / percentile(baseline, 50)).toFixed(1)}×, p95 ${(percentile(timings, 95) / percentile(baseline, 95)).toFixed(1)}×`,
  );
}

export async function main(): Promise<void> {
  const pglite = await openDatabase({ kind: 'pglite' });
  try {
    await run('PGlite', pglite);
  } finally {
    await pglite.close();
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.log('PostgreSQL : DATABASE_URL absent, mesure non faite.');
    return;
  }
  // A scratch database next to the configured one: the bench never writes into real data.
  const name = `passnum_bench_${randomBytes(4).toString('hex')}`;
  const server = new URL(url);
  if (!server.username) server.username = process.env.PGUSER ?? os.userInfo().username;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const scratch = new URL(server);
  scratch.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: scratch.toString(), poolSize: 2 });
  try {
    await run('PostgreSQL', database);
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name}`);
    await admin.end();
  }
}

