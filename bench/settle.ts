import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import type { AppContext } from '../src/app-context.js';
import { readConfig, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { insertOrganisation, insertUser } from '../src/domains/accounts/repository.js';
import { SYSTEM_ACTOR, type Actor } from '../src/domains/actor.js';
import { recordAuditEvent } from '../src/domains/audit/record-audit-event.js';
import { accountId, accountKey, accountRow } from '../src/domains/ledger/accounts.js';
import { postOrderIssued } from '../src/domains/ledger/money-events.js';
import { saveCatalogueEntry } from '../src/domains/places/catalogue.js';
import { createPlace } from '../src/domains/places/manage-places.js';
import { validateIban } from '../src/domains/providers/identifiers.js';
import { ensureReferentialPublished } from '../src/domains/referential/publish-referential.js';
import { redemptionFees, withVat } from '../src/domains/settlement/fees.js';
import { latestSettleableMonth, parseSettlementMonth, type SettlementMonth } from '../src/domains/settlement/settlement-calendar.js';
import { orderTotalCents, orderForm, voucherCount } from '../src/domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, moveOrder, saveDraftOrder } from '../src/domains/vouchers/orders.js';
import { systemClock } from '../src/lib/clock.js';
import { addMonths, startOfParisDay } from '../src/lib/paris-dates.js';
import type { ChildResult } from './settle-child.js';

/**
 * `npm run bench -- settle`: the monthly settlement (settleMonth, then the SEPA file written, as
 * `npx passnum settle --month M --out DIR` does) of a month of 100,000 then 1,000,000 redemptions
 * over 5,000 qualified providers, on PostgreSQL. Target: 1M in ≤ 60 s with ≤ 1 GB peak memory, and
 * a cost growing linearly (1M ÷ 100k ≈ 10).
 *
 * Each size gets its own scratch database on the server of BENCH_POSTGRES_URL, else DATABASE_URL,
 * else postgres://127.0.0.1:5432/postgres (created, migrated, seeded, dropped: `test` is never
 * touched). The seed is set-based SQL, not the API:
 *
 * - one provider, its published place and its catalogue entry (M01 at 30 €) made by the use cases,
 *   then cloned 4,999 times (jsonb_populate_record, one row per clone), each with a valid IBAN
 *   and its place in one of ten départements; every provider has a monthly subscription started the
 *   month before, so the settlement also invoices and deducts 5,000 subscriptions, as in a steady
 *   month;
 * - one funder's orders billed on use, drafted, confirmed and committed by the use cases, issued
 *   as issueOrder does (status, booklets from the sequence, `order_issued` entry, audit event) with
 *   synthetic voucher ids and hashes, in order, instead of real codes;
 * - the redemptions of the month (two in three take one 10 € voucher, one in three two; random
 *   ids, as in production), their vouchers marked, and each one's ledger entry as
 *   redeem-vouchers.ts posts it (EN `redemption`: vouchers_outstanding of each order debited,
 *   provider_payable credited), written with triggers off (session_replication_role = replica, so
 *   also without foreign-key checks) and the postings' balance_after/account_line computed by
 *   window functions as the posting trigger would; two plain indexes dropped during the load and
 *   created again; then checked set-wise (every redemption has its entry, every entry balances,
 *   every account's balance is the sum of its postings, every redemption's provider, place and
 *   catalogue entry agree; the vouchers against the amounts are the settlement's own integrity
 *   check) and VACUUM ANALYZE (what autovacuum does during a month).
 *
 * The settlement runs in a child process (bench/settle-child.ts), so that the peak RSS reported is
 * the settlement's; PostgreSQL's own memory (its backends, peak RSS with the shared buffers they
 * touched) and temporary files are reported apart. PDF statements are timed on a sample only.
 *
 * The machine's baseline, in the same run and on the same database: one INSERT … SELECT that reads
 * every redemption of the month with its place and writes one row per redemption into a copy of
 * payout_lines with its indexes (no constraint, no trigger), i.e. the least work any settlement of
 * these redemptions must do. The ratio settlement ÷ baseline is what to compare between machines.
 *
 * BENCH_SETTLE_SIZES=small,large changes the sizes; BENCH_SETTLE_VERBOSE=1 prints every seeding
 * statement slower than 300 ms.
 */

const PROVIDERS = 5_000;
/** The two sizes compared (BENCH_SETTLE_SIZES=small,large to try others). */
const SIZES = (process.env.BENCH_SETTLE_SIZES ?? '100000,1000000').split(',').map(Number) as [number, number];
/** 10 € vouchers; a service at 30 €, the rest paid by the holder. */
const FACE_VALUE_CENTS = 1000;
const PRICE_CENTS = 3000;
/** Vouchers per order (20,000 booklets of 10 at most). */
const MAX_VOUCHERS_PER_ORDER = 190_000;
/** PDF statements timed (the command writes one per payout). */
const STATEMENTS = 50;
const TARGET_MS = 60_000;
const TARGET_RSS_MB = 1024;

/** Where the places are: ten départements (the territorial fund is split by département). */
const TERRITORIES = [
  { inseeCode: '33063', postcode: '33000', commune: 'Bordeaux' },
  { inseeCode: '75111', postcode: '75011', commune: 'Paris' },
  { inseeCode: '69123', postcode: '69001', commune: 'Lyon' },
  { inseeCode: '13055', postcode: '13001', commune: 'Marseille' },
  { inseeCode: '59350', postcode: '59000', commune: 'Lille' },
  { inseeCode: '31555', postcode: '31000', commune: 'Toulouse' },
  { inseeCode: '44109', postcode: '44000', commune: 'Nantes' },
  { inseeCode: '67482', postcode: '67000', commune: 'Strasbourg' },
  { inseeCode: '2A004', postcode: '20000', commune: 'Ajaccio' },
  { inseeCode: '97411', postcode: '97400', commune: 'Saint-Denis' },
] as const;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fr = (n: number) => n.toLocaleString('fr-FR');
const euros = (cents: number) => `${(cents / 100).toLocaleString('fr-FR', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} €`;

/** A valid French IBAN (RIB key and IBAN check digits) for provider number `n`. */
function frenchIban(n: number): string {
  const bank = '30004';
  const branch = String(10000 + (n % 90000)).padStart(5, '0');
  const account = String(n).padStart(11, '0');
  const ribKey = 97 - Number((89n * BigInt(bank) + 15n * BigInt(branch) + 3n * BigInt(account)) % 97n);
  const bban = `${bank}${branch}${account}${String(ribKey).padStart(2, '0')}`;
  // FR00 moved to the end, letters as numbers (F = 15, R = 27).
  const check = 98 - Number(BigInt(`${bban}152700`) % 97n);
  const iban = `FR${String(check).padStart(2, '0')}${bban}`;
  if (!validateIban(iban).ok) throw new Error(`bench: invalid IBAN ${iban}`);
  return iban;
}

interface Timer {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  total(): number;
}

function timer(prefix: string): Timer {
  const started = performance.now();
  const parts: string[] = [];
  return {
    async step(label, work) {
      const t = performance.now();
      const result = await work();
      parts.push(`${label} ${seconds(performance.now() - t)}`);
      return result;
    },
    total() {
      console.log(`${prefix} : ${parts.join(', ')}`);
      return performance.now() - started;
    },
  };
}

interface Seed {
  redemptions: number;
  twoVoucherRedemptions: number;
  vouchers: number;
  orders: number;
}

async function seed(label: string, database: Database, bulk: pg.Client, config: Config, month: SettlementMonth, redemptions: number): Promise<Seed> {
  const ctx: AppContext = { db: database.db, clock: systemClock, mailer: { send: async () => undefined }, config, log: { error: () => undefined } };
  const now = new Date();
  const previousFirst = addMonths(month.firstDay, -1);
  const t = timer(`${label} : préparation`);

  // The template provider, its place and its catalogue entry, through the use cases.
  const { templateId, placeId, entryId, referentialVersion } = await t.step('migrations et structure modèle', async () => {
    await migrate(database);
    await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
    const organisation = await insertOrganisation(ctx.db, { kind: 'provider', name: 'Structure 00001' });
    await ctx.db
      .insertInto('providers')
      .values({
        organisation_id: organisation.id,
        legal_form: 'association',
        siret: '35600000000048',
        rna: null,
        address: '1 place de la Mairie',
        postcode: TERRITORIES[0].postcode,
        insee_code: TERRITORIES[0].inseeCode,
        commune: TERRITORIES[0].commune,
        iban: frenchIban(1),
        bic: 'BNPAFRPPXXX',
        account_holder: 'Structure 00001',
        status: 'qualified',
        decided_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const actor: Actor = { userId: null, organisationId: organisation.id, apiTokenId: null };
    const place = await createPlace(ctx, actor, organisation.id, {
      name: 'Espace numérique 00001',
      address: '2 rue du Lac',
      addressComplement: null,
      postcode: TERRITORIES[0].postcode,
      inseeCode: TERRITORIES[0].inseeCode,
      latitude: 44.8837,
      longitude: -0.5665,
      typologies: ['BIB'],
      openingHours: 'Mo-Fr 09:00-12:00,14:00-18:00',
      accessibilityUrl: null,
      specificSupport: [],
      phone: '05 56 00 00 00',
      email: 'contact@espace.fr',
      website: null,
      itinerant: false,
    });
    const entry = await saveCatalogueEntry(ctx, actor, organisation.id, place.id, {
      serviceCode: 'M01',
      priceCents: PRICE_CENTS,
      durationMinutes: 60,
      format: 'individual',
      deliveryModes: ['on_site'],
      parcours: null,
      active: true,
    });
    return { templateId: organisation.id, placeId: place.id, entryId: entry.id, referentialVersion: entry.referential_version };
  });

  // 4,999 clones of it, each with its own IBAN, place and entry; the providers' payable accounts.
  await t.step(`${fr(PROVIDERS)} structures`, async () => {
    const g: number[] = [];
    const ids: string[] = [];
    const places: string[] = [];
    const entries: string[] = [];
    const ibans: string[] = [];
    const territory: number[] = [];
    for (let n = 1; n <= PROVIDERS; n++) {
      g.push(n);
      ids.push(n === 1 ? templateId : randomUUID());
      places.push(n === 1 ? placeId : randomUUID());
      entries.push(n === 1 ? entryId : randomUUID());
      ibans.push(frenchIban(n));
      territory.push(n === 1 ? 0 : n % TERRITORIES.length);
    }
    const where = territory.map((i) => TERRITORIES[i]!);
    await bulk.query(
      `create temp table bench_providers as
       select * from unnest($1::int[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[])
         as u (g, id, place_id, entry_id, iban, insee_code, postcode, commune)`,
      [g, ids, places, entries, ibans, where.map((x) => x.inseeCode), where.map((x) => x.postcode), where.map((x) => x.commune)],
    );
    await bulk.query('alter table bench_providers add primary key (g)');
    await bulk.query(
      `insert into organisations
       select c.* from organisations t, bench_providers b,
         lateral jsonb_populate_record(null::organisations, to_jsonb(t) || jsonb_build_object('id', b.id, 'name', 'Structure ' || lpad(b.g::text, 5, '0'))) c
       where t.id = $1 and b.g > 1`,
      [templateId],
    );
    await bulk.query(
      `insert into providers
       select c.* from providers t, bench_providers b,
         lateral jsonb_populate_record(null::providers, to_jsonb(t) || jsonb_build_object(
           'organisation_id', b.id, 'iban', b.iban, 'account_holder', 'Structure ' || lpad(b.g::text, 5, '0'),
           'insee_code', b.insee_code, 'postcode', b.postcode, 'commune', b.commune)) c
       where t.organisation_id = $1 and b.g > 1`,
      [templateId],
    );
    await bulk.query(
      `insert into places
       select c.* from places t, bench_providers b,
         lateral jsonb_populate_record(null::places, to_jsonb(t) || jsonb_build_object(
           'id', b.place_id, 'provider_id', b.id, 'source_id', b.place_id::text, 'name', 'Espace numérique ' || lpad(b.g::text, 5, '0'),
           'insee_code', b.insee_code, 'postcode', b.postcode, 'commune', b.commune)) c
       where t.id = $1 and b.g > 1`,
      [placeId],
    );
    await bulk.query(
      `insert into catalogue_entries
       select c.* from catalogue_entries t, bench_providers b,
         lateral jsonb_populate_record(null::catalogue_entries, to_jsonb(t) || jsonb_build_object('id', b.entry_id, 'place_id', b.place_id)) c
       where t.id = $1 and b.g > 1`,
      [entryId],
    );
    // Subscribed the month before: this month's period is invoiced and deducted by the settlement.
    await bulk.query(`insert into provider_subscriptions (provider_id, plan, started_on, created_at) select id, 'monthly', $1::date, $2 from bench_providers`, [previousFirst, now]);
    const accounts = ids.map((id) => accountRow({ kind: 'provider_payable', providerId: id }, now));
    for (let i = 0; i < accounts.length; i += 1000) await ctx.db.insertInto('ledger_accounts').values(accounts.slice(i, i + 1000)).execute();
    await bulk.query(`alter table bench_providers add column payable_account uuid`);
    await bulk.query(`update bench_providers b set payable_account = u.account from unnest($1::uuid[], $2::uuid[]) as u (id, account) where u.id = b.id`, [
      ids,
      accounts.map((a) => a.id),
    ]);
  });

  // Orders billed on use: the use cases up to committed, then issued as issueOrder does.
  const twoVoucherRedemptions = Math.ceil(redemptions / 3);
  const vouchers = redemptions + twoVoucherRedemptions;
  const orderCount = Math.ceil(vouchers / MAX_VOUCHERS_PER_ORDER);
  const bookletsPerOrder = Math.ceil(vouchers / orderCount / 10);
  const perOrder = bookletsPerOrder * 10;
  await t.step(`${orderCount} commande${orderCount > 1 ? 's' : ''}`, async () => {
    const funder = await insertOrganisation(ctx.db, { kind: 'funder', name: 'Financeur du banc d’essai' });
    const actor: Actor = { userId: null, organisationId: funder.id, apiTokenId: null };
    const issuedAt = startOfParisDay(previousFirst);
    await bulk.query('create temp table bench_orders (o int primary key, id uuid not null, account_id uuid not null)');
    for (let o = 0; o < orderCount; o++) {
      const form = orderForm.parse({ bookletCount: String(bookletsPerOrder), vouchersPerBooklet: '10', fundingMode: 'billed_on_use', activation: 'on_issue', validFrom: previousFirst });
      const draft = await saveDraftOrder(ctx, actor, funder.id, form);
      await confirmOrder(ctx, actor, funder.id, draft.id);
      await commitOrder(ctx, actor, { orderId: draft.id, reference: 'BENCH', by: { kind: 'funder', funderId: funder.id } });
      await ctx.db.transaction().execute(async (trx) => {
        const order = await moveOrder(trx, draft.id, 'committed', { status: 'issued', issued_at: issuedAt, updated_at: issuedAt });
        await sql`
          insert into booklets (id, order_id, number, position, distributor_id, allocated_at)
          select ${sql.raw(sequentialUuid('b', `${o}::int8 * 100000 + g`))}, ${order.id}::uuid, nextval('booklet_number_seq'), g, null, null
          from generate_series(1, ${order.booklet_count}::int) as g`.execute(trx);
        await postOrderIssued(trx, { id: order.id, number: order.number, funderId: order.funder_id, amountCents: orderTotalCents(order) }, issuedAt);
        await recordAuditEvent(trx, actor, issuedAt, {
          action: 'order.issued',
          subjectType: 'order',
          subjectId: order.id,
          before: { status: 'committed' },
          after: { status: order.status, booklets: order.booklet_count, vouchers: voucherCount(order), totalCents: orderTotalCents(order) },
        });
      });
      const account = accountId(accountKey({ kind: 'vouchers_outstanding', orderId: draft.id, funderId: funder.id }));
      await bulk.query('insert into bench_orders values ($1, $2, $3)', [o, draft.id, account]);
    }
  });

  // The month's redemptions, their vouchers, their ledger entries: triggers off, checked after; the
  // plain indexes of the three big tables dropped during the load and created again after it.
  const user = await insertUser(ctx.db, { email: 'caisse@banc-essai.test', displayName: 'Caisse du banc d’essai', passwordHash: null });
  await bulk.query(`set session_replication_role = replica`);
  await bulk.query(`set work_mem = '256MB'`);
  await bulk.query(`set maintenance_work_mem = '512MB'`);
  const days = Number(month.lastDay.slice(8, 10));
  const indexes = await dropIndexes(bulk, ['journal_entries_redemption_idx']);
  // Entry numbers: a block of the ledger's sequence.
  const { rows: reserved } = await bulk.query<{ last: string }>(`select setval('journal_entry_seq', nextval('journal_entry_seq') + $1::int8 - 1) as last`, [redemptions]);
  const firstSeq = Number(reserved[0]!.last) - redemptions + 1;
  await t.step(`${fr(redemptions)} encaissements`, async () => {
    // Redemption r: provider r mod 5,000; two vouchers when r mod 3 = 0; the service days spread
    // over the month in order, scanned between 9:00 and 19:00 that day (Paris); entry numbers from
    // the ledger's sequence in that order. Their ids are random, as in production.
    await bulk.query(
      `create temp table bench_redemptions as
       select r, gen_random_uuid() as id, (r % $2)::int + 1 as g, case when r % 3 = 0 then 2 else 1 end as k,
              r + (r + 2) / 3 as first_voucher, d.service_date,
              ((d.service_date + interval '9 hours' + ((r * $3) % $1)::float8 * interval '10 hours' / $1) at time zone 'Europe/Paris') as created_at,
              $5::int8 + r as seq
       from generate_series(0::int8, $1::int8 - 1) as r
       cross join lateral (select $4::date + (r * $3 / $1)::int as service_date) d`,
      [redemptions, PROVIDERS, days, month.firstDay, firstSeq],
    );
    await bulk.query(
      `insert into redemptions (id, provider_id, place_id, catalogue_entry_id, referential_version, service_code, service_date, delivery_mode,
                                price_cents, vouchers_cents, holder_share_cents, voucher_count, recorded_by_user, created_at)
       select s.id, b.id, b.place_id, b.entry_id, $1, 'M01', s.service_date, 'on_site', $2, s.k * $3, greatest($2 - s.k * $3, 0), s.k, $4, s.created_at
       from bench_redemptions s join bench_providers b on b.g = s.g order by s.r`,
      [referentialVersion, PRICE_CENTS, FACE_VALUE_CENTS, user.id],
    );
  });
  await t.step(`${fr(orderCount * perOrder)} chèques`, async () => {
    // Voucher n is number n mod perOrder of order n / perOrder; redemption r takes k of them from
    // first_voucher. Written in that order, with ids and code hashes in the same order (the
    // settlement never reads them; random ones would only slow the load down).
    await bulk.query(
      `insert into vouchers (id, order_id, booklet_id, position, code_hash, code_sealed, face_value_cents, redemption_id, redeemed_at)
       select ${sequentialUuid('c', 'v.n')}, o.id, bk.id, (v.n % $1)::int % 10 + 1,
              decode(lpad(to_hex(v.n), 64, '0'), 'hex'), decode(lpad(to_hex(v.n), 76, 'f'), 'hex'), $2, v.redemption_id, v.redeemed_at
       from (
         select n, s.id as redemption_id, s.created_at as redeemed_at
         from bench_redemptions s cross join lateral generate_series(s.first_voucher, s.first_voucher + s.k - 1) as n
         union all
         select n, null, null from generate_series($3::int8, $4::int8 - 1) as n
       ) v
       join bench_orders o on o.o = v.n / $1
       join booklets bk on bk.order_id = o.id and bk.position = (v.n % $1) / 10 + 1
       order by v.n`,
      [perOrder, FACE_VALUE_CENTS, vouchers, orderCount * perOrder],
    );
    await bulk.query(`insert into redemption_vouchers (redemption_id, voucher_id) select redemption_id, id from vouchers where redemption_id is not null`);
  });
  await t.step('écritures', async () => {
    await bulk.query(
      `insert into journal_entries (seq, journal, kind, label, booked_on, piece_ref, order_id, redemption_id, corrects_seq, created_at)
       select s.seq, 'EN', 'redemption', 'Chèques encaissés (service du ' || to_char(s.service_date, 'YYYY-MM-DD') || ')',
              (s.created_at at time zone 'Europe/Paris')::date, s.id::text, null, s.id, null, s.created_at
       from bench_redemptions s order by s.seq`,
    );
    // redemptionEntryLines: one debit per order of its vouchers (in order), then the provider's credit.
    await bulk.query(
      `create temp table bench_lines as
       with parts as (
         select s.seq, s.g, s.k, s.first_voucher / $1 as o1, (s.first_voucher + s.k - 1) / $1 as o2 from bench_redemptions s
       )
       select p.seq, 1 as line, o.account_id, (case when p.o1 = p.o2 then p.k else 1 end) * $2::int8 as amount_cents
       from parts p join bench_orders o on o.o = p.o1
       union all
       select p.seq, 2, o.account_id, $2::int8 from parts p join bench_orders o on o.o = p.o2 where p.o1 <> p.o2
       union all
       select p.seq, case when p.o1 = p.o2 then 2 else 3 end, b.payable_account, -p.k * $2::int8
       from parts p join bench_providers b on b.g = p.g`,
      [perOrder, FACE_VALUE_CENTS],
    );
    // What apply_posting would have written: each account's running balance and rank, in entry order.
    await bulk.query(
      `insert into postings (entry_seq, line, account_id, amount_cents, balance_after_cents, account_line)
       select l.seq, l.line, l.account_id, l.amount_cents,
              a.balance_cents + sum(l.amount_cents) over w, a.postings_count + row_number() over w
       from bench_lines l join ledger_accounts a on a.id = l.account_id
       window w as (partition by l.account_id order by l.seq, l.line rows unbounded preceding)
       order by l.seq, l.line`,
    );
    await bulk.query(
      `update ledger_accounts a set balance_cents = a.balance_cents + d.total, postings_count = a.postings_count + d.n
       from (select account_id, sum(amount_cents)::int8 as total, count(*)::int8 as n from bench_lines group by account_id) d
       where d.account_id = a.id`,
    );
  });
  await bulk.query(`set session_replication_role = origin`);
  await t.step('index', () => createIndexes(bulk, indexes));

  await t.step('contrôle du jeu de données', async () => {
    const { rows } = await bulk.query<Record<string, string>>(
      `select
         (select count(*) from redemptions r left join journal_entries e on e.redemption_id = r.id where e.seq is null) as without_entry,
         (select count(*) from (select p.entry_seq from postings p group by p.entry_seq having sum(p.amount_cents) <> 0 or count(*) < 2) x) as unbalanced,
         (select count(*) from ledger_accounts a
            left join (select account_id, sum(amount_cents) as total, count(*) as n, max(account_line) as last from postings group by account_id) p on p.account_id = a.id
            where a.balance_cents <> coalesce(p.total, 0) or a.postings_count <> coalesce(p.n, 0) or coalesce(p.last, 0) <> coalesce(p.n, 0)) as wrong_accounts,
         (select count(*) from redemptions r join providers p on p.organisation_id = r.provider_id join places pl on pl.id = r.place_id
            join catalogue_entries c on c.id = r.catalogue_entry_id where pl.provider_id <> r.provider_id or c.place_id <> r.place_id) as wrong_links`,
    );
    // Each redemption's vouchers against its amount: the settlement's own integrity check (it refuses otherwise).
    const problems = Object.entries(rows[0]!).filter(([, n]) => Number(n) !== 0);
    if (problems.length > 0) throw new Error(`bench: the seed is inconsistent: ${JSON.stringify(rows[0])}`);
    await bulk.query('drop table bench_lines, bench_redemptions, bench_orders, bench_providers');
  });
  await t.step('vacuum analyze', () => bulk.query('vacuum analyze'));
  const ms = t.total();
  console.log(`${label} : jeu de données prêt et cohérent en ${seconds(ms)} (chaque encaissement a son écriture équilibrée, chaque compte le solde de ses mouvements, chaque montant ses chèques)`);
  return { redemptions, twoVoucherRedemptions, vouchers, orders: orderCount };
}

/** SQL of a UUID made from a number (an SQL expression), in the order of that number ('b' booklets, 'c' vouchers). */
function sequentialUuid(prefix: 'b' | 'c', number: string): string {
  return `('${prefix}0000000-0000-4000-8000-' || lpad(to_hex(${number}), 12, '0'))::uuid`;
}

/** Drops plain (non-constraint) indexes, giving their definitions back to create them after a bulk load. */
async function dropIndexes(bulk: pg.Client, names: string[]): Promise<string[]> {
  const { rows } = await bulk.query<{ indexname: string; indexdef: string }>(`select indexname, indexdef from pg_indexes where schemaname = 'public' and indexname = any($1)`, [names]);
  if (rows.length !== names.length) throw new Error(`bench: indexes not found among ${names.join(', ')}`);
  for (const row of rows) await bulk.query(`drop index ${row.indexname}`);
  return rows.map((row) => row.indexdef);
}

async function createIndexes(bulk: pg.Client, definitions: string[]): Promise<void> {
  for (const definition of definitions) await bulk.query(definition);
}

interface Baseline {
  scanMs: number;
  copyMs: number;
}

/**
 * The same-run baseline: a plain scan summing the month's redemptions, then one INSERT … SELECT
 * reading them with their place and writing a line for each into a copy of payout_lines with its
 * indexes (no foreign keys, no triggers): the least a settlement of them must do.
 */
async function baseline(bulk: pg.Client, month: SettlementMonth): Promise<Baseline> {
  await bulk.query('checkpoint');
  let started = performance.now();
  await bulk.query(`select count(*), sum(vouchers_cents) from redemptions where service_date between $1 and $2`, [month.firstDay, month.lastDay]);
  const scanMs = performance.now() - started;
  await bulk.query('create table bench_baseline_lines (like payout_lines including indexes)');
  started = performance.now();
  await bulk.query(
    `insert into bench_baseline_lines (redemption_id, payout_id, gross_cents, platform_fee_cents, fund_fee_cents, territory)
     select r.id, r.provider_id, r.vouchers_cents, (r.vouchers_cents * 400 + 5000) / 10000 - (r.vouchers_cents * 100 + 5000) / 10000,
            (r.vouchers_cents * 100 + 5000) / 10000, left(pl.insee_code, 2)
     from redemptions r join places pl on pl.id = r.place_id
     where r.service_date between $1 and $2`,
    [month.firstDay, month.lastDay],
  );
  const copyMs = performance.now() - started;
  await bulk.query('drop table bench_baseline_lines');
  // Both measures start after a checkpoint (the first change of each page then writes it whole to the WAL).
  await bulk.query('checkpoint');
  return { scanMs, copyMs };
}

/**
 * The PostgreSQL backends serving a database, sampled every 100 ms while they live: the highest
 * peak RSS (VmHWM, which counts the shared buffers they touched) and the highest private memory
 * (RssAnon: hash tables, sorts, trigger queues) seen.
 */
function backendMeter(admin: pg.Client, database: string) {
  const peaks = new Map<number, number>();
  let privateKb = 0;
  let busy: Promise<void> | undefined;
  const sample = async () => {
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
    for (const { pid } of rows) {
      try {
        const status = await readFile(`/proc/${pid}/status`, 'utf8');
        const kb = Number(/VmHWM:\s+(\d+)/u.exec(status)?.[1]);
        if (kb) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kb));
        privateKb = Math.max(privateKb, Number(/RssAnon:\s+(\d+)/u.exec(status)?.[1] ?? 0));
      } catch {
        // gone, or no /proc
      }
    }
  };
  const timer = setInterval(() => {
    busy ??= sample().finally(() => (busy = undefined));
  }, 100);
  return {
    async stop(): Promise<{ peakMb: number; privateMb: number } | undefined> {
      clearInterval(timer);
      await busy;
      return peaks.size === 0 ? undefined : { peakMb: Math.max(...peaks.values()) / 1024, privateMb: privateKb / 1024 };
    },
  };
}

async function runChild(env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./settle-child.ts', import.meta.url))], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`settle-child exited with code ${code}`);
  const line = stdout.trim().split('\n').at(-1);
  return JSON.parse(line ?? '{}') as ChildResult;
}

interface Measure {
  label: string;
  redemptions: number;
  child: ChildResult;
  baseline: Baseline;
  backend: { peakMb: number; privateMb: number } | undefined;
  /** Entries and postings the settlement wrote. */
  ledger: { entries: number; postings: number };
  tempMb: number;
  consistent: boolean;
}

const STAGE_LABELS: Record<string, string> = {
  start: 'verrou',
  collect: 'lecture des scans',
  integrity: 'intégrité + agrégats',
  subscriptions: 'abonnements',
  payouts: 'virements et lignes',
  ledger: 'écritures',
  bank_file: 'fichier SEPA',
};

/** After the settlement: its totals against the seed's, the payouts and the SEPA batch against them, the ledger. */
async function check(label: string, bulk: pg.Client, config: Config, month: SettlementMonth, seeded: Seed): Promise<boolean> {
  const money = config.money;
  const one = redemptionFees(FACE_VALUE_CENTS, money);
  const two = redemptionFees(2 * FACE_VALUE_CENTS, money);
  const singles = seeded.redemptions - seeded.twoVoucherRedemptions;
  const expected = {
    gross: singles * FACE_VALUE_CENTS + seeded.twoVoucherRedemptions * 2 * FACE_VALUE_CENTS,
    platform: singles * one.platformFeeCents + seeded.twoVoucherRedemptions * two.platformFeeCents,
    fund: singles * one.fundFeeCents + seeded.twoVoucherRedemptions * two.fundFeeCents,
    subscription: PROVIDERS * withVat(money.subscriptionMonthlyCents, money.vatBp).includingVatCents,
  };
  const expectedNet = expected.gross - expected.platform - expected.fund - expected.subscription;
  const { rows } = await bulk.query<Record<string, string>>(
    `select s.redemptions, s.gross_cents, s.platform_fee_cents, s.fund_fee_cents, s.subscription_cents, s.net_cents,
            (select count(*) from payouts p where p.settlement_id = s.id) as payouts,
            (select coalesce(sum(p.net_cents), 0) from payouts p where p.settlement_id = s.id) as payouts_net,
            (select count(*) from payout_lines) as lines,
            (select coalesce(sum(b.control_sum_cents), 0) from payout_batches b where b.settlement_id = s.id) as sepa_sum,
            (select coalesce(sum(b.transactions), 0) from payout_batches b where b.settlement_id = s.id) as sepa_transactions,
            (select count(*) from ledger_accounts where kind = 'provider_payable' and balance_cents <> 0) as payable_left,
            (select -balance_cents from ledger_accounts where kind = 'payouts_in_transit') as in_transit,
            (select -balance_cents from ledger_accounts where kind = 'platform_fees') as platform_booked,
            (select -sum(balance_cents) from ledger_accounts where kind = 'territorial_fund') as fund_booked,
            (select count(*) from subscription_invoices where paid_by_payout_id is null) as invoices_unpaid
     from settlements s where s.month = $1`,
    [month.firstDay],
  );
  const r = Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
  const ok =
    r.redemptions === seeded.redemptions &&
    r.gross_cents === expected.gross &&
    r.platform_fee_cents === expected.platform &&
    r.fund_fee_cents === expected.fund &&
    r.subscription_cents === expected.subscription &&
    r.net_cents === expectedNet &&
    r.payouts_net === expectedNet &&
    r.payouts === PROVIDERS &&
    r.lines === seeded.redemptions &&
    r.sepa_sum === expectedNet &&
    r.sepa_transactions === PROVIDERS &&
    r.payable_left === 0 &&
    r.in_transit === expectedNet &&
    r.platform_booked === expected.platform &&
    r.fund_booked === expected.fund &&
    r.invoices_unpaid === 0;
  console.log(
    `${label} : contrôle ${ok ? 'OK' : 'ÉCART'} — brut ${euros(r.gross_cents!)} (attendu ${euros(expected.gross)}) − frais ${euros(r.platform_fee_cents! + r.fund_fee_cents!)} ` +
      `(attendu ${euros(expected.platform + expected.fund)}) − abonnements ${euros(r.subscription_cents!)} (attendu ${euros(expected.subscription)}) = net ${euros(r.net_cents!)} ` +
      `(attendu ${euros(expectedNet)}) ; somme des ${fr(r.payouts!)} virements ${euros(r.payouts_net!)}, fichier SEPA ${fr(r.sepa_transactions!)} virements pour ${euros(r.sepa_sum!)} ; ` +
      `${fr(r.lines!)} lignes pour ${fr(seeded.redemptions)} encaissements ; grand livre : ${r.payable_left} compte fournisseur non soldé, virements en cours ${euros(r.in_transit!)}, ` +
      `frais plateforme ${euros(r.platform_booked!)}, fonds territorial ${euros(r.fund_booked!)}`,
  );
  if (!ok) console.log(`${label} : détail ${JSON.stringify(r)}`);
  return ok;
}

async function measure(server: URL, admin: pg.Client, redemptions: number, month: SettlementMonth, outDir: string): Promise<Measure> {
  const label = `${fr(redemptions)} encaissements`;
  const name = `passnum_bench_settle_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const scratch = new URL(server);
  scratch.pathname = `/${name}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: scratch.toString(), PASSNUM_VOUCHER_SECRET: randomBytes(32).toString('base64') };
  const config = readConfig(env);
  const database = await openDatabase({ kind: 'postgres', url: scratch.toString(), poolSize: 2 });
  const bulk = new pg.Client({ connectionString: scratch.toString() });
  await bulk.connect();
  if (process.env.BENCH_SETTLE_VERBOSE) {
    const query = bulk.query.bind(bulk) as (...args: unknown[]) => Promise<unknown>;
    (bulk as unknown as { query: unknown }).query = async (...args: unknown[]) => {
      const t = performance.now();
      const result = await query(...args);
      const ms = performance.now() - t;
      if (ms > 300) console.log(`  [${seconds(ms)}] ${String(args[0]).replace(/\s+/gu, ' ').slice(0, 110)}`);
      return result;
    };
  }
  try {
    const seeded = await seed(label, database, bulk, config, month, redemptions);
    const base = await baseline(bulk, month);
    const temp = async () => Number((await admin.query<{ b: string }>('select temp_bytes::int8 as b from pg_stat_database where datname = $1', [name])).rows[0]?.b ?? 0);
    const tempBefore = await temp();
    console.log(`${label} : règlement de ${month.month} dans un processus à part (charge de la machine avant : ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    const meter = backendMeter(admin, name);
    const child = await runChild({
      ...env,
      BENCH_SETTLE_DATABASE_URL: scratch.toString(),
      BENCH_SETTLE_MONTH: month.month,
      BENCH_SETTLE_OUT: path.join(outDir, name),
      BENCH_SETTLE_STATEMENTS: String(STATEMENTS),
    });
    const backend = await meter.stop();
    const tempMb = ((await temp()) - tempBefore) / 1024 / 1024;
    const consistent = await check(label, bulk, config, month, seeded);
    const { rows } = await bulk.query<{ entries: string; postings: string }>(
      `select count(distinct e.seq) as entries, count(*) as postings
       from journal_entries e join postings p on p.entry_seq = e.seq where e.kind in ('payout', 'subscription_invoice')`,
    );
    const ledger = { entries: Number(rows[0]!.entries), postings: Number(rows[0]!.postings) };
    return { label, redemptions, child, baseline: base, backend, tempMb, consistent, ledger };
  } finally {
    await bulk.end();
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
  }
}

function report(m: Measure): void {
  const c = m.child;
  const total = c.settleMs + c.sepaMs;
  console.log(
    `${m.label} : règlement ${seconds(c.settleMs)} + fichier SEPA écrit ${(c.sepaMs).toFixed(0)} ms (${(c.sepaBytes / 1024 / 1024).toFixed(1)} Mo) = ${seconds(total)}, ` +
      `${fr(Math.round(m.redemptions / (total / 1000)))} encaissements/s, ${fr(c.payouts)} virements ; mémoire de pointe (RSS du processus Node du règlement) ${c.peakRssMb.toFixed(0)} Mo` +
      `${m.backend === undefined ? '' : ` ; côté serveur, backend PostgreSQL : ${m.backend.privateMb.toFixed(0)} Mo de mémoire privée au plus, pic RSS ${m.backend.peakMb.toFixed(0)} Mo avec les tampons partagés touchés`}, fichiers temporaires ${m.tempMb.toFixed(0)} Mo`,
  );
  console.log(
    `${m.label} : étapes : ${c.stages.map((s) => `${STAGE_LABELS[s.stage] ?? s.stage} ${seconds(s.ms)}`).join(', ')} ` +
      `(écritures : ${fr(m.ledger.entries)} écritures, ${fr(m.ledger.postings)} mouvements, une par facture d’abonnement et par virement, quel que soit le nombre d’encaissements)`,
  );
  console.log(
    `${m.label} : référence (même base) : lecture seule des encaissements ${(m.baseline.scanMs).toFixed(0)} ms ; lecture + une ligne indexée par encaissement ${seconds(m.baseline.copyMs)} ; ` +
      `règlement ÷ référence = ${(total / m.baseline.copyMs).toFixed(1)}×`,
  );
  if (c.statements.count > 0) {
    const per = c.statements.ms / c.statements.count;
    console.log(
      `${m.label} : relevés PDF (à part, non compris ci-dessus) : ${c.statements.count} sur ${fr(c.payouts)} en ${seconds(c.statements.ms)}, ${per.toFixed(0)} ms l’un ` +
        `(lecture ${(c.statements.loadMs / c.statements.count).toFixed(0)} ms, dessin ${(c.statements.renderMs / c.statements.count).toFixed(0)} ms ; ${(c.statements.bytes / c.statements.count / 1024).toFixed(0)} Ko), ` +
        `soit ≈ ${seconds(per * c.payouts)} pour tous ; RSS de pointe après eux ${c.statements.peakRssMb.toFixed(0)} Mo`,
    );
  }
}

export async function main(): Promise<void> {
  const server = new URL(process.env.BENCH_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres');
  if (!server.username) server.username = process.env.PGUSER ?? os.userInfo().username;
  const config = readConfig(process.env);
  const month = parseSettlementMonth(latestSettleableMonth(new Date(), config.money.graceDay));
  console.log(
    `Règlement mensuel : ${SIZES.map(fr).join(' puis ')} encaissements du mois ${month.month} sur ${fr(PROVIDERS)} structures qualifiées (une base PostgreSQL jetable par taille). ` +
      `Objectif : 1 million en ≤ ${TARGET_MS / 1000} s et ≤ ${TARGET_RSS_MB} Mo, coût linéaire (rapport 1M/100k ≈ 10).`,
  );
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-bench-settle-'));
  try {
    const measures: Measure[] = [];
    for (const size of SIZES) measures.push(await measure(server, admin, size, month, outDir));
    console.log('');
    for (const m of measures) report(m);
    const [small, large] = measures as [Measure, Measure];
    const time = (m: Measure) => m.child.settleMs + m.child.sepaMs;
    const ratio = time(large) / time(small);
    const baseRatio = large.baseline.copyMs / small.baseline.copyMs;
    const largeMs = time(large);
    console.log(
      `Rapport des temps ${fr(large.redemptions)} ÷ ${fr(small.redemptions)} : ${ratio.toFixed(1)} (linéaire ≈ ${(large.redemptions / small.redemptions).toFixed(0)} ; ` +
        `la référence fait ${baseRatio.toFixed(1)} sur la même machine)`,
    );
    const sizeRatio = large.redemptions / small.redemptions;
    const stageRatios = small.child.stages
      .filter((s) => s.stage !== 'start')
      .map((s) => ({ stage: s.stage, ratio: (large.child.stages.find((l) => l.stage === s.stage)?.ms ?? 0) / s.ms }));
    // A stage grows too fast if it outgrows both the number of redemptions and the baseline (the
    // same machine also slows down per row once the data outgrows its caches), by a quarter.
    const limit = Math.max(sizeRatio, baseRatio) * 1.25;
    const superLinear = stageRatios.filter((s) => s.ratio > limit);
    console.log(
      `Rapport par étape : ${stageRatios.map((s) => `${STAGE_LABELS[s.stage] ?? s.stage} ${s.ratio.toFixed(1)}`).join(', ')} ` +
        (superLinear.length === 0
          ? `(aucune au-delà de ${limit.toFixed(1)} = 1,25 × max(${sizeRatio.toFixed(0)}, référence ${baseRatio.toFixed(1)}) ; les écritures et le fichier SEPA ne dépendent que du nombre de structures)`
          : `(AU-DELÀ DE ${limit.toFixed(1)} = 1,25 × max(${sizeRatio.toFixed(0)}, référence ${baseRatio.toFixed(1)}) : ${superLinear.map((s) => STAGE_LABELS[s.stage] ?? s.stage).join(', ')})`),
    );
    console.log(
      `Objectifs pour ${fr(large.redemptions)} : temps ${seconds(largeMs)} (≤ ${TARGET_MS / 1000} s ${largeMs <= TARGET_MS ? 'atteint' : 'MANQUÉ'}), ` +
        `mémoire ${large.child.peakRssMb.toFixed(0)} Mo (≤ ${TARGET_RSS_MB} Mo ${large.child.peakRssMb <= TARGET_RSS_MB ? 'atteint' : 'MANQUÉ'}), ` +
        `contrôles ${measures.every((m) => m.consistent) ? 'OK' : 'ÉCART'} ; charge de la machine à la fin : ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} processeurs)`,
    );
  } finally {
    await admin.end();
    await rm(outDir, { recursive: true, force: true });
  }
}
