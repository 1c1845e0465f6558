import type { ApplicationStatus, LegalForm, MediatorStatus, PlaceStatus } from '../../../db/schema.js';
import { DOCUMENT_KINDS } from '../../../domains/providers/application.js';
import { formatSiret } from '../../../domains/providers/identifiers.js';
import type { ApplicationReview, QueueStatus, ReviewQueueRow } from '../../../domains/providers/review-queue.js';
import { departementOf } from '../../../domains/territories/communes.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { csrfField, textareaField } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';

/** Views of the operator's review of applications: the queue and one application. */

export const APPLICATION_STATUS_LABELS: Record<ApplicationStatus, string> = {
  draft: 'Brouillon',
  submitted: 'À examiner',
  changes_requested: 'Modifications demandées',
  qualified: 'Qualifiée',
  refused: 'Refusée',
};

export const QUEUE_STATUS_LABELS: Record<QueueStatus, string> = {
  submitted: 'À examiner',
  changes_requested: 'Modifications demandées',
  qualified: 'Qualifiées',
  suspended: 'Suspendues',
  refused: 'Refusées',
  draft: 'Brouillons',
  all: 'Toutes',
};

export const LEGAL_FORM_LABELS: Record<LegalForm, string> = {
  association: 'Association',
  company: 'Entreprise',
  public_body: 'Structure publique',
  sole_trader: 'Entrepreneur individuel',
};

const MEDIATOR_STATUS_LABELS: Record<MediatorStatus, string> = {
  employee: 'Salarié·e',
  volunteer: 'Bénévole',
  civic_service: 'Volontaire en service civique',
};

const PLACE_STATUS_LABELS: Record<PlaceStatus, string> = { draft: 'Non publié', published: 'Publié', withdrawn: 'Retiré (suspension)' };

const DELIVERY_MODE_LABELS: Record<string, string> = { on_site: 'sur place', remote: 'à distance', home: 'à domicile' };

const MEDIA_TYPE_LABELS: Record<string, string> = { 'application/pdf': 'PDF', 'image/jpeg': 'image JPEG', 'image/png': 'image PNG' };

export function statusLabel(status: ApplicationStatus, suspendedAt: Date | null): string {
  return suspendedAt ? `${APPLICATION_STATUS_LABELS[status]}, suspendue` : APPLICATION_STATUS_LABELS[status];
}

/** Days a submitted application has been waiting, as people say it. */
export function waitingTime(submittedAt: Date | null, now: Date): string {
  if (!submittedAt) return '–';
  const days = Math.floor((now.getTime() - submittedAt.getTime()) / 86_400_000);
  if (days < 1) return 'moins d’un jour';
  return days === 1 ? '1 jour' : `${days} jours`;
}

/** The IBAN as the operator sees it: country and last 4 characters only. */
export function maskIban(iban: string): string {
  return `${iban.slice(0, 2)}•• •••• •••• ${iban.slice(-4)}`;
}

function euros(cents: number): string {
  return new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
}

function fileSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} Ko` : `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;
}

/** Text with its line breaks, escaped. */
function multiline(text: string): SafeHtml {
  return html`${text.split(/\r?\n/).map((line, i) => html`${i ? html`<br>` : ''}${line}`)}`;
}


export function queueTable(rows: readonly ReviewQueueRow[], now: Date): SafeHtml {
  return html`<table class="table">
  <caption>Candidatures, les plus anciennes d’abord</caption>
  <thead><tr><th scope="col">Structure</th><th scope="col">Statut</th><th scope="col">Forme juridique</th><th scope="col">Commune</th><th scope="col">Envoyée le</th><th scope="col">Attente</th></tr></thead>
  <tbody>
  ${rows.map(
    (row) => html`<tr>
    <td><a href="/operateur/candidatures/${row.providerId}">${row.name}</a><br><span class="muted">${row.siret ? `SIRET ${formatSiret(row.siret)}` : `RNA ${row.rna ?? ''}`}</span></td>
    <td>${statusLabel(row.status, row.suspendedAt)}</td>
    <td>${LEGAL_FORM_LABELS[row.legalForm]}</td>
    <td>${row.commune} (${departementOf(row.inseeCode) ?? row.inseeCode})</td>
    <td>${row.submittedAt ? formatDateTime(row.submittedAt) : '–'}</td>
    <td>${row.status === 'submitted' ? waitingTime(row.submittedAt, now) : '–'}</td>
  </tr>`,
  )}
  ${rows.length === 0 ? html`<tr><td colspan="6">Aucune candidature pour ces filtres.</td></tr>` : ''}
  </tbody>
</table>`;
}

function organisationSection(review: ApplicationReview): SafeHtml {
  const p = review.provider;
  return html`<h2 id="structure">Structure</h2>
<table class="table">
  <caption class="visually-hidden">Identité de la structure</caption>
  <tbody>
    <tr><th scope="row">Nom</th><td>${p.name}</td></tr>
    <tr><th scope="row">Forme juridique</th><td>${LEGAL_FORM_LABELS[p.legal_form]}</td></tr>
    <tr><th scope="row">SIRET</th><td>${p.siret ? formatSiret(p.siret) : 'aucun'}</td></tr>
    <tr><th scope="row">Numéro RNA</th><td>${p.rna ?? 'aucun'}</td></tr>
    <tr><th scope="row">Adresse</th><td>${p.address}<br>${p.postcode} ${p.commune} <span class="muted">(INSEE ${p.insee_code}, département ${departementOf(p.insee_code) ?? '?'})</span></td></tr>
    <tr><th scope="row">Administrateur·rices</th><td>${review.admins.map((a, i) => html`${i ? html`<br>` : ''}${a.displayName} &lt;${a.email}&gt;`)}</td></tr>
  </tbody>
</table>
<h2 id="banque">Coordonnées bancaires</h2>
${
  p.iban
    ? html`<table class="table"><caption class="visually-hidden">Coordonnées bancaires</caption><tbody>
  <tr><th scope="row">Titulaire du compte</th><td>${p.account_holder ?? '–'}</td></tr>
  <tr><th scope="row">IBAN</th><td>${maskIban(p.iban)} <span class="muted">(masqué : seuls les 4 derniers caractères sont affichés)</span></td></tr>
  <tr><th scope="row">BIC</th><td>${p.bic ?? '–'}</td></tr>
</tbody></table>`
    : html`<p>Coordonnées bancaires non renseignées.</p>`
}`;
}

function eligibilitySection(review: ApplicationReview): SafeHtml {
  const e = review.eligibility;
  if (!e) return html`<h2 id="eligibilite">Éligibilité</h2><p>Le questionnaire d’éligibilité n’a pas été rempli.</p>`;
  return html`<h2 id="eligibilite">Éligibilité</h2>
<p><strong>${e.outcome === 'eligible' ? 'Éligible' : 'Pas encore éligible'}</strong>, d’après le questionnaire (version ${e.questionnaireVersion}) rempli par ${e.answeredBy} le ${formatDateTime(e.answeredAt)}.</p>
<table class="table">
  <caption>Résultat par thème</caption>
  <thead><tr><th scope="col">Thème</th><th scope="col">Points</th><th scope="col">Seuil</th><th scope="col">Résultat</th></tr></thead>
  <tbody>${e.scores.map((s) => html`<tr><td>${s.label}</td><td>${s.points} sur ${s.max}</td><td>${s.threshold}</td><td>${s.passed ? 'atteint' : 'à améliorer'}</td></tr>`)}</tbody>
</table>
${
  e.diagnostic.length
    ? html`<h3>Diagnostic</h3><ul>${e.diagnostic.map((d) => html`<li><strong>${d.label}</strong> : ${d.advice}</li>`)}</ul>`
    : ''
}`;
}

function charterSection(review: ApplicationReview): SafeHtml {
  const current = review.charters.find((c) => c.current);
  return html`<h2 id="charte">Charte</h2>
${current ? '' : html`<p><strong>La charte en vigueur (version ${review.currentCharterVersion}) n’a pas été acceptée.</strong></p>`}
${
  review.charters.length
    ? html`<ul>${review.charters.map(
        (c) => html`<li>Version ${c.version}${c.current ? ' (en vigueur)' : ''} acceptée par ${c.acceptedBy} (${c.acceptedByEmail}) le ${formatDateTime(c.acceptedAt)}</li>`,
      )}</ul>`
    : ''
}`;
}

function documentsSection(review: ApplicationReview): SafeHtml {
  const providerId = review.provider.organisation_id;
  const required: readonly string[] = review.requiredDocumentKinds;
  const others = [...new Set(review.documents.map((d) => d.kind).filter((kind) => !required.includes(kind)))];
  const kindLabel = (kind: string) => (kind in DOCUMENT_KINDS ? DOCUMENT_KINDS[kind as keyof typeof DOCUMENT_KINDS] : kind);
  const row = (kind: string) => {
    const documents = review.documents.filter((d) => d.kind === kind);
    return html`<tr><th scope="row">${kindLabel(kind)}</th><td>${
      documents.length
        ? documents.map(
            (d, i) =>
              html`${i ? html`<br>` : ''}<a href="/operateur/candidatures/${providerId}/documents/${d.id}" download>${d.fileName}</a> <span class="muted">(${MEDIA_TYPE_LABELS[d.mediaType] ?? d.mediaType}, ${fileSize(d.sizeBytes)}, envoyé par ${d.uploadedBy} le ${formatDateTime(d.uploadedAt)})</span>`,
          )
        : html`<strong>Manquante</strong>`
    }</td></tr>`;
  };
  return html`<h2 id="pieces">Pièces justificatives</h2>
<table class="table">
  <caption>Pièces demandées pour la forme juridique « ${LEGAL_FORM_LABELS[review.provider.legal_form]} »</caption>
  <tbody>${required.map(row)}${others.map(row)}</tbody>
</table>`;
}

function mediatorsSection(review: ApplicationReview): SafeHtml {
  return html`<h2 id="intervenants">Intervenants</h2>
${
  review.mediators.length
    ? html`<table class="table"><caption class="visually-hidden">Intervenants</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Statut</th><th scope="col">Formation</th><th scope="col">Actif</th></tr></thead>
<tbody>${review.mediators.map(
        (m) => html`<tr><td>${m.name}</td><td>${MEDIATOR_STATUS_LABELS[m.status]}</td><td>${m.trained ? (m.training ?? 'formé·e') : 'non formé·e'}</td><td>${m.active ? 'oui' : 'non'}</td></tr>`,
      )}</tbody></table>`
    : html`<p>Aucun intervenant déclaré.</p>`
}`;
}

function placesSection(review: ApplicationReview): SafeHtml {
  return html`<h2 id="lieux">Lieux et catalogue</h2>
${review.places.length === 0 ? html`<p>Aucun lieu déclaré.</p>` : ''}
${review.places.map(
  (place) => html`<h3>${place.name}</h3>
<p>${place.address}, ${place.postcode} ${place.commune}${place.itinerant ? ' (itinérant)' : ''}<br>
Publication : <strong>${PLACE_STATUS_LABELS[place.status]}</strong>${place.pivot ? html` <span class="muted">(pivot ${place.pivot})</span>` : ''}${place.openingHours ? html`<br>Horaires : ${place.openingHours}` : ''}</p>
<table class="table">
  <caption>Services de ${place.name}</caption>
  <thead><tr><th scope="col">Service</th><th scope="col">Prix</th><th scope="col">Durée</th><th scope="col">Format</th><th scope="col">Modalités</th><th scope="col">Parcours</th><th scope="col">État</th></tr></thead>
  <tbody>
  ${place.catalogue.map(
    (entry) => html`<tr><td><code>${entry.serviceCode}</code> ${entry.label}${entry.doingForPerson ? html` <span class="tag">faire à la place</span>` : ''} <span class="muted">(référentiel v${entry.referentialVersion})</span></td><td>${euros(entry.priceCents)}</td><td>${entry.durationMinutes} min</td><td>${entry.format === 'individual' ? 'individuel' : 'collectif'}</td><td>${entry.deliveryModes.map((m) => DELIVERY_MODE_LABELS[m] ?? m).join(', ')}</td><td>${entry.parcoursSessions ? `${entry.parcoursSessions} séances` : '–'}</td><td>${entry.active ? 'actif' : 'en pause'}</td></tr>`,
  )}
  ${place.catalogue.length === 0 ? html`<tr><td colspan="7">Aucun service.</td></tr>` : ''}
  </tbody>
</table>`,
)}`;
}

function messagesSection(review: ApplicationReview): SafeHtml {
  return html`<h2 id="messages">Échanges avec la structure</h2>
${
  review.messages.length
    ? html`<ol class="messages">${review.messages.map(
        (m) => html`<li><p><strong>${m.author}</strong> (${m.fromOperator ? 'opérateur' : 'structure'}), le ${formatDateTime(m.createdAt)} :</p><blockquote><p>${multiline(m.body)}</p></blockquote></li>`,
      )}</ol>`
    : html`<p>Aucun message pour l’instant.</p>`
}`;
}

function historySection(review: ApplicationReview): SafeHtml {
  return html`<h2 id="historique">Historique</h2>
<table class="table">
  <caption class="visually-hidden">Historique de la candidature, du plus récent au plus ancien</caption>
  <thead><tr><th scope="col">Date</th><th scope="col">Action</th><th scope="col">Par</th><th scope="col">Avant</th><th scope="col">Après</th></tr></thead>
  <tbody>
  ${review.history.map(
    (e) => html`<tr><td>${formatDateTime(e.occurredAt)}</td><td><code>${e.action}</code></td><td>${e.actor ?? 'système'}</td><td>${e.before ? html`<code class="small">${JSON.stringify(e.before)}</code>` : '–'}</td><td>${e.after ? html`<code class="small">${JSON.stringify(e.after)}</code>` : '–'}</td></tr>`,
  )}
  ${review.history.length === 0 ? html`<tr><td colspan="5">Aucun événement.</td></tr>` : ''}
  </tbody>
</table>`;
}

export interface DecisionFormsInput {
  csrf: string;
  errors: Record<string, string>;
  values: Record<string, string>;
  /** Decisions need the operator's admin role; every operator may write to the applicant. */
  isAdmin: boolean;
}

function decisionForms(review: ApplicationReview, input: DecisionFormsInput): SafeHtml {
  const p = review.provider;
  const base = `/operateur/candidatures/${p.organisation_id}`;
  const { csrf, errors, values } = input;
  let decisions: SafeHtml;
  if (!input.isAdmin) {
    decisions = html`<p>Les décisions sont prises par les administrateur·rices de l’opérateur.</p>`;
  } else if (p.status === 'submitted') {
    decisions = html`<div class="columns">
<form method="post" action="${base}/demander-des-modifications" novalidate>
  ${csrfField(csrf)}
  <h3>Demander des modifications</h3>
  ${textareaField({ name: 'changesMessage', label: 'Ce que la structure doit modifier ou compléter', hint: 'Ce message lui est envoyé par e-mail ; elle pourra corriger puis renvoyer sa candidature.', value: values.changesMessage, error: errors.changesMessage, required: true })}
  <button type="submit" class="button button-secondary">Demander des modifications</button>
</form>
<form method="post" action="${base}/qualifier" novalidate>
  ${csrfField(csrf)}
  <h3>Qualifier</h3>
  ${textareaField({ name: 'qualifyMessage', label: 'Message à la structure (facultatif)', hint: 'Ses lieux seront publiés sur la carte dès la qualification.', value: values.qualifyMessage, error: errors.qualifyMessage })}
  <button type="submit" class="button">Qualifier la structure</button>
</form>
<form method="post" action="${base}/refuser" novalidate>
  ${csrfField(csrf)}
  <h3>Refuser</h3>
  ${textareaField({ name: 'refusalMessage', label: 'Motif du refus', hint: 'Ce motif est envoyé à la structure. Le refus est définitif pour cette candidature.', value: values.refusalMessage, error: errors.refusalMessage, required: true })}
  <button type="submit" class="button button-secondary">Refuser la candidature</button>
</form>
</div>`;
  } else if (p.status === 'qualified' && !p.suspended_at) {
    decisions = html`<form method="post" action="${base}/suspendre" novalidate>
  ${csrfField(csrf)}
  <h3>Suspendre la qualification</h3>
  ${textareaField({ name: 'suspensionReason', label: 'Motif de la suspension', hint: 'Les lieux de la structure sont retirés de la carte jusqu’au rétablissement. Le motif lui est envoyé.', value: values.suspensionReason, error: errors.suspensionReason, required: true })}
  <button type="submit" class="button button-secondary">Suspendre</button>
</form>`;
  } else if (p.status === 'qualified' && p.suspended_at) {
    decisions = html`<form method="post" action="${base}/retablir">
  ${csrfField(csrf)}
  <h3>Rétablir la qualification</h3>
  <p>Les lieux de la structure seront de nouveau publiés.</p>
  <button type="submit" class="button">Rétablir</button>
</form>`;
  } else {
    decisions = html`<p>Aucune décision n’est possible au statut « ${APPLICATION_STATUS_LABELS[p.status]} » : ${
      p.status === 'refused' ? 'la candidature a été refusée.' : 'la candidature est chez la structure, qui doit l’envoyer.'
    }</p>`;
  }
  return html`<h2 id="decision">Décision</h2>
${decisions}
<form method="post" action="${base}/messages" novalidate>
  ${csrfField(csrf)}
  <h3>Écrire à la structure sans décider</h3>
  ${textareaField({ name: 'message', label: 'Votre message', hint: 'Une question ou une précision ; la structure le reçoit par e-mail et le statut ne change pas.', value: values.message, error: errors.message, required: true })}
  <button type="submit" class="button button-secondary">Envoyer le message</button>
</form>`;
}

export function applicationBody(review: ApplicationReview, input: DecisionFormsInput): SafeHtml {
  const p = review.provider;
  return html`<p><a href="/operateur/candidatures">Retour aux candidatures</a></p>
<h1>${p.name}</h1>
<p class="lead">Statut : <strong>${statusLabel(p.status, p.suspended_at)}</strong>${p.submitted_at ? html`, envoyée le ${formatDateTime(p.submitted_at)}` : ''}${p.decided_at ? html`, dernière décision le ${formatDateTime(p.decided_at)}` : ''}.</p>
${p.suspended_at ? html`<p>Suspendue le ${formatDateTime(p.suspended_at)}. Motif : ${p.suspension_reason ?? ''}</p>` : ''}
<p><a href="#decision">Aller à la décision</a></p>
${organisationSection(review)}
${eligibilitySection(review)}
${charterSection(review)}
${documentsSection(review)}
${mediatorsSection(review)}
${placesSection(review)}
${messagesSection(review)}
${decisionForms(review, input)}
${historySection(review)}`;
}
