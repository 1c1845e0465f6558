import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { loadCreditNote } from '../../../domains/expiry/credit-notes.js';
import { loadOrderDocument, loadPrintableOrder } from '../../../domains/vouchers/print-order.js';
import { renderCreditNote } from '../../../print/credit-note.js';
import { renderOrderDocument } from '../../../print/order-documents.js';
import { renderVoucherSheets } from '../../../print/voucher-sheets.js';
import type { Access } from '../../access.js';
import { requireSession } from '../../request-context.js';
import { orderIdOf } from './fields.js';

/**
 * The PDF documents of an order, for its funder (/financeur/commandes/:id/…) and the operator
 * (/operateur/commandes/:id/…): the order form, the invoice of a prepaid order, the vouchers to
 * print, and the credit note of the vouchers left unused at the end (domains/expiry). The vouchers
 * carry their codes in clear: never cached, streamed as they are drawn.
 */
export function orderDocumentRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  options: { prefix: string; access: Access; funderIdOf: (request: FastifyRequest) => string | undefined },
) {
  function sendPdf(reply: FastifyReply, fileName: string, body: Buffer | NodeJS.ReadableStream) {
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .type('application/pdf')
      .send(body);
  }

  function scope(request: FastifyRequest): { orderId: string; funderId?: string } {
    const orderId = orderIdOf(request);
    const funderId = options.funderIdOf(request);
    return funderId === undefined ? { orderId } : { orderId, funderId };
  }

  app.get(`${options.prefix}/:id/bon-de-commande.pdf`, { config: { access: options.access } }, async (request, reply) => {
    const document = await loadOrderDocument(ctx, { ...scope(request), kind: 'order_form' });
    return sendPdf(reply, `bon-de-commande-${document.orderNumber}.pdf`, await renderOrderDocument(document));
  });

  app.get(`${options.prefix}/:id/facture.pdf`, { config: { access: options.access } }, async (request, reply) => {
    const document = await loadOrderDocument(ctx, { ...scope(request), kind: 'invoice' });
    return sendPdf(reply, `facture-${document.number}.pdf`, await renderOrderDocument(document));
  });

  app.get(`${options.prefix}/:id/avoir.pdf`, { config: { access: options.access } }, async (request, reply) => {
    // Another funder's order is order_unknown (404), an order without a credit note document_unknown (404).
    const note = await loadCreditNote(ctx, scope(request));
    return sendPdf(reply, `avoir-${note.number}.pdf`, await renderCreditNote(note));
  });

  app.get(`${options.prefix}/:id/cheques.pdf`, { config: { access: options.access } }, async (request, reply) => {
    // Loaded before answering: an order of another funder, or not issued, is still a proper error page.
    const printable = await loadPrintableOrder(ctx, actorOf(requireSession(request)), scope(request));
    const out = new PassThrough();
    // Drawn while it is sent; a failure halfway can only cut the download short, never the process.
    renderVoucherSheets(printable, out).catch((error: unknown) => {
      request.log.error({ err: error, order: printable.orderNumber }, 'voucher sheets not rendered');
      out.destroy(error instanceof Error ? error : new Error('voucher sheets not rendered'));
    });
    return sendPdf(reply, `cheques-${printable.orderNumber}.pdf`, out);
  });
}

