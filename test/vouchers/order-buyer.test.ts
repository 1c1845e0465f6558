import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveFunderBillingDetails } from '../../src/domains/settlement/funder-billing-details.js';
import { loadOrderDocument } from '../../src/domains/vouchers/print-order.js';
import { confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { renderOrderDocument } from '../../src/print/order-documents.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createFunder, orderInput, type TestFunder } from '../support/voucher-fixtures.js';
import { pdfTextOf } from '../print/support.js';

/**
 * An order's documents (its order form, and a prepaid order's invoice) name the funder as it was
 * when the order was confirmed, with its billing address if it had given one (migration 0010): an
 * issued document never changes, whatever the funder later renames or moves.
 */

let t: TestContext;
let funder: TestFunder;
let dir: string;

const ADDRESS = { address: 'Hôtel de ville, 2 place Pey-Berland', postcode: '33045', commune: 'Bordeaux Cedex', siret: '223 300 997 00010' };

beforeAll(async () => {
  t = await createTestContext();
  funder = await createFunder(t.ctx);
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-order-buyer-'));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

async function confirmed(form: Record<string, string> = {}) {
  const draft = await saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput(form));
  return confirmOrder(t.ctx, funder.funderActor, funder.funder.id, draft.id);
}

async function documentText(orderId: string, kind: 'order_form' | 'invoice', name: string): Promise<string> {
  const document = await loadOrderDocument(t.ctx, { orderId, funderId: funder.funder.id, kind });
  const file = path.join(dir, name);
  await writeFile(file, await renderOrderDocument(document));
  return (await pdfTextOf(file)).replace(/\s+/gu, ' ');
}

describe('the funder on an order’s documents', () => {
  let before: string;
  let prepaid: string;

  it('names the funder alone when it had given no billing address at confirmation', async () => {
    const order = await confirmed();
    before = order.id;
    expect({ name: order.buyer_name, address: order.buyer_address, siret: order.buyer_siret }).toEqual({ name: funder.funder.name, address: null, siret: null });
    const document = await loadOrderDocument(t.ctx, { orderId: order.id, funderId: funder.funder.id, kind: 'order_form' });
    expect(document.funder).toEqual({ name: funder.funder.name, billing: null });
  });

  it('copies the billing address given before confirmation onto the order form and the prepaid invoice', async () => {
    await saveFunderBillingDetails(t.ctx, funder.funderActor, funder.funder.id, ADDRESS);
    const order = await confirmed({ fundingMode: 'prepaid' });
    prepaid = order.id;
    expect(order.buyer_address).toBe('Hôtel de ville, 2 place Pey-Berland');
    for (const kind of ['order_form', 'invoice'] as const) {
      const text = await documentText(order.id, kind, `${kind}.pdf`);
      expect(text).toContain(`Commanditaire ${funder.funder.name} Hôtel de ville, 2 place Pey-Berland 33045 Bordeaux Cedex SIRET : 22330099700010`);
    }
    // The order confirmed earlier does not take it: its documents were issued without it.
    expect((await loadOrderDocument(t.ctx, { orderId: before, funderId: funder.funder.id, kind: 'order_form' })).funder.billing).toBeNull();
  });

  it('keeps the name and address of confirmation when the funder later renames or moves', async () => {
    const formerName = funder.funder.name;
    await saveFunderBillingDetails(t.ctx, funder.funderActor, funder.funder.id, { address: '1 rue Neuve', postcode: '33000', commune: 'Bordeaux', siret: '' });
    await t.ctx.db.updateTable('organisations').set({ name: `${formerName} (nouveau nom)` }).where('id', '=', funder.funder.id).execute();
    const text = await documentText(prepaid, 'invoice', 'invoice-after.pdf');
    expect(text).toContain(`Commanditaire ${formerName} Hôtel de ville, 2 place Pey-Berland 33045 Bordeaux Cedex SIRET : 22330099700010`);
    expect(text).not.toContain('1 rue Neuve');
    // An order confirmed now takes the new ones.
    const next = await confirmed();
    expect((await loadOrderDocument(t.ctx, { orderId: next.id, funderId: funder.funder.id, kind: 'order_form' })).funder).toEqual({
      name: `${formerName} (nouveau nom)`,
      billing: { address: '1 rue Neuve', postcode: '33000', commune: 'Bordeaux', siret: null },
    });
  });

  it('refuses, in the database, an address copied without its postcode and commune', async () => {
    await expect(sql`update orders set buyer_postcode = null where id = ${prepaid}`.execute(t.ctx.db)).rejects.toThrow(/orders_buyer_address_whole/u);
  });
});
