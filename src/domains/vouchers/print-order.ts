import { issuedBuyer } from '../settlement/funder-billing-details.js';
import type { AppContext } from '../../app-context.js';
import { parisDay } from '../../lib/paris-dates.js';
import type { OrderDocument, PrintableBooklet, PrintableOrder } from '../../print/printable.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { loadReferential } from '../referential/publish-referential.js';
import { formatBookletNumber, formatVoucherSerial, unsealVoucherCode, voucherKeys } from './codes.js';
import { describeOrderRules } from './describe-order.js';
import { formatOrderNumber, orderTotalCents, voucherCount } from './order-model.js';
import { findFunderOrder, findOrder, type OrderRow } from './orders.js';

/** Booklets read per query while printing: memory stays flat whatever the size of the order. */
const PAGE = 200;

async function findOrderFor(ctx: AppContext, orderId: string, funderId: string | undefined): Promise<OrderRow> {
  return funderId === undefined ? findOrder(ctx.db, orderId) : findFunderOrder(ctx.db, funderId, orderId);
}

/**
 * An issued order, ready for print/voucher-sheets.ts: codes are unsealed as the booklets are read.
 * Printing puts every code in clear on paper: who did it, and when, goes to the journal.
 */
export async function loadPrintableOrder(ctx: AppContext, actor: Actor, input: { orderId: string; funderId?: string }): Promise<PrintableOrder> {
  const order = await findOrderFor(ctx, input.orderId, input.funderId);
  if (order.status !== 'issued') throw new DomainError('order_status_conflict');
  await recordAuditEvent(ctx.db, actor, ctx.clock.now(), {
    action: 'order.printed',
    subjectType: 'order',
    subjectId: order.id,
    after: { booklets: order.booklet_count, vouchers: voucherCount(order) },
  });
  const funder = await ctx.db.selectFrom('organisations').select('name').where('id', '=', order.funder_id).executeTakeFirstOrThrow();
  const keys = voucherKeys(ctx.config);
  const db = ctx.db;
  async function* booklets(): AsyncGenerator<PrintableBooklet> {
    for (let after = 0; ; after += PAGE) {
      const rows = await db
        .selectFrom('booklets')
        .innerJoin('vouchers', 'vouchers.booklet_id', 'booklets.id')
        .select(['booklets.number', 'booklets.position as booklet_position', 'vouchers.position', 'vouchers.code_sealed'])
        .where('booklets.order_id', '=', order.id)
        .where('booklets.position', '>', after)
        .where('booklets.position', '<=', after + PAGE)
        .orderBy('booklets.position')
        .orderBy('vouchers.position')
        .execute();
      if (rows.length === 0) return;
      let current: PrintableBooklet | undefined;
      for (const row of rows) {
        if (current?.position !== row.booklet_position) {
          if (current) yield current;
          current = { number: formatBookletNumber(row.number), position: row.booklet_position, vouchers: [] };
        }
        current.vouchers.push({ serial: formatVoucherSerial(row.number, row.position), code: unsealVoucherCode(keys, row.code_sealed), position: row.position });
      }
      if (current) yield current;
    }
  }
  return {
    orderNumber: formatOrderNumber(order.number),
    funderName: funder.name,
    faceValueCents: order.face_value_cents,
    vouchersPerBooklet: order.vouchers_per_booklet,
    bookletCount: order.booklet_count,
    validFrom: order.valid_from,
    validUntil: order.valid_until,
    rules: describeOrderRules(order, await loadReferential(ctx.db)),
    holderUrl: `${ctx.config.publicUrl}/mon-pass`,
    booklets: booklets(),
  };
}

/**
 * The order form (from confirmation on) or the invoice of a prepaid order. Vouchers are payment
 * instruments: their sale is outside the scope of VAT; the platform's fees are charged to places
 * when they are paid, not to funders.
 */
export async function loadOrderDocument(
  ctx: AppContext,
  input: { orderId: string; funderId?: string; kind: OrderDocument['kind'] },
): Promise<OrderDocument> {
  const order = await findOrderFor(ctx, input.orderId, input.funderId);
  if (order.status === 'draft' || order.status === 'cancelled') throw new DomainError('order_status_conflict');
  if (input.kind === 'invoice' && order.invoice_number === null) throw new DomainError('order_status_conflict');
  const funder = await ctx.db.selectFrom('organisations').select('name').where('id', '=', order.funder_id).executeTakeFirstOrThrow();
  const vouchers = voucherCount(order);
  const totalCents = orderTotalCents(order);
  const issuedOn = parisDay(input.kind === 'invoice' || order.confirmed_at === null ? (order.confirmed_at ?? order.created_at) : order.confirmed_at);
  const notes =
    order.funding_mode === 'prepaid'
      ? [
          'Paiement d’avance : les chèques sont émis dès réception du virement.',
          'Opération hors du champ de la TVA : vente de titres de paiement (les frais de la plateforme sont prélevés sur les remboursements aux lieux).',
          'Les chèques non utilisés à l’échéance font l’objet d’un avoir de leur valeur faciale.',
        ]
      : [
          'Facturation à l’usage : aucun paiement d’avance ; chaque mois, seuls les chèques utilisés sont facturés.',
          'Les chèques sont émis dès réception de l’engagement juridique (numéro d’engagement ou bon de commande).',
          'Opération hors du champ de la TVA : titres de paiement.',
        ];
  return {
    kind: input.kind,
    number: input.kind === 'invoice' ? order.invoice_number! : formatOrderNumber(order.number),
    orderNumber: formatOrderNumber(order.number),
    issuedOn,
    funder: issuedBuyer(order, funder.name),
    platform: ctx.config.platform,
    fundingMode: order.funding_mode,
    lines: [
      {
        label: `Carnets de ${order.vouchers_per_booklet} chèques « pass numérique »`,
        quantity: vouchers,
        unitCents: order.face_value_cents,
        totalCents,
      },
    ],
    totalCents,
    rules: describeOrderRules(order, await loadReferential(ctx.db)),
    validFrom: order.valid_from,
    validUntil: order.valid_until,
    commitmentReference: order.commitment_reference,
    notes,
  };
}
