import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DomainError } from '../../../domains/errors.js';
import { HELP_KINDS, REFERENTIAL_LEVELS } from '../../../domains/referential/model.js';
import { listReferentialVersions, loadReferential } from '../../../domains/referential/publish-referential.js';
import { html } from '../../../lib/html.js';
import { PUBLIC } from '../../access.js';
import { sendPage } from '../page.js';

const HELP_KIND_LABELS = Object.fromEntries(HELP_KINDS.map((k) => [k.code, k.label]));
const query = z.object({ version: z.coerce.number().int().positive().optional() });

/** `/referentiel`: the national referential of services, readable by anyone, every version. */
export function referentialPage(app: FastifyInstance, ctx: AppContext) {
  app.get('/referentiel', { config: { access: PUBLIC } }, async (request, reply) => {
    const parsed = query.safeParse(request.query);
    const asked = parsed.success ? parsed.data.version : undefined;
    const [referential, versions] = await Promise.all([loadReferential(ctx.db, asked), listReferentialVersions(ctx.db)]);
    if (!referential) throw new DomainError('referential_version_unknown');
    const latest = versions[0]?.version;
    return sendPage(request, reply, () => ({
      title: `Référentiel des services, version ${referential.version}`,
      body: html`<h1>${referential.title}</h1>
<p class="lead">Version ${referential.version}, publiée le ${new Date(`${referential.publishedOn}T12:00:00Z`).toLocaleDateString('fr-FR', { dateStyle: 'long' })}${
        referential.version === latest ? ' (version en vigueur)' : html` — <strong>version ancienne</strong> : <a href="/referentiel">voir la version en vigueur</a>`
      }.</p>
<p>Les lieux qualifiés choisissent dans ce référentiel les services qu’ils proposent contre des pass numériques. Chaque service correspond à un ou plusieurs des 9 services du <a href="https://schema.data.gouv.fr/LaMednum/standard-mediation-num/">standard national des lieux de médiation numérique</a>. Les services marqués « faire à la place » sont réservés aux professionnels : ni bénévoles ni volontaires en service civique.</p>
${referential.notes ? html`<p>${referential.notes}</p>` : ''}
<nav aria-label="Niveaux du référentiel"><ul>${REFERENTIAL_LEVELS.map((level) => html`<li><a href="#niveau-${level.code}">Niveau ${level.code} : ${level.label}</a></li>`)}</ul></nav>
${REFERENTIAL_LEVELS.map((level) => {
  const services = referential.services.filter((s) => s.level === level.code);
  return html`<h2 id="niveau-${level.code}">Niveau ${level.code} : ${level.label}</h2>
<table class="table">
  <caption>${services.length} services du niveau ${level.code}</caption>
  <thead><tr><th scope="col">Code</th><th scope="col">Service</th><th scope="col">Type d’aide</th><th scope="col">Services du standard national</th></tr></thead>
  <tbody>${services.map(
    (s) => html`<tr id="${s.code}"><td><code>${s.code}</code></td><td><strong>${s.label}</strong>${s.doingForPerson ? html` <span class="tag">faire à la place</span>` : ''}<br>${s.description}</td><td>${HELP_KIND_LABELS[s.helpKind]}</td><td>${s.standardServices.join(', ')}</td></tr>`,
  )}</tbody>
</table>`;
})}
<h2>Versions</h2>
<ul>${versions.map((v) => html`<li>${v.version === referential.version ? html`<strong>Version ${v.version}</strong>` : html`<a href="/referentiel?version=${String(v.version)}">Version ${v.version}</a>`} — ${v.title}, ${v.publishedOn}</li>`)}</ul>
<p>Aussi en JSON : <a href="/api/v1/referential${referential.version === latest ? '' : `?version=${referential.version}`}">/api/v1/referential</a>.</p>`,
    }));
  });
}
