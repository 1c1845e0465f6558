import { expectSoundLedger } from '../support/ledger.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dueStages, expirySchedule, runExpiry } from '../../src/domains/expiry/expire-orders.js';
import { accountId, accountKey } from '../../src/domains/ledger/accounts.js';
import { postEntry } from '../../src/domains/ledger/post-entry.js';
import { allocateBooklets, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { redeemEach } from '../support/export-fixtures.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { bookletsOf, createFunder, issueTestOrder, recorderOf, redemptionInput, setClock, type TestFunder } from '../support/voucher-fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

/** Moves the clock to this Paris day at 08:00 (summer time) and runs the expiry, as the daily job does. */
async function runOn(day: string) {
  setClock(t.clock, `${day}T06:00:00Z`);
  return runExpiry(t.ctx, t.clock.now());
}

/** Everything a run may change, to prove a second run changes nothing. */
async function expiryState() {
  const [steps, entries, counters, audit] = await Promise.all([
    t.ctx.db.selectFrom('order_expiry_steps').selectAll().orderBy('order_id').orderBy('stage').execute(),
    t.ctx.db.selectFrom('journal_entries').select(['seq', 'kind']).orderBy('seq').execute(),
    t.ctx.db.selectFrom('document_counters').selectAll().orderBy('series').execute(),
    t.ctx.db.selectFrom('audit_events').select('id').where('action', 'like', 'order.%').execute(),
  ]);
  return { steps, entries, counters, audit: audit.length, mails: t.mailbox.sent.length };
}

/**
 * 3 booklets of 5 vouchers of 10 €, valid until 30 June 2026: two entrusted to the distributor,
 * one of them handed out, two of its vouchers used.
 */
async function expiringOrder(funder: TestFunder) {
  const order = await issueTestOrder(t.ctx, funder, { bookletCount: '3', validFrom: '2026-03-02', validUntil: '2026-06-30', label: 'Été numérique' });
  await allocateBooklets(t.ctx, funder.funderActor, { funderId: funder.funder.id, orderId: order.id, distributorId: funder.distributor.id, count: 2 });
  const booklets = await bookletsOf(t.ctx, order.id);
  await handOutBooklet(t.ctx, funder.distributorActor, { distributorId: funder.distributor.id, number: booklets[0]!.number });
  const place = await createPublicPlace(t.ctx);
  await redeemEach(t.ctx, place, booklets[0]!.codes.slice(0, 2));
  return { order, booklets, place };
}

/** For the order: issued, used, expired (credited) and outstanding, from the vouchers and from the ledger. */
async function orderMoney(order: { id: string; funder_id: string }) {
  const vouchers = await t.ctx.db.selectFrom('vouchers').select(['face_value_cents', 'redemption_id']).where('order_id', '=', order.id).execute();
  const issued = vouchers.reduce((sum, v) => sum + v.face_value_cents, 0);
  const used = vouchers.filter((v) => v.redemption_id !== null).reduce((sum, v) => sum + v.face_value_cents, 0);
  const step = await t.ctx.db.selectFrom('order_expiry_steps').select('amount_cents').where('order_id', '=', order.id).where('stage', '=', 'credit_note').executeTakeFirst();
  const account = await t.ctx.db
    .selectFrom('ledger_accounts')
    .select('balance_cents')
    .where('id', '=', accountId(accountKey({ kind: 'vouchers_outstanding', orderId: order.id, funderId: order.funder_id })))
    .executeTakeFirstOrThrow();
  const entries = await t.ctx.db
    .selectFrom('journal_entries as e')
    .innerJoin('postings as p', 'p.entry_seq', 'e.seq')
    .select(['e.kind', 'p.amount_cents'])
    .where('p.account_id', '=', accountId(accountKey({ kind: 'vouchers_outstanding', orderId: order.id, funderId: order.funder_id })))
    .execute();
  const byKind = (kind: string) => entries.filter((e) => e.kind === kind).reduce((sum, e) => sum + e.amount_cents, 0);
  return {
    issued,
    used,
    expired: step?.amount_cents ?? 0,
    outstanding: 0 - account.balance_cents,
    ledger: { issued: -byKind('order_issued'), used: byKind('redemption'), expired: byKind('credit_note') },
  };
}

describe('the expiry schedule', () => {
  it('counts Paris days back from the end of validity, and gives a month of tolerance', () => {
    expect(expirySchedule('2026-06-30')).toEqual({
      alert_30: '2026-05-31',
      block_15: '2026-06-15',
      acknowledge_7: '2026-06-23',
      lastScanDay: '2026-07-30',
      credit_note: '2026-07-31',
    });
    expect(expirySchedule('2027-01-31').credit_note).toBe('2027-03-01');
    expect(dueStages('2026-06-30', '2026-05-30')).toEqual([]);
    expect(dueStages('2026-06-30', '2026-06-20')).toEqual(['alert_30', 'block_15']);
    expect(dueStages('2026-06-30', '2026-07-31')).toEqual(['alert_30', 'block_15', 'acknowledge_7', 'credit_note']);
  });
});

describe('the expiry of an order', () => {
  it('alerts at J-30, blocks at J-15, acknowledges at J-7 and credits the unused vouchers after the tolerance, once', async () => {
    const funder = await createFunder(t.ctx);
    const { order, booklets, place } = await expiringOrder(funder);
    const admin = funder.funderAdmin.email;

    expect(await runOn('2026-05-30')).toEqual({ steps: [], creditNotes: [], mails: 0, refused: [] });

    const alert = await runOn('2026-05-31');
    expect(alert.steps).toEqual([{ orderId: order.id, stage: 'alert_30' }]);
    expect(t.mailbox.sent).toHaveLength(1);
    const alertMail = t.mailbox.sent[0]!;
    expect(alertMail.to).toBe(admin);
    expect(alertMail.subject).toContain('arrivent à échéance le 30 juin 2026');
    expect(alertMail.text).toContain('- carnets émis : 3');
    expect(alertMail.text).toContain('- confiés à des distributeurs : 2');
    expect(alertMail.text).toContain('- non confiés (encore chez vous) : 1');
    expect(alertMail.text).toContain('- remis à des bénéficiaires : 1');
    expect(alertMail.text).toContain('- entamés (au moins un chèque utilisé) : 1');
    expect(alertMail.text).toContain('chèques utilisés : 2 sur 15 ; valeur des chèques non utilisés : 130,00 €');
    expect(alertMail.text).toContain(`/financeur/commandes/${order.id}`);
    expect((await runOn('2026-06-01')).steps).toEqual([]);
    expect(t.mailbox.sent).toHaveLength(1);

    expect((await runOn('2026-06-15')).steps).toEqual([{ orderId: order.id, stage: 'block_15' }]);
    expect(t.mailbox.sent.at(-1)!.subject).toContain('seront bloqués après le 30 juin 2026');
    expect((await runOn('2026-06-23')).steps).toEqual([{ orderId: order.id, stage: 'acknowledge_7' }]);
    expect(t.mailbox.sent.at(-1)!.subject).toContain('échéance le 30 juin 2026');
    expect(t.mailbox.sent).toHaveLength(3);

    // In the tolerance month, a service of 30 June is still taken; the order is not credited yet.
    setClock(t.clock, '2026-07-10T09:00:00Z');
    const late = await redeemVouchers(t.ctx, recorderOf(place.provider), redemptionInput(t.ctx, place.place.id, [booklets[0]!.codes[2]!], { serviceDate: '2026-06-30' }));
    expect(late.outcome.ok).toBe(true);
    setClock(t.clock, '2026-07-30T21:59:00Z');
    expect(await runExpiry(t.ctx, t.clock.now())).toEqual({ steps: [], creditNotes: [], mails: 0, refused: [] });

    // The day after the last scan day: a credit note for the 12 vouchers never used. Two runs at
    // once (two workers) credit once.
    setClock(t.clock, '2026-07-31T06:00:00Z');
    const runs = await Promise.all([runExpiry(t.ctx, t.clock.now()), runExpiry(t.ctx, t.clock.now())]);
    expect(runs.flatMap((run) => run.creditNotes)).toEqual([{ orderId: order.id, number: 'AV-2026-000001', amountCents: 12_000 }]);
    const creditMail = t.mailbox.sent.at(-1)!;
    expect(creditMail.subject).toBe(`Avoir AV-2026-000001 : 120,00 € pour les chèques non utilisés de la commande CMD-${String(order.number).padStart(6, '0')}`);
    expect(t.mailbox.sent).toHaveLength(4);
    const step = await t.ctx.db.selectFrom('order_expiry_steps').selectAll().where('order_id', '=', order.id).where('stage', '=', 'credit_note').executeTakeFirstOrThrow();
    expect(step).toMatchObject({ credit_note_number: 'AV-2026-000001', amount_cents: 12_000 });
    const entry = await t.ctx.db.selectFrom('journal_entries').selectAll().where('kind', '=', 'credit_note').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ piece_ref: 'AV-2026-000001', order_id: order.id, booked_on: '2026-07-31' });

    // For the order: issued = used + expired + outstanding, in the vouchers and in the ledger.
    const money = await orderMoney(order);
    expect(money).toEqual({ issued: 15_000, used: 3_000, expired: 12_000, outstanding: 0, ledger: { issued: 15_000, used: 3_000, expired: 12_000 } });
    expect(money.issued).toBe(money.used + money.expired + money.outstanding);
    await expectSoundLedger(t.ctx);

    // Running it again, the next day or a month later, changes nothing.
    const before = await expiryState();
    expect(await runOn('2026-08-01')).toEqual({ steps: [], creditNotes: [], mails: 0, refused: [] });
    expect(await runOn('2026-09-01')).toEqual({ steps: [], creditNotes: [], mails: 0, refused: [] });
    expect(await expiryState()).toEqual(before);
    // The vouchers are refused at the counter from then on.
    const after = await redeemVouchers(t.ctx, recorderOf(place.provider), redemptionInput(t.ctx, place.place.id, [booklets[0]!.codes[3]!], { serviceDate: '2026-08-31' }));
    expect(after.outcome).toMatchObject({ ok: false, reason: 'voucher_expired' });
  });

  it('records the stages a late run missed but mails only the latest notice, and credits nothing when all was used', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '1', vouchersPerBooklet: '5', validFrom: '2026-03-02', validUntil: '2026-03-12', activation: 'on_issue' });
    const place = await createPublicPlace(t.ctx);
    await redeemEach(t.ctx, place, (await bookletsOf(t.ctx, order.id))[0]!.codes);

    const first = await runExpiry(t.ctx, t.clock.now());
    expect(first.steps.map((s) => s.stage)).toEqual(['alert_30', 'block_15']);
    expect(t.mailbox.sent.map((m) => m.subject)).toEqual([expect.stringContaining('seront bloqués après le 12 mars 2026')]);

    // After the end date, no notice is mailed any more; nothing unused, so no credit note number.
    const end = await runOn('2026-04-13');
    expect(end.steps.map((s) => s.stage)).toEqual(['acknowledge_7', 'credit_note']);
    expect(end.creditNotes).toEqual([{ orderId: order.id, number: null, amountCents: 0 }]);
    expect(t.mailbox.sent).toHaveLength(1);
    expect(await t.ctx.db.selectFrom('document_counters').selectAll().where('series', '=', 'credit_note').execute()).toEqual([]);
    expect(await orderMoney(order)).toMatchObject({ issued: 5_000, used: 5_000, expired: 0, outstanding: 0 });
  });

  it('refuses to credit an order whose ledger disagrees with its vouchers, and says so', async () => {
    const funder = await createFunder(t.ctx);
    const { order } = await expiringOrder(funder);
    // Someone books 1 € against the order's outstanding vouchers by hand.
    await t.ctx.db.transaction().execute((trx) =>
      postEntry(
        trx,
        {
          journal: 'OD',
          kind: 'correction',
          label: 'Écriture erronée',
          bookedOn: '2026-03-02',
          pieceRef: 'OD-1',
          lines: [
            { account: { kind: 'vouchers_outstanding', orderId: order.id, funderId: funder.funder.id }, amountCents: 100 },
            { account: { kind: 'bank' }, amountCents: -100 },
          ],
        },
        t.clock.now(),
      ),
    );
    for (const day of ['2026-07-31', '2026-08-01']) {
      const run = await runOn(day);
      expect(run.creditNotes).toEqual([]);
      expect(run.refused).toEqual([{ orderId: order.id, unusedCents: 13_000, outstandingCents: 12_900 }]);
    }
    expect(t.errors).toContainEqual(expect.objectContaining({ orderId: order.id, message: 'expiry: the ledger disagrees with the unused vouchers, no credit note' }));
    const stages = await t.ctx.db.selectFrom('order_expiry_steps').select('stage').where('order_id', '=', order.id).orderBy('stage').execute();
    expect(stages.map((s) => s.stage)).toEqual(['acknowledge_7', 'alert_30', 'block_15']);
    expect(await t.ctx.db.selectFrom('journal_entries').select('seq').where('kind', '=', 'credit_note').execute()).toEqual([]);
  });
});
