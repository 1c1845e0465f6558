import { PassThrough, type Writable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { exportEntriesCsv, exportFec, fecFileName } from '../../../domains/exports/fec.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { listInvoicesOfAllFunders } from '../../../domains/settlement/funder-invoices.js';
import { html } from '../../../lib/html.js';
import { isIsoDate, parisDay } from '../../../lib/paris-dates.js';
import { OPERATOR } from '../../access.js';
import { textField, type FieldErrors } from '../../views/forms.js';
import { parseForm, sendFormPage } from '../page.js';
import { INVOICES_PATH } from './funder-invoices.js';

/**
 * The operator's accounting (/operateur/comptabilite): the ledger's exports for the accountant, the
 * FEC of a year and the entries of any period as CSV (domains/exports/fec.ts, the same files as
 * `npx passnum export-fec` and `export-entries`), and what the funders still owe. The forms are
 * GET forms (downloads change nothing); a wrong year or period shows the page again with the
 * message next to its field. Files are streamed as they are written: a year may hold millions of
 * lines. Every operator may download them.
 */

export const ACCOUNTING_PATH = '/operateur/comptabilite';
const FIRST_YEAR = 2000;

const fecForm = (currentYear: number) =>
  z.object({
    annee: z
      .string({ message: 'Indiquez l’année de l’exercice' })
      .trim()
      .regex(/^\d{4}$/u, 'Indiquez une année sur quatre chiffres, par exemple 2026')
      .refine((year) => Number(year) >= FIRST_YEAR && Number(year) <= currentYear, `Indiquez une année entre ${FIRST_YEAR} et ${currentYear}`),
  });

const day = (label: string) =>
  z
    .string({ message: `Indiquez la date ${label}` })
    .trim()
    .refine(isIsoDate, `Indiquez la date ${label} au format AAAA-MM-JJ, par exemple 2026-03-31`);

const entriesForm = z.object({ du: day('de début'), au: day('de fin') });

interface State {
  status?: number;
  values?: Record<string, string>;
  errors?: FieldErrors;
}

/**
 * Sends what `work` writes as a file download, as it is written. An error after the first bytes can
 * no longer become an error page: the connection is cut, so the browser never keeps a truncated
 * file as complete; a download abandoned by the browser stops the export (fec.ts checks its output).
 */
function sendDownload(request: FastifyRequest, reply: FastifyReply, file: { name: string; type: string }, work: (out: Writable) => Promise<unknown>) {
  const body = new PassThrough();
  reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${file.name}"`).type(file.type).send(body);
  work(body).then(
    () => body.end(),
    (error: unknown) => {
      if (body.destroyed) request.log.info({ file: file.name }, 'download abandoned by the client');
      else {
        request.log.error({ err: error, file: file.name }, 'export failed during the download');
        body.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    },
  );
  return reply;
}

export function operatorAccountingRoutes(app: FastifyInstance, ctx: AppContext) {
  async function accountingPage(request: FastifyRequest, reply: FastifyReply, state: State = {}) {
    const today = parisDay(ctx.clock.now());
    const { unpaid } = await listInvoicesOfAllFunders(ctx, { payment: 'unpaid', page: 1, perPage: 0 });
    const values = state.values ?? {};
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {} }, (_csrf, errors) => ({
      title: 'Comptabilité',
      body: html`<h1>Comptabilité</h1>
<p class="lead">Le grand livre de la plateforme, tenu en partie double : chaque émission de chèques, chaque chèque encaissé, chaque virement, abonnement, avoir et règlement d’un financeur y est écrit au moment où il a lieu. Les fichiers ci-dessous sont ceux que demandent l’expert-comptable et l’administration fiscale.</p>

<h2>Fichier des écritures comptables (FEC)</h2>
<form method="get" action="${ACCOUNTING_PATH}/fec" novalidate>
  ${textField({ name: 'annee', label: 'Exercice (année civile)', hint: 'Au format AAAA, par exemple 2026. Le fichier suit l’article A47 A-1 du livre des procédures fiscales : texte tabulé, encodé en UTF-8, ouvert par les soldes reportés de l’année précédente.', value: values.annee ?? today.slice(0, 4), error: errors.annee, required: true })}
  <button type="submit" class="button">Télécharger le FEC</button>
</form>

<h2>Écritures d’une période</h2>
<form method="get" action="${ACCOUNTING_PATH}/ecritures" novalidate>
  <p>Un fichier CSV : une ligne par ligne d’écriture, avec le numéro de l’écriture et son empreinte dans la chaîne du grand livre, pour rapprocher une période de la vérification du grand livre.</p>
  ${textField({ name: 'du', label: 'Du', type: 'date', hint: 'Premier jour de comptabilisation inclus, au format AAAA-MM-JJ.', value: values.du ?? `${today.slice(0, 4)}-01-01`, error: errors.du, required: true })}
  ${textField({ name: 'au', label: 'Au', type: 'date', hint: 'Dernier jour inclus, au format AAAA-MM-JJ.', value: values.au ?? today, error: errors.au, required: true })}
  <button type="submit" class="button">Télécharger les écritures (CSV)</button>
</form>

<h2>Factures des financeurs</h2>
<p>${
        unpaid.invoices === 0
          ? 'Aucune facture à l’usage n’attend de règlement.'
          : `${unpaid.invoices.toLocaleString('fr-FR')} facture${unpaid.invoices > 1 ? 's' : ''} à l’usage en attente de règlement, pour ${formatEuros(unpaid.amountCents)}.`
      }</p>
<p><a href="${INVOICES_PATH}">Voir les factures des financeurs et enregistrer leurs règlements</a></p>

<h2>Vérifier le grand livre</h2>
<p>Les écritures sont scellées dans une chaîne d’empreintes dix minutes après leur enregistrement. La vérification complète relit tout le grand livre (chaîne, équilibre de chaque écriture, soldes de chaque compte) : elle se lance sur le serveur avec la commande <code>npx passnum verify-ledger</code>.</p>`,
    }));
  }

  app.get(ACCOUNTING_PATH, { config: { access: OPERATOR } }, (request, reply) => accountingPage(request, reply));

  app.get(`${ACCOUNTING_PATH}/fec`, { config: { access: OPERATOR } }, (request, reply) => {
    const form = parseForm(fecForm(Number(parisDay(ctx.clock.now()).slice(0, 4))), request.query);
    if (!form.ok) return accountingPage(request, reply, { status: 400, values: form.values, errors: form.errors });
    const year = Number(form.data.annee);
    const siret = ctx.config.platform.siret;
    // Named before the first byte: a SIRET without a SIREN fails as an error page, not a cut file.
    const name = fecFileName(siret, year);
    return sendDownload(request, reply, { name, type: 'text/plain; charset=utf-8' }, (out) => exportFec(ctx.db, { year, siret }, out));
  });

  app.get(`${ACCOUNTING_PATH}/ecritures`, { config: { access: OPERATOR } }, (request, reply) => {
    const form = parseForm(entriesForm, request.query);
    if (!form.ok) return accountingPage(request, reply, { status: 400, values: form.values, errors: form.errors });
    const { du: from, au: to } = form.data;
    if (from > to) return accountingPage(request, reply, { status: 400, values: form.values, errors: { au: 'Indiquez une date de fin égale ou postérieure à la date de début' } });
    return sendDownload(request, reply, { name: `ecritures-${from}-au-${to}.csv`, type: 'text/csv; charset=utf-8' }, (out) => exportEntriesCsv(ctx.db, from, to, out));
  });
}
