import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPIRY_JOB, scheduleDailyExpiry } from '../../src/jobs/expiry-job.js';
import { JOB_HANDLERS, recurringWork } from '../../src/jobs/handlers.js';
import { runDueJobs, startJobWorker } from '../../src/jobs/worker.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createFunder, issueTestOrder, setClock } from '../support/voucher-fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

/** One round of the worker as the server runs it, at the clock's instant. */
async function workerRound(): Promise<void> {
  const worker = startJobWorker(t.ctx, { handlers: JOB_HANDLERS, everyRound: recurringWork, pollMs: 3_600_000 });
  await worker.tick();
  await worker.stop();
}

async function expiryJobs() {
  const rows = await t.ctx.db.selectFrom('jobs').select(['key', 'status', 'attempts']).where('kind', '=', EXPIRY_JOB).orderBy('key').execute();
  return rows.map((row) => [row.key, row.status, row.attempts]);
}

async function stepsOf(orderId: string) {
  const rows = await t.ctx.db.selectFrom('order_expiry_steps').select(['stage', 'credit_note_number', 'amount_cents']).where('order_id', '=', orderId).orderBy('done_at').orderBy('stage').execute();
  return rows.map((row) => (row.stage === 'credit_note' ? [row.stage, row.credit_note_number, row.amount_cents] : [row.stage]));
}

describe('the daily expiry job', () => {
  it('is scheduled once per Paris day, due at once', async () => {
    // 23:30 in Paris on 30 May (summer time): still the 30th.
    setClock(t.clock, '2026-05-30T21:30:00Z');
    expect(await scheduleDailyExpiry(t.ctx)).toBe('2026-05-30');
    expect(await scheduleDailyExpiry(t.ctx)).toBeUndefined();
    // 00:30 in Paris: the 31st, a new day.
    setClock(t.clock, '2026-05-30T22:30:00Z');
    expect(await scheduleDailyExpiry(t.ctx)).toBe('2026-05-31');
    const jobs = await t.ctx.db.selectFrom('jobs').select(['key', 'run_at']).where('kind', '=', EXPIRY_JOB).orderBy('key').execute();
    expect(jobs.map((job) => [job.key, job.run_at.toISOString()])).toEqual([
      ['2026-05-30', '2026-05-30T21:30:00.000Z'],
      ['2026-05-31', '2026-05-30T22:30:00.000Z'],
    ]);
  });

  it('runs the expiry from the worker’s rounds, once a day: J-30 on its day, the missed stages and the credit note later', async () => {
    const funder = await createFunder(t.ctx);
    // One booklet of 5 vouchers of 10 €, none used, valid until 30 June 2026.
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '1', validFrom: '2026-03-02', validUntil: '2026-06-30' });

    // 30 May: nothing due yet; the day's job runs and records nothing.
    setClock(t.clock, '2026-05-30T06:00:00Z');
    await workerRound();
    expect(await expiryJobs()).toEqual([['2026-05-30', 'done', 1]]);
    expect(await stepsOf(order.id)).toEqual([]);

    // The first round of 31 May (00:30 in Paris): J-30, the funder's admin alerted.
    setClock(t.clock, '2026-05-30T22:30:00Z');
    await workerRound();
    expect(await expiryJobs()).toEqual([
      ['2026-05-30', 'done', 1],
      ['2026-05-31', 'done', 1],
    ]);
    expect(await stepsOf(order.id)).toEqual([['alert_30']]);
    expect(t.mailbox.sent.map((mail) => [mail.to, mail.subject])).toEqual([[funder.funderAdmin.email, expect.stringContaining('arrivent à échéance le 30 juin 2026')]]);

    // The other rounds of the day neither schedule nor run it again.
    for (const instant of ['2026-05-31T08:00:00Z', '2026-05-31T21:59:00Z']) {
      setClock(t.clock, instant);
      await workerRound();
    }
    expect(await expiryJobs()).toHaveLength(2);
    expect(await runDueJobs(t.ctx, JOB_HANDLERS)).toBe(0);
    expect(t.mailbox.sent).toHaveLength(1);

    // The server was down from June to the end of July: the first round on 31 July records the
    // stages missed, and the credit note for the 5 vouchers never used (no notice after the end).
    setClock(t.clock, '2026-07-31T05:00:00Z');
    await workerRound();
    expect(await expiryJobs()).toEqual([
      ['2026-05-30', 'done', 1],
      ['2026-05-31', 'done', 1],
      ['2026-07-31', 'done', 1],
    ]);
    expect(await stepsOf(order.id)).toEqual([['alert_30'], ['acknowledge_7'], ['block_15'], ['credit_note', 'AV-2026-000001', 5000]]);
    expect(t.mailbox.sent).toHaveLength(2);
    expect(t.mailbox.sent[1]!.subject).toContain('Avoir AV-2026-000001');
    const creditNotes = await t.ctx.db.selectFrom('journal_entries').select(['piece_ref', 'booked_on']).where('kind', '=', 'credit_note').execute();
    expect(creditNotes).toEqual([{ piece_ref: 'AV-2026-000001', booked_on: '2026-07-31' }]);

    // The next day's run finds nothing left to do.
    setClock(t.clock, '2026-08-01T05:00:00Z');
    await workerRound();
    expect((await expiryJobs()).at(-1)).toEqual(['2026-08-01', 'done', 1]);
    expect(await t.ctx.db.selectFrom('journal_entries').select('seq').where('kind', '=', 'credit_note').execute()).toHaveLength(1);
    expect(t.mailbox.sent).toHaveLength(2);
  });
});
