import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { formatSiret, validateSiret } from '../../../domains/providers/identifiers.js';
import {
  BILLING_ADDRESS_MAX,
  BILLING_COMMUNE_MAX,
  formatBillingAddress,
  loadFunderBillingDetails,
  saveFunderBillingDetails,
  type FunderBillingDetails,
} from '../../../domains/settlement/funder-billing-details.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { FUNDER, FUNDER_ADMIN } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, textField, type FieldErrors } from '../../views/forms.js';
import { parseForm, sendFormPage, type FormState } from '../page.js';
import { formErrorOf } from '../funder/fields.js';

const PAGE = '/financeur/facturation';

const text = (missing: string, max: number) => z.string({ message: missing }).trim().min(1, missing).max(max, `${max} caractères au plus`);

const billingForm = z.object({
  address: text('Saisissez l’adresse (numéro et voie)', BILLING_ADDRESS_MAX),
  postcode: z.string({ message: 'Saisissez le code postal' }).trim().regex(/^\d{5}$/u, 'Le code postal compte 5 chiffres, par exemple 33000'),
  commune: text('Saisissez la commune', BILLING_COMMUNE_MAX),
  // The domain checks it again; checked here too so that every field's error shows at once.
  siret: z
    .string({ message: errorEntry('siret_invalid').message })
    .trim()
    .refine((value) => value === '' || validateSiret(value).ok, errorEntry('siret_invalid').message)
    .optional(),
});

/** Messages after a Post/Redirect/Get, chosen by a code in the query string (never free text). */
const DONE_MESSAGES: Record<string, string> = {
  adresse: 'L’adresse de facturation est enregistrée : elle figurera sous le nom de votre organisation sur les factures émises désormais.',
  'adresse-inchangee': 'C’était déjà l’adresse de facturation enregistrée : rien n’a changé.',
};

/**
 * « Adresse de facturation » (/financeur/facturation): the address, and the SIRET if any, that the
 * invoices of the funder's orders billed on use print under its name. Every member reads it; an
 * admin changes it (the POST's access is FUNDER_ADMIN). Linked from /financeur/releves.
 */
export function funderBillingRoutes(app: FastifyInstance, ctx: AppContext) {
  async function billingPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const current = currentMembership(request);
    const details = await loadFunderBillingDetails(ctx, current.organisationId);
    const ok = (request.query as { ok?: unknown }).ok;
    const values = state.values ?? (details ? formValuesOf(details) : {});
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Adresse de facturation',
      body: html`${notice(state.status === undefined && typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined)}<div class="narrow">
<p><a href="/financeur/releves">Retour aux relevés et factures</a></p>
<h1>Adresse de facturation</h1>
<p class="lead">Les factures de vos commandes facturées à l’usage portent cette adresse sous le nom de ${current.organisationName}, avec son numéro SIRET si vous le donnez. Elle figure sur les factures émises après son enregistrement ; une facture déjà émise ne change pas.</p>
${current.role === 'admin' ? detailsForm(csrf, values, errors, details !== null) : readOnly(details)}
</div>`,
    }));
  }

  app.get(PAGE, { config: { access: FUNDER } }, (request, reply) => billingPage(request, reply, {}));

  app.post(PAGE, { config: { access: FUNDER_ADMIN } }, async (request, reply) => {
    const form = parseForm(billingForm, request.body);
    if (!form.ok) return billingPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    let changed: boolean;
    try {
      ({ changed } = await saveFunderBillingDetails(ctx, actorOf(requireSession(request)), currentMembership(request).organisationId, form.data));
    } catch (error) {
      return billingPage(request, reply, { values: form.values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `${PAGE}?ok=${changed ? 'adresse' : 'adresse-inchangee'}`);
  });
}

function formValuesOf(details: FunderBillingDetails): Record<string, string> {
  return { address: details.address, postcode: details.postcode, commune: details.commune, siret: details.siret ? formatSiret(details.siret) : '' };
}

function detailsForm(csrf: string, values: Record<string, string>, errors: FieldErrors, saved: boolean): SafeHtml {
  return html`<form method="post" action="${PAGE}" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'address', label: 'Adresse', hint: 'Numéro et voie, et si besoin le service destinataire, par exemple « Direction des finances, 1 esplanade Charles-de-Gaulle ».', autocomplete: 'street-address', value: values.address, error: errors.address, required: true })}
  ${textField({ name: 'postcode', label: 'Code postal', hint: '5 chiffres ; un code CEDEX convient.', autocomplete: 'postal-code', value: values.postcode, error: errors.postcode, required: true })}
  ${textField({ name: 'commune', label: 'Commune', hint: 'Avec la mention CEDEX s’il y a lieu, par exemple « Bordeaux Cedex ».', autocomplete: 'address-level2', value: values.commune, error: errors.commune, required: true })}
  ${textField({ name: 'siret', label: 'Numéro SIRET (facultatif)', hint: '14 chiffres, sur l’avis de situation SIRENE.', value: values.siret, error: errors.siret })}
  <button type="submit" class="button">${saved ? 'Enregistrer les modifications' : 'Enregistrer l’adresse de facturation'}</button>
</form>`;
}

function readOnly(details: FunderBillingDetails | null): SafeHtml {
  const hint = html`<p class="hint">Seuls les administrateurs et administratrices de votre organisation peuvent modifier l’adresse de facturation.</p>`;
  if (!details) return html`<p>Aucune adresse de facturation n’est enregistrée : vos factures ne portent que le nom de votre organisation.</p>${hint}`;
  return html`<dl class="summary">
  <dt>Adresse</dt><dd>${formatBillingAddress(details)}</dd>
  <dt>SIRET</dt><dd>${details.siret ? formatSiret(details.siret) : 'Non renseigné'}</dd>
</dl>${hint}`;
}
