import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { postOrderIssued } from '../ledger/money-events.js';
import { generateVoucherCode, hashVoucherCode, sealVoucherCode, voucherKeys } from './codes.js';
import { orderTotalCents, voucherCount } from './order-model.js';
import { findFunderOrder, findOrder, moveOrder, type OrderRow } from './orders.js';

/** Rows per INSERT: 1,000 vouchers × 6 parameters stays far below PostgreSQL's 65,535. */
const BATCH = 1000;

/**
 * Issues a committed order: its booklets (numbered from a sequence) and their vouchers, each with a
 * fresh code of which only the keyed hash and a sealed copy are stored. One transaction: an order
 * is issued whole or not at all, and a second call finds it issued (the status update is
 * conditional and comes first, so two concurrent calls cannot both issue).
 */
export async function issueOrder(ctx: AppContext, actor: Actor, input: { orderId: string; funderId?: string }): Promise<OrderRow> {
  const keys = voucherKeys(ctx.config);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before = input.funderId === undefined ? await findOrder(trx, input.orderId) : await findFunderOrder(trx, input.funderId, input.orderId);
    const order = await moveOrder(trx, before.id, 'committed', { status: 'issued', issued_at: now, updated_at: now });

    for (let first = 1; first <= order.booklet_count; first += BATCH) {
      const count = Math.min(BATCH, order.booklet_count - first + 1);
      await sql`
        insert into booklets (order_id, number, position, distributor_id, allocated_at)
        select ${order.id}, nextval('booklet_number_seq'), ${first - 1} + g, null, null
        from generate_series(1, ${count}::int) as g`.execute(trx);
    }

    const booklets = await trx.selectFrom('booklets').select(['id', 'position']).where('order_id', '=', order.id).orderBy('position').execute();
    let rows: { order_id: string; booklet_id: string; position: number; code_hash: Buffer; code_sealed: Buffer; face_value_cents: number }[] = [];
    for (const booklet of booklets) {
      for (let position = 1; position <= order.vouchers_per_booklet; position++) {
        const code = generateVoucherCode();
        rows.push({
          order_id: order.id,
          booklet_id: booklet.id,
          position,
          code_hash: hashVoucherCode(keys, code),
          code_sealed: sealVoucherCode(keys, code),
          face_value_cents: order.face_value_cents,
        });
        if (rows.length === BATCH) {
          await trx.insertInto('vouchers').values(rows).execute();
          rows = [];
        }
      }
    }
    if (rows.length > 0) await trx.insertInto('vouchers').values(rows).execute();

    await postOrderIssued(trx, { id: order.id, number: order.number, funderId: order.funder_id, amountCents: orderTotalCents(order) }, now);
    await recordAuditEvent(trx, actor, now, {
      action: 'order.issued',
      subjectType: 'order',
      subjectId: order.id,
      before: { status: before.status },
      after: { status: order.status, booklets: order.booklet_count, vouchers: voucherCount(order), totalCents: orderTotalCents(order) },
    });
    return order;
  });
}
