import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { loadTransparency, TRANSPARENCY_MONTHS, type TransparencyReport, type TransparencyRow } from '../../../domains/transparency/transparency.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatMonth, ofMonth, parisDay } from '../../../lib/paris-dates.js';
import { PUBLIC } from '../../access.js';
import { transparencyApi } from '../../api/transparency.js';
import { sendPage } from '../page.js';

/**
 * `/transparence` (public): where the money of the scheme goes, per month and département, and
 * the fees explained with the rates in force; `/api/v1/transparency` gives the same figures. The
 * figures are aggregates over every redemption of two years: computed at most once every few
 * minutes, whoever asks.
 */

const CACHE_MS = 5 * 60_000;

export function transparencyRoutes(app: FastifyInstance, ctx: AppContext) {
  let cached: { at: number; report: Promise<TransparencyReport> } | undefined;
  const load = (): Promise<TransparencyReport> => {
    const now = ctx.clock.now();
    if (!cached || now.getTime() - cached.at >= CACHE_MS || now.getTime() < cached.at) {
      const report = loadTransparency(ctx.db, parisDay(now));
      cached = { at: now.getTime(), report };
      // A failure is not kept: the next request tries again.
      report.catch(() => {
        if (cached?.report === report) cached = undefined;
      });
    }
    return cached.report;
  };

  app.get('/transparence', { config: { access: PUBLIC } }, async (request, reply) => {
    const report = await load();
    return sendPage(request, reply, () => ({ title: 'Transparence financière', body: transparencyBody(report, ctx.config.money) }));
  });
  transparencyApi(app, ctx, load);
}

/** Basis points as a French percentage: 300 → « 3 % », 125 → « 1,25 % ». */
export function formatRate(bp: number): string {
  return `${(bp / 100).toLocaleString('fr-FR', { maximumFractionDigits: 2 })} %`;
}

function euros(cents: number): string {
  return cents < 0 ? `−${formatEuros(-cents)}` : formatEuros(cents);
}

const count = (n: number) => n.toLocaleString('fr-FR');

function figureCells(row: Omit<TransparencyRow, 'month' | 'territory' | 'territoryName'>): SafeHtml {
  return html`<td>${count(row.vouchersUsed)}</td><td>${euros(row.vouchersCents)}</td><td>${euros(row.paidToPlacesCents)}</td><td>${euros(row.platformFeeCents)}</td><td>${euros(row.fundFeeCents)}</td>`;
}

function transparencyBody(
  report: TransparencyReport,
  money: { platformFeeBp: number; fundFeeBp: number; subscriptionMonthlyCents: number; subscriptionYearlyCents: number; vatBp: number },
): SafeHtml {
  const totalBp = money.platformFeeBp + money.fundFeeBp;
  // The fee of one 10 € voucher, rounded as the settlement rounds each voucher's fee (to the cent).
  const example = 1000;
  const platformExample = Math.round((example * money.platformFeeBp) / 10_000);
  const fundExample = Math.round((example * money.fundFeeBp) / 10_000);
  return html`<h1>Transparence financière</h1>
<p class="lead">Chaque euro du pass numérique est de l’argent public ou solidaire : voici où il va, mois par mois et département par département.</p>
<h2 id="frais">Les frais</h2>
<p>Quand un lieu qualifié encaisse un chèque, la plateforme le rembourse chaque mois de la valeur du chèque, moins <strong>${formatRate(totalBp)}</strong> de frais :</p>
<ul>
  <li><strong>${formatRate(money.platformFeeBp)}</strong> pour la plateforme, qui qualifie les lieux, émet et suit les chèques, paie les lieux et tient les comptes ;</li>
  <li><strong>${formatRate(money.fundFeeBp)}</strong> pour le <strong>fonds territorial d’innovation sociale et numérique</strong> du département du lieu, qui finance des projets de médiation numérique de ce territoire.</li>
</ul>
<p>Pour un chèque de ${formatEuros(example)}, le lieu reçoit ${formatEuros(example - platformExample - fundExample)} ; ${formatEuros(platformExample)} vont à la plateforme et ${formatEuros(fundExample)} au fonds territorial.
Les lieux paient aussi un abonnement de ${formatEuros(money.subscriptionMonthlyCents)} HT par mois ou ${formatEuros(money.subscriptionYearlyCents)} HT par an (TVA ${formatRate(money.vatBp)}), le premier mois offert, déduit de leurs virements.
Les taux sont enregistrés avec chaque règlement mensuel : un changement de taux ne modifie jamais un mois passé.</p>

<h2 id="par-mois">Par mois et par département</h2>
<p>Les chèques utilisés sont comptés au mois du service rendu, dans le département du lieu. Les sommes versées et les frais apparaissent une fois le mois réglé, au début du mois suivant ; « versé aux lieux » ne compte que les virements exécutés par la banque.</p>
${
  report.rows.length === 0
    ? html`<p>Aucun chèque n’a été utilisé ${ofMonth(report.from)} à ${formatMonth(report.to)}.</p>`
    : html`<table class="table">
  <caption>Chèques utilisés, sommes versées aux lieux et frais, ${ofMonth(report.from)} à ${formatMonth(report.to)} (${TRANSPARENCY_MONTHS} mois)</caption>
  <thead><tr><th scope="col">Mois</th><th scope="col">Département</th><th scope="col">Chèques utilisés</th><th scope="col">Valeur des chèques</th><th scope="col">Versé aux lieux</th><th scope="col">Frais de la plateforme</th><th scope="col">Fonds territorial</th></tr></thead>
  <tbody>${report.rows.map(
    (row) => html`<tr><th scope="row">${formatMonth(row.month)}</th><td>${row.territoryName}${row.territory ? ` (${row.territory})` : ''}</td>${figureCells(row)}</tr>`,
  )}</tbody>
  <tfoot><tr><th scope="row" colspan="2">Total</th>${figureCells(report.totals)}</tr></tfoot>
</table>`
}

<h2 id="fonds">Les fonds territoriaux</h2>
${
  report.funds.length === 0
    ? html`<p>Aucun fonds territorial n’a encore été alimenté.</p>`
    : html`<table class="table">
  <caption>Solde de chaque fonds territorial d’innovation sociale et numérique, aujourd’hui</caption>
  <thead><tr><th scope="col">Département</th><th scope="col">Solde</th></tr></thead>
  <tbody>${report.funds.map((fund) => html`<tr><th scope="row">${fund.territoryName}${fund.territory ? ` (${fund.territory})` : ''}</th><td>${euros(fund.balanceCents)}</td></tr>`)}</tbody>
</table>`
}
<p>Ces chiffres sont aussi publiés en JSON : <a href="/api/v1/transparency">/api/v1/transparency</a>. Ils ne désignent ni les lieux ni les personnes.</p>`;
}
