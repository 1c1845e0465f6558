import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { DOCUMENT_KINDS, DOCUMENT_MAX_BYTES, REQUIRED_DOCUMENTS, type DocumentKind } from '../../../domains/providers/application.js';
import { readDocument, uploadDocument } from '../../../domains/providers/documents.js';
import { loadApplication } from '../../../domains/providers/repository.js';
import { html } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { redirectAfterPost } from '../../request-context.js';
import { csrfField, notice, selectField } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { sendFormPage, type FormState } from '../page.js';
import { formatBytes } from './labels.js';
import { ADMIN_ONLY_NOTE, NOT_EDITABLE_NOTE, applicant, doneMessage, formErrorsOf } from './shared.js';

/**
 * Options of @fastify/multipart for the upload route, the only one that takes multipart (app.ts
 * registers the parser in a scope of its own): one file, a few short fields, the file held in
 * memory up to the size limit and marked truncated beyond, so that the page can say so.
 */
export const DOCUMENT_UPLOAD_OPTIONS = {
  attachFieldsToBody: true,
  throwFileSizeLimit: false,
  limits: { fileSize: DOCUMENT_MAX_BYTES, files: 1, fields: 4, fieldSize: 1024, parts: 5, headerPairs: 100 },
} as const;

/** The upload as the handler sees it, once the multipart parts are read. */
interface UploadBody {
  _csrf?: string;
  kind?: string;
  file?: { fileName: string; content: Buffer; truncated: boolean };
}

function isFile(part: unknown): part is MultipartFile {
  return typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'file';
}
function isValue(part: unknown): part is MultipartValue {
  return typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'field';
}

/**
 * Turns the parts into plain values before the CSRF check (which reads `body._csrf` as a string).
 * A repeated field or a second file is ignored: the parser's limits already refuse them.
 */
async function flattenMultipart(request: FastifyRequest): Promise<void> {
  const parts = (request.body ?? {}) as Record<string, unknown>;
  const body: UploadBody = {};
  const csrf = parts._csrf;
  if (isValue(csrf) && typeof csrf.value === 'string') body._csrf = csrf.value;
  const kind = parts.kind;
  if (isValue(kind) && typeof kind.value === 'string') body.kind = kind.value;
  const file = parts.file;
  if (isFile(file) && file.filename) {
    body.file = { fileName: file.filename, content: await file.toBuffer(), truncated: file.file.truncated };
  }
  request.body = body;
}

export function documentsRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/structure/documents', { config: { access: PROVIDER } }, (request, reply) => documentsPage(ctx, request, reply, {}));

  app.get('/structure/documents/:documentId', { config: { access: PROVIDER } }, async (request, reply) => {
    const { providerId } = applicant(request);
    const document = await readDocument(ctx, providerId, (request.params as { documentId: string }).documentId);
    return reply
      .type(document.mediaType)
      .header('cache-control', 'private, no-store')
      .header('content-disposition', `attachment; filename="document"; filename*=UTF-8''${encodeURIComponent(document.fileName)}`)
      .send(document.content);
  });
}

/** The upload route; app.ts registers it in the scope that has the multipart parser. */
export function documentUploadRoute(scope: FastifyInstance, ctx: AppContext) {
  scope.post('/structure/documents', { config: { access: PROVIDER_ADMIN }, preValidation: flattenMultipart }, async (request, reply) => {
    const body = (request.body ?? {}) as UploadBody;
    const { actor, providerId } = applicant(request);
    const kind = body.kind ?? '';
    if (!(kind in DOCUMENT_KINDS)) return documentsPage(ctx, request, reply, { status: 400, errors: { kind: 'Choisissez le type de pièce' } });
    if (!body.file) return documentsPage(ctx, request, reply, { status: 400, errors: { file: 'Choisissez le fichier à envoyer' }, values: { kind } });
    try {
      await uploadDocument(ctx, actor, providerId, { kind, ...body.file });
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return documentsPage(ctx, request, reply, { status, ...shown, values: { kind } });
    }
    return redirectAfterPost(reply, '/structure/documents?ok=document');
  });
}

async function documentsPage(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, state: FormState) {
  const { providerId, isAdmin } = applicant(request);
  const { provider, documents, currentDocuments, editable } = await loadApplication(ctx.db, providerId);
  const required = REQUIRED_DOCUMENTS[provider.legal_form];
  const history = documents.filter((d) => currentDocuments.get(d.kind)?.id !== d.id);
  const link = (d: { id: string; fileName: string; sizeBytes: number; uploadedAt: Date }) =>
    html`<a href="/structure/documents/${d.id}">${d.fileName}</a> (${formatBytes(d.sizeBytes)}, envoyé le ${formatDateTime(d.uploadedAt)})`;
  return sendFormPage(request, reply, state, (csrf, errors) => ({
    title: 'Pièces justificatives',
    body: html`${notice(doneMessage(request))}
<p><a href="/structure/candidature">Retour à la candidature</a></p>
<h1>Pièces justificatives</h1>
<p class="lead">Les pièces demandées pour votre forme juridique. Seuls les membres de votre structure et l’opérateur peuvent les lire.</p>
<table class="table">
  <caption>Pièces demandées (${required.length})</caption>
  <thead><tr><th scope="col">Pièce</th><th scope="col">Fichier</th></tr></thead>
  <tbody>${required.map((kind) => {
    const current = currentDocuments.get(kind);
    return html`<tr><td>${DOCUMENT_KINDS[kind]}</td><td>${current ? link(current) : html`<span class="tag">À envoyer</span>`}</td></tr>`;
  })}</tbody>
</table>
${
  history.length
    ? html`<h2>Versions remplacées</h2><ul>${history.map((d) => html`<li>${DOCUMENT_KINDS[d.kind as DocumentKind] ?? d.kind} : ${link(d)}</li>`)}</ul>`
    : ''
}
${
  isAdmin && editable
    ? html`<h2>Envoyer une pièce</h2>
<p>Une pièce déjà envoyée peut être remplacée : la nouvelle compte, l’ancienne reste dans l’historique.</p>
<form method="post" action="/structure/documents" enctype="multipart/form-data" novalidate>
  ${csrfField(csrf)}
  ${selectField({
    name: 'kind',
    label: 'Type de pièce',
    options: required.map((kind) => ({ value: kind, label: DOCUMENT_KINDS[kind] })),
    value: state.values?.kind,
    error: errors.kind,
  })}
  <div class="field${errors.file ? ' field-error' : ''}">
    <label for="file">Fichier</label>
    <p class="hint" id="file-hint">PDF, JPEG ou PNG, 10 Mo au plus. Une photo nette et lisible convient.</p>
    ${errors.file ? html`<p class="error-message" id="file-error"><span class="visually-hidden">Erreur : </span>${errors.file}</p>` : ''}
    <input type="file" id="file" name="file" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" aria-describedby="file-hint${errors.file ? ' file-error' : ''}"${errors.file ? html` aria-invalid="true"` : ''}>
  </div>
  <button type="submit" class="button">Envoyer la pièce</button>
</form>`
    : editable
      ? ADMIN_ONLY_NOTE
      : NOT_EDITABLE_NOTE
}`,
  }));
}
