import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domains/errors.js';
import { ENTRIES_CSV_COLUMNS, FEC_COLUMNS, exportEntriesCsv, exportFec } from '../../src/domains/exports/fec.js';
import { postFunderPayment, postOrderPaid, postPayout, postPayoutSettled, postSubscriptionInvoice } from '../../src/domains/ledger/money-events.js';
import { postEntry } from '../../src/domains/ledger/post-entry.js';
import { sealLedger } from '../../src/domains/ledger/seal-ledger.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { usedVouchersWorld } from '../support/export-fixtures.js';
import { setClock } from '../support/voucher-fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext({ platform: { name: 'passnum', address: 'Paris', siret: '12345678900017', email: 'contact@passnum.fr', vatNumber: null } });
});
afterEach(async () => t.close());

/** A writable that keeps what it is given, slowly and with a tiny buffer: back-pressure is exercised. */
function sink() {
  const chunks: Buffer[] = [];
  let drains = 0;
  const stream = new Writable({
    highWaterMark: 256,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  stream.on('drain', () => drains++);
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), drains: () => drains };
}

interface FecLine {
  fields: string[];
  num: number;
  date: string;
  chart: string;
  cents: number;
}

/** Reads a FEC back: every record split on tabs, amounts as signed cents. */
function readFec(text: string) {
  expect(text.endsWith('\r\n')).toBe(true);
  const records = text.slice(0, -2).split('\r\n');
  const header = records[0]!.split('\t');
  const lines: FecLine[] = records.slice(1).map((record) => {
    const fields = record.split('\t');
    expect(fields).toHaveLength(18);
    const [debit, credit] = [fields[11]!, fields[12]!];
    for (const amount of [debit, credit]) expect(amount).toMatch(/^\d+,\d{2}$/);
    expect(debit === '0,00' || credit === '0,00').toBe(true);
    for (const date of [fields[3]!, fields[9]!, fields[15]!]) expect(date).toMatch(/^\d{8}$/);
    const cents = (s: string) => Number(s.replace(',', ''));
    return { fields, num: Number(fields[2]), date: fields[3]!, chart: fields[4]!, cents: cents(debit) - cents(credit) };
  });
  return { header, lines };
}

async function ledgerOfYear(year: number) {
  return t.ctx.db
    .selectFrom('postings as p')
    .innerJoin('journal_entries as e', 'e.seq', 'p.entry_seq')
    .innerJoin('ledger_accounts as a', 'a.id', 'p.account_id')
    .select(['e.seq', 'e.booked_on', 'a.chart_number', 'p.amount_cents', 'e.label'])
    .where('e.booked_on', '>=', `${year}-01-01`)
    .where('e.booked_on', '<=', `${year}-12-31`)
    .orderBy('e.booked_on')
    .orderBy('e.seq')
    .orderBy('p.line')
    .execute();
}

/** Two years of money: orders, redemptions, a payment, a settlement, a subscription, a manual correction. */
async function twoYears() {
  const world = await usedVouchersWorld(t.ctx, { used: 3, form: { territory: '33' } });
  const funderId = world.funder.funder.id;
  const providerId = world.place.provider.organisation.id;
  await t.ctx.db.transaction().execute(async (trx) => {
    const now = t.ctx.clock.now();
    await postOrderPaid(trx, { id: world.order.id, number: world.order.number, funderId, amountCents: 10_000, reference: 'VIR-2026-1' }, now);
    await postSubscriptionInvoice(trx, { number: 'A-2026-000001', providerId, excludingVatCents: 700, vatCents: 140 }, '2026-03-31', now);
    await postPayout(
      trx,
      { statementNumber: 'R-2026-000001', providerId, grossCents: 3000, platformFeeCents: 90, fundFeeByTerritory: new Map([['33', 30]]), subscriptionCents: 840, carriedInCents: 0, netCents: 2040 },
      '2026-03-31',
      now,
    );
    await postEntry(
      trx,
      {
        journal: 'OD',
        kind: 'correction',
        label: 'Correction\tmanuelle\r\nsur deux lignes',
        bookedOn: '2026-03-31',
        pieceRef: 'OD-1',
        lines: [
          { account: { kind: 'bank' }, amountCents: 1 },
          { account: { kind: 'funder_balance', funderId }, amountCents: -1 },
        ],
      },
      now,
    );
  });
  setClock(t.clock, '2026-04-10T08:00:00Z');
  await t.ctx.db.transaction().execute((trx) => postPayoutSettled(trx, { statementNumber: 'R-2026-000001', netCents: 2040 }, t.ctx.clock.now()));
  setClock(t.clock, '2027-01-15T10:00:00Z');
  await t.ctx.db.transaction().execute((trx) => postFunderPayment(trx, { funderId, invoiceNumber: 'FU-2027-000001', amountCents: 500 }, t.ctx.clock.now()));
  return world;
}

describe('the FEC', () => {
  it('has 18 columns, continuous numbers, balanced entries and the ledger’s postings of the year', async () => {
    const world = await twoYears();
    const out = sink();
    const summary = await exportFec(t.ctx.db, { year: 2026, siret: t.ctx.config.platform.siret }, out.stream);
    expect(summary.fileName).toBe('123456789FEC20261231.txt');
    const { header, lines } = readFec(out.text());
    expect(header).toEqual([...FEC_COLUMNS]);
    expect(out.drains()).toBeGreaterThan(0);

    // Continuous numbers from 1, each entry balanced, its lines together.
    const numbers = [...new Set(lines.map((l) => l.num))];
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect(lines.map((l) => l.num)).toEqual([...lines.map((l) => l.num)].sort((a, b) => a - b));
    for (const n of numbers) expect(lines.filter((l) => l.num === n).reduce((sum, l) => sum + l.cents, 0)).toBe(0);
    // Dates in order, all in the year.
    expect(lines.map((l) => l.date)).toEqual([...lines.map((l) => l.date)].sort());
    expect(lines.every((l) => l.date.startsWith('2026'))).toBe(true);
    // Totals.
    const debit = lines.reduce((sum, l) => sum + Math.max(l.cents, 0), 0);
    const credit = lines.reduce((sum, l) => sum + Math.max(-l.cents, 0), 0);
    expect(debit).toBe(credit);
    expect(summary).toMatchObject({ entries: numbers.length, lines: lines.length, debitCents: debit, creditCents: credit });

    // Parsed back, it is the ledger of 2026: same postings, in the same order, the 2027 entry left out.
    const ledger = await ledgerOfYear(2026);
    expect(lines.map((l) => [l.date, l.chart, l.cents])).toEqual(ledger.map((p) => [p.booked_on.replaceAll('-', ''), p.chart_number, p.amount_cents]));
    expect(numbers).toHaveLength(new Set(ledger.map((p) => p.seq)).size);

    // Text kept on one field; per-owner accounts carry their auxiliary account.
    const correction = lines.find((l) => l.fields[8] === 'OD-1')!;
    expect(correction.fields[10]).toBe('Correction manuelle sur deux lignes');
    const funderLine = lines.find((l) => l.chart === '411000')!;
    expect(funderLine.fields[6]).toMatch(/^FI[0-9A-F]{12}$/);
    expect(funderLine.fields[7]).toBe(world.funder.funder.name);
    const fundLine = lines.find((l) => l.chart === '467200')!;
    expect(fundLine.fields.slice(6, 8)).toEqual(['FT33', 'Gironde (33)']);
    const outstanding = lines.find((l) => l.chart === '467100')!;
    expect(outstanding.fields[6]).toBe(`CMD${String(world.order.number).padStart(6, '0')}`);
    const settled = lines.find((l) => l.fields[0] === 'BQ' && l.fields[8] === 'R-2026-000001')!;
    expect(settled.fields[15]).toBe('20260410');
    expect(lines.find((l) => l.chart === '512000')!.fields.slice(6, 8)).toEqual(['', '']);
  });

  it('opens the next year with the balances carried forward, income on the result', async () => {
    await twoYears();
    const out = sink();
    await exportFec(t.ctx.db, { year: 2027, siret: t.ctx.config.platform.siret }, out.stream);
    const { lines } = readFec(out.text());
    const opening = lines.filter((l) => l.num === 1);
    expect(opening.every((l) => l.fields[0] === 'AN' && l.date === '20270101' && l.fields[8] === 'AN-2027')).toBe(true);
    expect(opening.reduce((sum, l) => sum + l.cents, 0)).toBe(0);
    // Each balance-sheet account's balance at the end of 2026, by chart number and auxiliary account.
    const ledger = await ledgerOfYear(2026);
    const byChart = new Map<string, number>();
    for (const p of ledger) byChart.set(p.chart_number, (byChart.get(p.chart_number) ?? 0) + p.amount_cents);
    const openingByChart = new Map<string, number>();
    for (const l of opening) openingByChart.set(l.chart, (openingByChart.get(l.chart) ?? 0) + l.cents);
    for (const [chart, balance] of byChart) {
      if (/^[67]/.test(chart)) expect(openingByChart.has(chart)).toBe(false);
      else expect(openingByChart.get(chart) ?? 0).toBe(balance);
    }
    // Platform fees and subscriptions (income, credit) become the carried-forward result.
    expect(openingByChart.get('110000')).toBe(-(90 + 700));
    expect(lines.filter((l) => l.num === 2).map((l) => [l.fields[0], l.chart, l.cents])).toEqual([
      ['BQ', '512000', 500],
      ['BQ', '411000', -500],
    ]);
  });

  it('streams a year of several pages', async () => {
    await twoYears();
    // 2,100 transfers written in two statements (the hash chain is not the point here), on two
    // days of 2027 so that pages end in the middle of a day.
    const accounts = await t.ctx.db.selectFrom('ledger_accounts').select(['id', 'kind']).where('kind', 'in', ['bank', 'funder_balance']).execute();
    const bank = accounts.find((a) => a.kind === 'bank')!.id;
    const funder = accounts.find((a) => a.kind === 'funder_balance')!.id;
    await t.ctx.db.transaction().execute(async (trx) => {
      await sql`
        insert into journal_entries (seq, journal, kind, label, booked_on, piece_ref, created_at)
        select 1000 + g, 'BQ', 'funder_payment', 'Virement ' || g, case when g % 2 = 0 then date '2027-02-01' else date '2027-01-20' end,
               'V-' || g, now()
        from generate_series(1, 2100) as g`.execute(trx);
      // Each posting with its account's balance after it and its rank, as post-entry.ts writes them.
      await sql`
        insert into postings (entry_seq, line, account_id, amount_cents, balance_after_cents, account_line)
        select t.seq, t.line, a.id, t.amount, a.balance_cents + sum(t.amount) over w, a.postings_count + row_number() over w
        from (
          select 1000 + g as seq, l as line, case when l = 1 then ${bank}::uuid else ${funder}::uuid end as account_id,
                 case when l = 1 then 100 + g else -(100 + g) end as amount
          from generate_series(1, 2100) as g, generate_series(1, 2) as l
        ) t
        join ledger_accounts a on a.id = t.account_id
        window w as (partition by a.id order by t.seq rows unbounded preceding)`.execute(trx);
    });
    const out = sink();
    const summary = await exportFec(t.ctx.db, { year: 2027, siret: t.ctx.config.platform.siret }, out.stream);
    const { lines } = readFec(out.text());
    // Opening entry, the 2027 payment, 2,100 transfers: each once, numbered 1…N, dates in order.
    expect(summary.entries).toBe(2102);
    expect(new Set(lines.map((l) => l.fields[8])).size).toBe(2102);
    expect(lines.at(-1)!.num).toBe(2102);
    expect(lines.map((l) => l.date)).toEqual([...lines.map((l) => l.date)].sort());
  });

  it('refuses a year that is not one', async () => {
    await expect(exportFec(t.ctx.db, { year: 26, siret: '12345678900017' }, sink().stream)).rejects.toThrow(DomainError);
  });
});

describe('the CSV of entries', () => {
  it('lists every posting of the period with its entry’s number and chain hash', async () => {
    await twoYears();
    const out = sink();
    const summary = await exportEntriesCsv(t.ctx.db, '2026-03-01', '2026-04-30', out.stream);
    const rows = parse(out.text(), { columns: true }) as Record<string, string>[];
    const ledger = await ledgerOfYear(2026);
    expect(Object.keys(rows[0]!)).toEqual([...ENTRIES_CSV_COLUMNS]);
    expect(rows).toHaveLength(ledger.length);
    expect(summary).toEqual({ entries: new Set(ledger.map((p) => p.seq)).size, lines: ledger.length });
    const cents = (s: string) => Math.round(Number(s) * 100);
    expect(rows.map((r) => [Number(r.seq), r.account_number, cents(r.debit!) - cents(r.credit!)])).toEqual(ledger.map((p) => [p.seq, p.chart_number, p.amount_cents]));
    await sealLedger(t.ctx.db, t.ctx.clock.now(), 0);
    const again = sink();
    await exportEntriesCsv(t.ctx.db, '2026-03-01', '2026-04-30', again.stream);
    const sealed = parse(again.text(), { columns: true }) as Record<string, string>[];
    expect(sealed).toHaveLength(rows.length);
    const seals = await t.ctx.db.selectFrom('ledger_seals').select(['seq', 'hash']).execute();
    for (const row of sealed) expect(row.hash).toBe(seals.find((e) => e.seq === Number(row.seq))!.hash.toString('hex'));
    expect(rows.find((r) => r.piece === 'OD-1')!.label).toBe('Correction\tmanuelle\r\nsur deux lignes');

    const empty = sink();
    expect(await exportEntriesCsv(t.ctx.db, '2025-01-01', '2025-12-31', empty.stream)).toEqual({ entries: 0, lines: 0 });
    expect(empty.text()).toBe(`${ENTRIES_CSV_COLUMNS.join(',')}\n`);
  });

  it('refuses a period that is not one', async () => {
    for (const [from, to] of [
      ['2026-02-01', '2026-01-01'],
      ['2026-02-30', '2026-03-01'],
      ['2026', '2026-03-01'],
    ] as const) {
      await expect(exportEntriesCsv(t.ctx.db, from, to, sink().stream)).rejects.toMatchObject({ code: 'export_period_invalid' });
    }
  });
});
