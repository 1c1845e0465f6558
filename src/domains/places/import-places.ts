import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { readStandardRecord, type StandardPlace } from './national-standard.js';

export interface ImportReport {
  importId: string;
  fileName: string;
  fileSha256: string;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Rows left out, with why. */
  rejections: { row: number; sourceId: string; reasons: string[] }[];
  /** Values dropped or corrected in rows that were kept. */
  corrections: { row: number; sourceId: string; field: string; reason: string }[];
}

/** Reads a file of the national standard: a JSON array of records, or a CSV with a header row. */
export function readStandardFile(fileName: string, content: Buffer): Record<string, unknown>[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content).replace(/^\uFEFF/, '');
  } catch {
    throw new DomainError('import_file_encoding');
  }
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith('[')) {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new DomainError('import_file_format');
      return parsed.map((record) => (record && typeof record === 'object' && !Array.isArray(record) ? (record as Record<string, unknown>) : {}));
    }
    if (fileName.toLowerCase().endsWith('.json')) throw new DomainError('import_file_format');
    return parseCsv(text, { columns: true, skip_empty_lines: true, relax_column_count: true, trim: true, delimiter: [',', ';'] }) as Record<string, string>[];
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('import_file_format');
  }
}

/** A fingerprint of a place as read: the same record imported again changes nothing. */
function fingerprint(place: StandardPlace): string {
  return createHash('sha256').update(JSON.stringify(place)).digest('hex');
}

function placeColumns(place: StandardPlace) {
  return {
    pivot: place.pivot,
    name: place.name,
    address: place.address,
    address_complement: place.addressComplement,
    postcode: place.postcode,
    commune: place.commune,
    insee_code: place.inseeCode,
    latitude: place.latitude,
    longitude: place.longitude,
    typologies: place.typologies,
    phones: place.phones,
    emails: place.emails,
    websites: place.websites,
    opening_hours: place.openingHours,
    summary: place.summary,
    details: place.details,
    itinerant: place.itinerant,
    parent_structure: place.parentStructure,
    source_updated_on: place.updatedOn,
    standard_services: place.services,
    publics: place.publics,
    specific_support: place.specificSupport,
    fees: place.fees,
    national_programmes: place.nationalProgrammes,
    trainings_labels: place.trainingsLabels,
    other_labels: place.otherLabels,
    access_modes: place.accessModes,
    support_modes: place.supportModes,
    accessibility_url: place.accessibilityUrl,
    booking_url: place.bookingUrl,
    source_accepts_pass: place.acceptsPass,
  };
}

/**
 * Imports a file of the national standard into draft places, not public, that a provider can
 * claim. Rows are matched on (source, id): a new row is inserted, a changed one updated unless a
 * provider has claimed the place (then the provider's version stands), an identical one left
 * alone, so that importing twice changes nothing. Bad rows are rejected with their reasons and
 * the rest is imported; the whole file lands in one transaction with its report.
 */
export async function importPlaces(ctx: AppContext, actor: Actor, input: { fileName: string; content: Buffer }): Promise<ImportReport> {
  const records = readStandardFile(input.fileName, input.content);
  const fileSha256 = createHash('sha256').update(input.content).digest('hex');
  const fallbackSource = input.fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '');
  const now = ctx.clock.now();
  const report: Omit<ImportReport, 'importId'> = {
    fileName: input.fileName.replace(/^.*[\\/]/, ''),
    fileSha256,
    imported: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    rejections: [],
    corrections: [],
  };
  const importId = await ctx.db.transaction().execute(async (trx) => {
    const seen = new Set<string>();
    for (const [index, record] of records.entries()) {
      const row = index + 1;
      const read = readStandardRecord(record, fallbackSource);
      if (!read.ok) {
        report.rejected++;
        report.rejections.push({ row, sourceId: read.sourceId, reasons: read.reasons });
        continue;
      }
      const { place, issues } = read;
      const key = `${place.source}\u0000${place.sourceId}`;
      if (seen.has(key)) {
        report.rejected++;
        report.rejections.push({ row, sourceId: place.sourceId, reasons: ['identifiant en double dans le fichier'] });
        continue;
      }
      seen.add(key);
      for (const issue of issues) report.corrections.push({ row, sourceId: place.sourceId, ...issue });
      const hash = fingerprint(place);
      const existing = await trx
        .selectFrom('places')
        .select(['id', 'import_hash', 'provider_id'])
        .where('source', '=', place.source)
        .where('source_id', '=', place.sourceId)
        .executeTakeFirst();
      if (!existing) {
        await trx
          .insertInto('places')
          .values({ source: place.source, source_id: place.sourceId, ...placeColumns(place), status: 'draft', import_hash: hash, created_at: now, updated_at: now })
          .execute();
        report.imported++;
      } else if (existing.import_hash === hash || existing.provider_id !== null) {
        report.unchanged++;
      } else {
        await trx.updateTable('places').set({ ...placeColumns(place), import_hash: hash, updated_at: now }).where('id', '=', existing.id).execute();
        report.updated++;
      }
    }
    const saved = await trx
      .insertInto('place_imports')
      .values({
        file_name: report.fileName,
        file_sha256: fileSha256,
        started_at: now,
        imported: report.imported,
        updated: report.updated,
        unchanged: report.unchanged,
        rejected: report.rejected,
        report: JSON.stringify({ rejections: report.rejections, corrections: report.corrections }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, {
      action: 'places.imported',
      subjectType: 'place_import',
      subjectId: saved.id,
      after: { fileName: report.fileName, imported: report.imported, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected },
    });
    return saved.id;
  });
  return { importId, ...report };
}
