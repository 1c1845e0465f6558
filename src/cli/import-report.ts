import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImportReport } from '../domains/places/import-places.js';

/** Saves the full report (every rejection and correction) as JSON below the data directory. */
export async function saveImportReport(dataDir: string, report: ImportReport): Promise<string> {
  const dir = path.join(dataDir, 'imports');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${report.fileName}.report.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** The summary printed after each file: counts, then each rejection, then corrections by kind. */
export function formatImportReport(report: ImportReport, savedTo: string): string {
  const lines = [
    `${report.fileName} : ${report.imported} importé(s), ${report.updated} mis à jour, ${report.unchanged} inchangé(s), ${report.rejected} rejeté(s).`,
  ];
  for (const r of report.rejections) lines.push(`  rejeté, ligne ${r.row} (id « ${r.sourceId} ») : ${r.reasons.join(', ')}`);
  const byField = new Map<string, number>();
  for (const c of report.corrections) byField.set(c.field, (byField.get(c.field) ?? 0) + 1);
  if (byField.size) lines.push(`  valeurs écartées : ${[...byField].map(([field, n]) => `${field} × ${n}`).join(', ')}`);
  lines.push(`  rapport complet : ${savedTo}`);
  return lines.join('\n');
}
