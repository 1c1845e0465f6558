import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { openSession, signOut } from '../../../domains/accounts/sessions.js';
import { LEGAL_FORMS } from '../../../domains/providers/application.js';
import { signUpProvider } from '../../../domains/providers/sign-up-provider.js';
import { communesForPostcode } from '../../../domains/territories/communes.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { PUBLIC } from '../../access.js';
import { networkKey } from '../../network-key.js';
import { redirectAfterPost } from '../../request-context.js';
import { csrfField, selectField, textField, type FieldErrors } from '../../views/forms.js';
import { setSessionCookie } from '../account/session-cookie.js';
import { parseForm, sendFormPage, type FormState } from '../page.js';
import { LEGAL_FORM_LABELS } from './labels.js';
import { formErrorsOf, radiosField } from './shared.js';

const text = (message: string, max = 200) => z.string().trim().min(1, message).max(max, `${max} caractères au plus`);
const optional = (max: number) => z.string().trim().max(max, `${max} caractères au plus`).optional();

export const legalIdentityFields = {
  organisationName: text('Saisissez le nom de la structure'),
  legalForm: z.enum(LEGAL_FORMS, { message: 'Choisissez la forme juridique' }),
  siret: optional(30),
  rna: optional(20),
  address: text('Saisissez l’adresse (numéro et voie)', 300),
  postcode: z.string().trim().regex(/^\d{5}$/u, 'Le code postal compte 5 chiffres, par exemple 33000'),
  inseeCode: optional(5),
};

const signUpForm = z.object({
  ...legalIdentityFields,
  adminName: text('Saisissez votre nom'),
  email: z.string().trim().min(1, 'Saisissez votre adresse e-mail').max(254, 'Adresse e-mail trop longue').email('Saisissez une adresse e-mail valide, par exemple nom@exemple.fr'),
  password: z.string().min(1, 'Choisissez un mot de passe').max(1024, 'Le mot de passe ne doit pas dépasser 256 caractères.'),
});

/**
 * The commune without JavaScript: after a first submission, when the postcode serves several
 * communes, a list of them (the INSEE code is the value); with one commune, nothing to choose.
 */
export function communeField(postcode: string | undefined, value: string | undefined, error: string | undefined): SafeHtml | '' {
  const candidates = postcode && /^\d{5}$/u.test(postcode.trim()) ? communesForPostcode(postcode.trim()) : [];
  if (candidates.length < 2 && !error) return '';
  return selectField({
    name: 'inseeCode',
    label: 'Commune',
    hint: 'Plusieurs communes partagent ce code postal : choisissez la vôtre.',
    options: [{ value: '', label: 'Choisissez la commune' }, ...candidates.map((c) => ({ value: c.code, label: `${c.name} (${c.code})` }))],
    value,
    error,
  });
}

export function legalIdentityInputs(values: Record<string, string | undefined>, errors: FieldErrors): SafeHtml {
  return html`${textField({ name: 'organisationName', label: 'Nom de la structure', autocomplete: 'organization', value: values.organisationName, error: errors.organisationName, required: true })}
  ${radiosField({
    name: 'legalForm',
    legend: 'Forme juridique',
    options: LEGAL_FORMS.map((form) => ({ value: form, label: LEGAL_FORM_LABELS[form] })),
    value: values.legalForm,
    error: errors.legalForm,
  })}
  ${textField({ name: 'siret', label: 'Numéro SIRET', hint: '14 chiffres, sur l’avis de situation SIRENE. Une association sans SIRET laisse ce champ vide et donne son numéro RNA.', value: values.siret, error: errors.siret })}
  ${textField({ name: 'rna', label: 'Numéro RNA (associations seulement, facultatif)', hint: 'W suivi de 9 caractères, par exemple W751234567.', value: values.rna, error: errors.rna })}
  ${textField({ name: 'address', label: 'Adresse', hint: 'Numéro et voie, par exemple 12 rue de la Paix.', autocomplete: 'street-address', value: values.address, error: errors.address, required: true })}
  ${textField({ name: 'postcode', label: 'Code postal', autocomplete: 'postal-code', value: values.postcode, error: errors.postcode, required: true })}
  ${communeField(values.postcode, values.inseeCode, errors.inseeCode)}`;
}

export function signUpRoutes(app: FastifyInstance, ctx: AppContext) {
  // Per network origin, as sign-in: an account per request is what a spammer wants.
  const signUpLimit = {
    max: ctx.config.rateLimits.signIn.max,
    timeWindow: ctx.config.rateLimits.signIn.windowMs,
    keyGenerator: (request: { ip: string }) => `sign-up:${networkKey(request.ip)}`,
  };

  function signUpPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const values = state.values ?? {};
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Devenir un lieu du pass numérique',
      body: html`<div class="narrow"><h1>Devenir un lieu du pass numérique</h1>
<p class="lead">Inscrivez votre structure en quelques minutes. Vous préparerez ensuite votre candidature étape par étape : questionnaire, charte, pièces, lieux et services.</p>
<form method="post" action="/devenir-lieu" novalidate>
  ${csrfField(csrf)}
  <h2>Votre structure</h2>
  ${legalIdentityInputs(values, errors)}
  <h2>Votre compte</h2>
  <p>Vous serez administrateur ou administratrice de la structure sur passnum. Choisissez une adresse e-mail durable.</p>
  ${textField({ name: 'adminName', label: 'Votre nom', autocomplete: 'name', value: values.adminName, error: errors.adminName, required: true })}
  ${textField({ name: 'email', label: 'Adresse e-mail', type: 'email', autocomplete: 'email', value: values.email, error: errors.email, required: true })}
  ${textField({ name: 'password', label: 'Mot de passe', type: 'password', autocomplete: 'new-password', hint: 'Au moins 12 caractères. Une phrase facile à retenir convient très bien.', error: errors.password, required: true })}
  <button type="submit" class="button">Inscrire la structure</button>
</form>
<p>Déjà inscrit·e ? <a href="/connexion">Se connecter</a></p></div>`,
    }));
  }

  app.get('/devenir-lieu', { config: { access: PUBLIC } }, (request, reply) => signUpPage(request, reply, {}));

  app.post('/devenir-lieu', { config: { access: PUBLIC, rateLimit: signUpLimit } }, async (request, reply) => {
    const form = parseForm(signUpForm, request.body);
    if (!form.ok) return signUpPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    let joined: { userId: string; organisationId: string };
    try {
      joined = await signUpProvider(ctx, form.data);
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return signUpPage(request, reply, { status, ...shown, values: form.values });
    }
    if (request.session) await signOut(ctx, request.session);
    setSessionCookie(reply, ctx, (await openSession(ctx, joined.userId, joined.organisationId)).token);
    return redirectAfterPost(reply, '/structure/candidature?ok=inscription');
  });
}
