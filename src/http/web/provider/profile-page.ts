import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { formatSiret } from '../../../domains/providers/identifiers.js';
import { updateProviderProfile } from '../../../domains/providers/provider-profile.js';
import { loadApplication } from '../../../domains/providers/repository.js';
import { html } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { redirectAfterPost } from '../../request-context.js';
import { csrfField, notice, textField } from '../../views/forms.js';
import { parseForm, sendFormPage, type FormState } from '../page.js';
import { LEGAL_FORM_LABELS } from './labels.js';
import { ADMIN_ONLY_NOTE, NOT_EDITABLE_NOTE, applicant, doneMessage, formErrorsOf } from './shared.js';
import { legalIdentityFields, legalIdentityInputs } from './sign-up-page.js';

const profileForm = z.object({
  ...legalIdentityFields,
  iban: z.string().trim().max(60, '60 caractères au plus').optional(),
  bic: z.string().trim().max(20, '20 caractères au plus').optional(),
  accountHolder: z.string().trim().max(200, '200 caractères au plus').optional(),
});

export function profileRoutes(app: FastifyInstance, ctx: AppContext) {
  async function profilePage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const { providerId, isAdmin } = applicant(request);
    const { provider, editable } = await loadApplication(ctx.db, providerId);
    const values: Record<string, string | undefined> = state.values ?? {
      organisationName: provider.organisationName,
      legalForm: provider.legal_form,
      siret: provider.siret ? formatSiret(provider.siret) : '',
      rna: provider.rna ?? '',
      address: provider.address,
      postcode: provider.postcode,
      inseeCode: provider.insee_code,
      iban: provider.iban ?? '',
      bic: provider.bic ?? '',
      accountHolder: provider.account_holder ?? '',
    };
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Informations de la structure',
      body: html`${notice(doneMessage(request))}<div class="narrow">
<p><a href="/structure/candidature">Retour à la candidature</a></p>
<h1>Informations de la structure</h1>
${
  isAdmin && editable
    ? html`<form method="post" action="/structure/profil" novalidate>
  ${csrfField(csrf)}
  ${legalIdentityInputs(values, errors)}
  <h2>Coordonnées bancaires</h2>
  <p>Le compte sur lequel vous recevrez chaque mois le paiement des pass numériques encaissés. Recopiez-les depuis votre RIB.</p>
  ${textField({ name: 'iban', label: 'IBAN', hint: 'Par exemple FR76 3000 6000 0112 3456 7890 189.', value: values.iban, error: errors.iban })}
  ${textField({ name: 'bic', label: 'BIC', hint: '8 ou 11 caractères, par exemple AGRIFRPP.', value: values.bic, error: errors.bic })}
  ${textField({ name: 'accountHolder', label: 'Titulaire du compte', value: values.accountHolder, error: errors.accountHolder })}
  <button type="submit" class="button">Enregistrer</button>
</form>`
    : html`<dl>
  <dt>Nom</dt><dd>${provider.organisationName}</dd>
  <dt>Forme juridique</dt><dd>${LEGAL_FORM_LABELS[provider.legal_form]}</dd>
  <dt>SIRET</dt><dd>${provider.siret ? formatSiret(provider.siret) : 'Non renseigné'}</dd>
  ${provider.rna ? html`<dt>RNA</dt><dd>${provider.rna}</dd>` : ''}
  <dt>Adresse</dt><dd>${provider.address}, ${provider.postcode} ${provider.commune}</dd>
  <dt>Coordonnées bancaires</dt><dd>${provider.iban ? `IBAN se terminant par ${provider.iban.slice(-4)}, titulaire ${provider.account_holder ?? ''}` : 'Non renseignées'}</dd>
</dl>${editable ? ADMIN_ONLY_NOTE : NOT_EDITABLE_NOTE}`
}</div>`,
    }));
  }

  app.get('/structure/profil', { config: { access: PROVIDER } }, (request, reply) => profilePage(request, reply, {}));

  app.post('/structure/profil', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const form = parseForm(profileForm, request.body);
    if (!form.ok) return profilePage(request, reply, { status: 400, errors: form.errors, values: form.values });
    const { actor, providerId } = applicant(request);
    try {
      await updateProviderProfile(ctx, actor, providerId, form.data);
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return profilePage(request, reply, { status, ...shown, values: form.values });
    }
    return redirectAfterPost(reply, '/structure/candidature?ok=profil');
  });
}
