import { createHash } from 'node:crypto';
import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { DOCUMENT_MAX_BYTES, REQUIRED_DOCUMENTS, type DocumentKind } from './application.js';
import { findDocumentContent, lockEditableProvider } from './repository.js';

export type DocumentMediaType = 'application/pdf' | 'image/jpeg' | 'image/png';

/**
 * The media type read from the file's first bytes, never from what the browser declared (a
 * renamed file, or a hostile one, declares whatever it likes).
 */
export function sniffMediaType(content: Buffer): DocumentMediaType | undefined {
  if (content.subarray(0, 5).equals(Buffer.from('%PDF-', 'latin1'))) return 'application/pdf';
  if (content.length >= 3 && content[0] === 0xff && content[1] === 0xd8 && content[2] === 0xff) return 'image/jpeg';
  if (content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}

/** A file name safe to store and to show: no path, no control characters, at most 200 characters. */
export function cleanFileName(name: string, mediaType: DocumentMediaType): string {
  const base = (name.split(/[\\/]/u).pop() ?? '').replace(/[\p{Cc}\p{Cf}"]/gu, '').trim().slice(0, 200);
  if (base) return base;
  return mediaType === 'application/pdf' ? 'document.pdf' : mediaType === 'image/png' ? 'document.png' : 'document.jpg';
}

export interface DocumentUpload {
  kind: string;
  fileName: string;
  content: Buffer;
  /** Set when the upload was cut at the size limit on its way in. */
  truncated?: boolean;
}

/**
 * Stores one document of the application. Checks: a kind asked of the provider's legal form, a
 * PDF, JPEG or PNG by its content, at most DOCUMENT_MAX_BYTES. A new document of a kind already
 * uploaded does not replace the older row: the latest of each kind counts.
 */
export async function uploadDocument(
  ctx: AppContext,
  actor: Actor & { userId: string },
  providerId: string,
  upload: DocumentUpload,
): Promise<{ documentId: string }> {
  if (upload.truncated || upload.content.length > DOCUMENT_MAX_BYTES) throw new DomainError('document_too_large', 'file');
  if (upload.content.length === 0) throw new DomainError('document_missing', 'file');
  const mediaType = sniffMediaType(upload.content);
  if (!mediaType) throw new DomainError('document_type_not_allowed', 'file');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const provider = await lockEditableProvider(trx, providerId);
    if (!(REQUIRED_DOCUMENTS[provider.legal_form] as readonly string[]).includes(upload.kind)) throw new DomainError('document_kind_not_required', 'kind');
    const fileName = cleanFileName(upload.fileName, mediaType);
    const sha256 = createHash('sha256').update(upload.content).digest('hex');
    const row = await trx
      .insertInto('provider_documents')
      .values({
        provider_id: providerId,
        kind: upload.kind as DocumentKind,
        file_name: fileName,
        media_type: mediaType,
        size_bytes: upload.content.length,
        sha256,
        content: upload.content,
        uploaded_by: actor.userId,
        uploaded_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, {
      action: 'document.uploaded',
      subjectType: 'provider',
      subjectId: providerId,
      after: { documentId: row.id, kind: upload.kind, fileName, mediaType, sizeBytes: upload.content.length, sha256 },
    });
    return { documentId: row.id };
  });
}

/**
 * A document's content, for the provider's own members (the caller passes the organisation the
 * person acts for): another organisation's document is unknown, whatever its id.
 */
export async function readDocument(ctx: AppContext, providerId: string, documentId: string) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu.test(documentId)) throw new DomainError('document_unknown');
  const document = await findDocumentContent(ctx.db, providerId, documentId);
  if (!document) throw new DomainError('document_unknown');
  return document;
}
