import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import type { PayoutStatus } from '../../../db/schema.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { markBatchSent, markPayoutRejected, markPayoutSettled, MAX_REJECTION_REASON } from '../../../domains/settlement/payout-lifecycle.js';
import { settleMonth } from '../../../domains/settlement/settle-month.js';
import { parseSettlementMonth, shiftMonth } from '../../../domains/settlement/settlement-calendar.js';
import {
  listPayoutsWithoutIban,
  listSettlementPayouts,
  listSettlements,
  loadBatchFile,
  loadPayout,
  loadSettlementSummary,
  type PayoutRow,
  type SettlementSummary,
} from '../../../domains/settlement/settlement-views.js';
import { loadStatement } from '../../../domains/settlement/statements.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate, formatMonth, ofMonth, parisDay } from '../../../lib/paris-dates.js';
import { renderStatement } from '../../../print/statement.js';
import { OPERATOR, OPERATOR_ADMIN } from '../../access.js';
import { redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, textareaField, textField, type FieldErrors } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { parseForm, sendFormPage } from '../page.js';
import { formErrorOf, pageOf, pagination } from '../funder/fields.js';
import { isUuid } from '../../../lib/uuid.js';

/**
 * The operator's monthly counter-payments (/operateur/reglements): the settlements by month, a
 * form to settle a month (the previous one by default; settling twice changes nothing), each
 * settlement's payouts with their statements, its SEPA file to download, and what the bank
 * reports: the file sent, each transfer executed or rejected (paid again with the next month).
 * Operators read; their admins act.
 */

const BASE = '/operateur/reglements';
const PAYOUTS_PER_PAGE = 100;

export const OPERATOR_PAYOUT_STATUS_LABELS: Record<PayoutStatus, string> = {
  pending: 'En attente de l’IBAN',
  file_generated: 'Dans le fichier de virements',
  sent: 'Transmis à la banque',
  settled: 'Exécuté',
  rejected: 'Rejeté par la banque',
  nothing_to_pay: 'Rien à verser',
};

const DONE_MESSAGES: Record<string, string> = {
  regle: 'Le mois est réglé : les virements, le fichier SEPA et les relevés sont prêts.',
  deja: 'Ce mois était déjà réglé : rien n’a été refait.',
  transmis: 'Le fichier est noté comme transmis à la banque.',
  execute: 'Le virement est noté comme exécuté.',
  rejete: 'Le rejet est enregistré : le montant sera viré à nouveau avec le prochain règlement, une seule fois.',
};

const settleForm = z.object({
  month: z.string({ message: 'Indiquez le mois à régler' }).trim().regex(/^\d{4}-(0[1-9]|1[0-2])$/u, 'Indiquez un mois au format AAAA-MM, par exemple 2026-10'),
});

const rejectForm = z.object({
  reason: z
    .string({ message: 'Indiquez le motif du rejet' })
    .trim()
    .min(1, 'Indiquez le motif du rejet donné par la banque, par exemple « compte clos »')
    .max(MAX_REJECTION_REASON, `Le motif fait au plus ${MAX_REJECTION_REASON} caractères`),
});


function idOf(request: FastifyRequest, unknown: 'payout_unknown' | 'payout_batch_unknown'): string {
  const id = (request.params as { id?: unknown }).id;
  if (!isUuid(id)) throw new DomainError(unknown);
  return id.toLowerCase();
}

function monthOf(request: FastifyRequest): string {
  const month = (request.params as { month?: unknown }).month;
  try {
    return parseSettlementMonth(typeof month === 'string' ? month : '').month;
  } catch {
    throw new DomainError('settlement_unknown');
  }
}

function doneMessage(request: FastifyRequest): string | undefined {
  const ok = (request.query as { ok?: unknown }).ok;
  return typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
}

const euros = (cents: number) => formatEuros(cents);

function settlementsTable(settlements: readonly SettlementSummary[]): SafeHtml {
  return html`<table class="table">
  <caption>Règlements mensuels (${String(settlements.length)})</caption>
  <thead><tr><th scope="col">Mois</th><th scope="col">Services payés</th><th scope="col">Brut</th><th scope="col">Frais</th><th scope="col">Abonnements</th><th scope="col">Net viré</th><th scope="col">Virements</th><th scope="col">Réglé le</th></tr></thead>
  <tbody>
  ${settlements.map(
    (s) => html`<tr>
    <th scope="row"><a href="${BASE}/${s.month}">${formatMonth(s.month)}</a></th>
    <td>${s.redemptions.toLocaleString('fr-FR')}</td>
    <td>${euros(s.grossCents)}</td>
    <td>${euros(s.platformFeeCents + s.fundFeeCents)}</td>
    <td>${euros(s.subscriptionCents)}</td>
    <td>${euros(s.netCents)}</td>
    <td>${String(s.payouts)}${s.payoutsByStatus.pending ? html`<br><span class="muted">${String(s.payoutsByStatus.pending)} en attente d’IBAN</span>` : ''}</td>
    <td>${s.completedAt ? formatDateTime(s.completedAt) : 'en cours'}</td>
  </tr>`,
  )}
  ${settlements.length === 0 ? html`<tr><td colspan="8">Aucun mois réglé pour l’instant.</td></tr>` : ''}
  </tbody>
</table>`;
}

function payoutsTable(payouts: readonly PayoutRow[], caption: string, options: { showMonth?: boolean } = {}): SafeHtml {
  return html`<table class="table">
  <caption>${caption}</caption>
  <thead><tr><th scope="col">Relevé</th><th scope="col">Lieu</th>${options.showMonth ? html`<th scope="col">Mois</th>` : ''}<th scope="col">Brut</th><th scope="col">Frais</th><th scope="col">Abonnement</th><th scope="col">Report</th><th scope="col">Net</th><th scope="col">État</th><th scope="col">Relevé</th></tr></thead>
  <tbody>
  ${payouts.map(
    (p) => html`<tr>
    <th scope="row"><a href="${BASE}/virements/${p.id}">${p.statementNumber}</a></th>
    <td>${p.providerName}</td>
    ${options.showMonth ? html`<td>${formatMonth(p.month)}</td>` : ''}
    <td>${euros(p.grossCents)}</td>
    <td>${euros(p.platformFeeCents + p.fundFeeCents)}</td>
    <td>${euros(p.subscriptionCents)}</td>
    <td>${p.carriedInCents ? euros(p.carriedInCents) : '–'}</td>
    <td>${euros(p.netCents)}</td>
    <td>${OPERATOR_PAYOUT_STATUS_LABELS[p.status]}</td>
    <td><a href="${BASE}/virements/${p.id}/releve.pdf" download>PDF<span class="visually-hidden"> du relevé ${p.statementNumber}</span></a></td>
  </tr>`,
  )}
  ${payouts.length === 0 ? html`<tr><td colspan="${options.showMonth ? '10' : '9'}">Aucun virement.</td></tr>` : ''}
  </tbody>
</table>`;
}

export function operatorSettlementRoutes(app: FastifyInstance, ctx: AppContext) {
  async function listPage(request: FastifyRequest, reply: FastifyReply, state: { status?: number; values?: Record<string, string>; errors?: FieldErrors; formError?: string | undefined } = {}) {
    const [settlements, waiting] = await Promise.all([listSettlements(ctx.db), listPayoutsWithoutIban(ctx.db)]);
    const previous = shiftMonth(parisDay(ctx.clock.now()).slice(0, 7), -1);
    const canAct = requireSession(request).current?.role === 'admin';
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: 'Règlements mensuels',
      body: html`${notice(state.status === undefined ? doneMessage(request) : undefined)}
<h1>Règlements mensuels</h1>
<p class="lead">Chaque mois, les lieux reçoivent la valeur des chèques encaissés, moins les frais et leur abonnement. Les scans tardifs sont acceptés jusqu’au ${String(ctx.config.money.graceDay)} du mois suivant ; un mois ne se règle qu’après ce jour, et une seule fois.</p>
${
  canAct
    ? html`<h2>Régler un mois</h2>
<form method="post" action="${BASE}" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'month', label: 'Mois des services à payer', hint: 'Au format AAAA-MM, par exemple 2026-10. Régler un mois déjà réglé ne change rien.', value: state.values?.month ?? previous, error: errors.month, required: true })}
  <button type="submit" class="button">Régler ce mois</button>
</form>`
    : ''
}
${settlementsTable(settlements)}
${waiting.length ? payoutsTable(waiting, `Virements en attente de l’IBAN du lieu (${String(waiting.length)})`, { showMonth: true }) : ''}`,
    }));
  }

  app.get(BASE, { config: { access: OPERATOR } }, (request, reply) => listPage(request, reply));

  app.post(BASE, { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const form = parseForm(settleForm, request.body);
    if (!form.ok) return listPage(request, reply, { status: 400, values: form.values, errors: form.errors });
    let created: boolean;
    try {
      ({ created } = await settleMonth(ctx, actorOf(requireSession(request)), { month: form.data.month }));
    } catch (error) {
      return listPage(request, reply, { values: form.values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `${BASE}/${form.data.month}?ok=${created ? 'regle' : 'deja'}`);
  });

  async function settlementPage(request: FastifyRequest, reply: FastifyReply, month: string, state: { status?: number; formError?: string | undefined } = {}) {
    const settlement = await loadSettlementSummary(ctx.db, month);
    const page = pageOf(request);
    const { payouts, total } = await listSettlementPayouts(ctx.db, { settlementId: settlement.id, page, perPage: PAYOUTS_PER_PAGE });
    const canAct = requireSession(request).current?.role === 'admin';
    const title = `Règlement ${ofMonth(month)}`;
    return sendFormPage(request, reply, { status: state.status ?? 200, formError: state.formError }, (csrf) => ({
      title,
      body: html`${notice(state.status === undefined ? doneMessage(request) : undefined)}
<h1>${title}</h1>
<dl class="summary">
  <div><dt>Services payés</dt><dd>${settlement.redemptions.toLocaleString('fr-FR')}</dd></div>
  <div><dt>Valeur des chèques (brut)</dt><dd>${euros(settlement.grossCents)}</dd></div>
  <div><dt>Frais de la plateforme (${rate(settlement.rates.platformFeeBp)})</dt><dd>${euros(settlement.platformFeeCents)}</dd></div>
  <div><dt>Fonds territorial (${rate(settlement.rates.fundFeeBp)})</dt><dd>${euros(settlement.fundFeeCents)}</dd></div>
  <div><dt>Abonnements déduits</dt><dd>${euros(settlement.subscriptionCents)}</dd></div>
  <div><dt>Virements rejetés payés à nouveau</dt><dd>${euros(settlement.carriedInCents)}</dd></div>
  <div><dt>Net à virer</dt><dd>${euros(settlement.netCents)}</dd></div>
  <div><dt>Scans pris en compte jusqu’au</dt><dd>${formatDateTime(new Date(settlement.scansUntil.getTime() - 1))}</dd></div>
  <div><dt>Réglé le</dt><dd>${settlement.completedAt ? formatDateTime(settlement.completedAt) : 'en cours'}</dd></div>
</dl>
<h2>Fichier de virements</h2>
${
  settlement.batches.length === 0
    ? html`<p>Aucun fichier : aucun virement à faire avec un IBAN connu.</p>`
    : settlement.batches.map(
        (batch) => html`<p><a href="${BASE}/lots/${batch.id}/fichier.xml" download>Télécharger ${batch.fileName}</a> (SEPA pain.001.001.09, ${String(batch.transactions)} virement${batch.transactions > 1 ? 's' : ''}, ${euros(batch.controlSumCents)}, exécution demandée le ${formatLongDate(batch.requestedOn)}).</p>
<p class="muted">Empreinte SHA-256 : <code>${batch.fileSha256}</code></p>
${
  batch.toSend > 0 && canAct
    ? html`<form method="post" action="${BASE}/lots/${batch.id}/transmis">
  ${csrfField(csrf)}
  <button type="submit" class="button">Noter le fichier comme transmis à la banque</button>
</form>`
    : batch.toSend > 0
      ? html`<p>Le fichier n’a pas encore été transmis à la banque.</p>`
      : html`<p>Fichier transmis à la banque.</p>`
}`,
      )
}
${payoutsTable(payouts, `Virements du mois (${String(total)})`)}
${pagination(`${BASE}/${month}`, page, page * PAYOUTS_PER_PAGE < total, 'Pages des virements')}
<p><a href="${BASE}">Retour aux règlements</a></p>`,
    }));
  }

  app.get(`${BASE}/:month`, { config: { access: OPERATOR } }, (request, reply) => settlementPage(request, reply, monthOf(request)));

  app.get(`${BASE}/lots/:id/fichier.xml`, { config: { access: OPERATOR } }, async (request, reply) => {
    const file = await loadBatchFile(ctx.db, idOf(request, 'payout_batch_unknown'));
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .type('application/xml; charset=utf-8')
      .send(file.xml);
  });

  app.post(`${BASE}/lots/:id/transmis`, { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const batchId = idOf(request, 'payout_batch_unknown');
    const { month } = await loadBatchFile(ctx.db, batchId);
    try {
      await markBatchSent(ctx, actorOf(requireSession(request)), { batchId });
    } catch (error) {
      return settlementPage(request, reply, month, formErrorOf(error));
    }
    return redirectAfterPost(reply, `${BASE}/${month}?ok=transmis`);
  });

  async function payoutPage(request: FastifyRequest, reply: FastifyReply, state: { status?: number; values?: Record<string, string>; errors?: FieldErrors; formError?: string | undefined } = {}) {
    const payout = await loadPayout(ctx.db, idOf(request, 'payout_unknown'));
    const canAct = requireSession(request).current?.role === 'admin';
    const title = `Virement ${payout.statementNumber}`;
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title,
      body: html`${notice(state.status === undefined ? doneMessage(request) : undefined)}
<h1>${title}</h1>
<dl class="summary">
  <div><dt>Lieu</dt><dd>${payout.providerName}</dd></div>
  <div><dt>Mois</dt><dd><a href="${BASE}/${payout.month}">${formatMonth(payout.month)}</a></dd></div>
  <div><dt>État</dt><dd>${OPERATOR_PAYOUT_STATUS_LABELS[payout.status]}</dd></div>
  <div><dt>Brut</dt><dd>${euros(payout.grossCents)}</dd></div>
  <div><dt>Frais de la plateforme</dt><dd>${euros(payout.platformFeeCents)}</dd></div>
  <div><dt>Fonds territorial</dt><dd>${euros(payout.fundFeeCents)}</dd></div>
  <div><dt>Abonnement déduit</dt><dd>${euros(payout.subscriptionCents)}</dd></div>
  <div><dt>Virement rejeté payé à nouveau</dt><dd>${payout.carriedInCents ? euros(payout.carriedInCents) : '–'}</dd></div>
  <div><dt>Net</dt><dd>${euros(payout.netCents)}</dd></div>
  <div><dt>Titulaire du compte</dt><dd>${payout.accountHolder ?? '–'}</dd></div>
  <div><dt>IBAN</dt><dd>${payout.iban ?? 'non renseigné'}</dd></div>
  <div><dt>Référence du virement</dt><dd><code>${payout.endToEndId}</code></dd></div>
  ${payout.rejectedReason ? html`<div><dt>Motif du rejet</dt><dd>${payout.rejectedReason}</dd></div>` : ''}
</dl>
<p><a href="${BASE}/virements/${payout.id}/releve.pdf" download>Télécharger le relevé ${payout.statementNumber} (PDF)</a></p>
${
  payout.status === 'sent' && canAct
    ? html`<h2>Ce que la banque a répondu</h2>
<form method="post" action="${BASE}/virements/${payout.id}/execute">
  ${csrfField(csrf)}
  <button type="submit" class="button">Noter le virement comme exécuté</button>
</form>
<form method="post" action="${BASE}/virements/${payout.id}/rejet" novalidate>
  ${csrfField(csrf)}
  ${textareaField({ name: 'reason', label: 'Motif du rejet', hint: 'Tel que la banque le donne, par exemple « compte clos » ou « IBAN inconnu ». Le montant sera viré à nouveau avec le prochain règlement.', value: state.values?.reason, error: errors.reason, rows: 3, required: true })}
  <button type="submit" class="button button-secondary">Noter le virement comme rejeté</button>
</form>`
    : ''
}
<p><a href="${BASE}/${payout.month}">Retour au règlement ${ofMonth(payout.month)}</a></p>`,
    }));
  }

  app.get(`${BASE}/virements/:id`, { config: { access: OPERATOR } }, (request, reply) => payoutPage(request, reply));

  app.get(`${BASE}/virements/:id/releve.pdf`, { config: { access: OPERATOR } }, async (request, reply) => {
    const statement = await loadStatement(ctx, idOf(request, 'payout_unknown'));
    const pdf = await renderStatement(statement);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="releve-${statement.statementNumber}.pdf"`)
      .type('application/pdf')
      .send(pdf);
  });

  app.post(`${BASE}/virements/:id/execute`, { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const payoutId = idOf(request, 'payout_unknown');
    try {
      await markPayoutSettled(ctx, actorOf(requireSession(request)), { payoutId });
    } catch (error) {
      return payoutPage(request, reply, formErrorOf(error));
    }
    return redirectAfterPost(reply, `${BASE}/virements/${payoutId}?ok=execute`);
  });

  app.post(`${BASE}/virements/:id/rejet`, { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const payoutId = idOf(request, 'payout_unknown');
    const form = parseForm(rejectForm, request.body);
    if (!form.ok) return payoutPage(request, reply, { status: 400, values: form.values, errors: form.errors });
    try {
      await markPayoutRejected(ctx, actorOf(requireSession(request)), { payoutId, reason: form.data.reason });
    } catch (error) {
      return payoutPage(request, reply, { values: form.values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `${BASE}/virements/${payoutId}?ok=rejete`);
  });
}

function rate(bp: number): string {
  return `${(bp / 100).toLocaleString('fr-FR')} %`;
}
