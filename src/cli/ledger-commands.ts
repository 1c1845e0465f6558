import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { DB } from '../db/schema.js';
import { assertExportPeriod, assertFecYear, exportEntriesCsv, exportFec, fecFileName } from '../domains/exports/fec.js';
import { sealLedger } from '../domains/ledger/seal-ledger.js';
import { verifyLedger, type LedgerProblem } from '../domains/ledger/verify-ledger.js';
import type { Runtime } from '../runtime.js';

/**
 * The ledger's commands: `verify-ledger` (exit code 0 when the ledger is sound, 1 otherwise),
 * `export-fec --year` and `export-entries --from --to`. Each command's work is a function taking
 * the context and where to print, so that tests run it in process; registerLedgerCommands only
 * wires them into the command line.
 */

export type Print = (line: string) => void;

const PROBLEM_TEXT: Record<LedgerProblem['problem'], string> = {
  hash: 'empreinte de la chaîne incorrecte : l’écriture ou ses lignes ont été modifiées après coup',
  unsealed: 'écriture restée hors de la chaîne d’empreintes (ajoutée après coup, ou jamais scellée)',
  account_line: 'rang des lignes du compte discontinu (une ligne a disparu ou a été ajoutée après coup)',
  unbalanced: 'écriture déséquilibrée (la somme de ses lignes n’est pas nulle)',
  balance_after: 'solde après ligne incorrect',
  account_balance: 'solde du compte différent de la somme de ses lignes',
  head: 'la tête de la chaîne ne correspond pas à la dernière écriture',
};

export function describeLedgerProblem(problem: LedgerProblem): string {
  const where = [problem.seq === undefined ? '' : `écriture n° ${problem.seq}`, problem.account === undefined ? '' : `compte ${problem.account}`]
    .filter(Boolean)
    .join(', ');
  return `${where ? `${where} : ` : ''}${PROBLEM_TEXT[problem.problem]}`;
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;

/** Checks the whole ledger; returns the exit code: 0 when nothing is wrong, 1 otherwise. */
export async function verifyLedgerCommand(db: Kysely<DB>, print: Print, progress?: (seq: number, last: number) => void): Promise<number> {
  // Seal what is old enough first: the chain then covers everything that can be covered.
  await sealLedger(db, new Date());
  const check = await verifyLedger(db, new Date(), progress);
  print(
    `Grand livre : ${count(check.entries, 'écriture', 'écritures')}, ${count(check.postings, 'ligne', 'lignes')}, ` +
      `${count(check.sealed, 'écriture scellée', 'écritures scellées')}, ${count(check.pending, 'trop récente pour être scellée', 'trop récentes pour être scellées')}.`,
  );
  if (check.problems.length === 0) {
    print('Aucun problème : chaîne d’empreintes intacte, écritures équilibrées, soldes justes.');
    return 0;
  }
  print(`${count(check.problems.length, 'problème trouvé', 'problèmes trouvés')} :`);
  for (const problem of check.problems) print(`  - ${describeLedgerProblem(problem)}`);
  return 1;
}

/**
 * Writes to a file through a temporary name renamed at the end: an interrupted export never
 * leaves a truncated file under the final name.
 */
async function toFile<T>(file: string, work: (out: Writable) => Promise<T>): Promise<T> {
  const partial = `${file}.partiel`;
  const out = createWriteStream(partial, { flags: 'w' });
  try {
    const result = await work(out);
    out.end();
    await finished(out);
    await rename(partial, file);
    return result;
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}

const euros = (cents: number) => `${(cents / 100).toLocaleString('fr-FR', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} €`;

/** `--out` may name the file or a directory to write it in under its legal name; default: here. */
export async function fecTarget(out: string | undefined, fileName: string): Promise<string> {
  if (!out) return path.resolve(fileName);
  const isDirectory = await stat(out).then((s) => s.isDirectory(), () => false);
  return isDirectory ? path.resolve(out, fileName) : path.resolve(out);
}

export function parseYear(text: string): number {
  const year = /^\d{4}$/u.test(text) ? Number(text) : Number.NaN;
  assertFecYear(year);
  return year;
}

/** Writes the FEC of a year; returns the path written. */
export async function exportFecCommand(ctx: Pick<AppContext, 'db' | 'config'>, options: { year: string; out?: string | undefined }, print: Print): Promise<string> {
  const year = parseYear(options.year);
  const file = await fecTarget(options.out, fecFileName(ctx.config.platform.siret, year));
  const summary = await toFile(file, (out) => exportFec(ctx.db, { year, siret: ctx.config.platform.siret }, out));
  print(`FEC ${year} écrit dans ${file}`);
  print(`${count(summary.entries, 'écriture', 'écritures')}, ${count(summary.lines, 'ligne', 'lignes')} ; total débit ${euros(summary.debitCents)}, total crédit ${euros(summary.creditCents)}.`);
  return file;
}

/** Writes the entries of a period as CSV, to a file or to `stdout`. */
export async function exportEntriesCommand(
  ctx: Pick<AppContext, 'db'>,
  options: { from: string; to: string; out?: string | undefined },
  print: Print,
  stdout: Writable = process.stdout,
): Promise<void> {
  const summary = options.out
    ? await toFile(path.resolve(options.out), (out) => exportEntriesCsv(ctx.db, options.from, options.to, out))
    : await exportEntriesCsv(ctx.db, options.from, options.to, stdout);
  print(
    `Écritures du ${options.from} au ${options.to} : ${count(summary.entries, 'écriture', 'écritures')}, ${count(summary.lines, 'ligne', 'lignes')}${options.out ? `, écrites dans ${path.resolve(options.out)}` : ''}.`,
  );
}

type WithRuntime = (work: (runtime: Runtime) => Promise<void>) => Promise<void>;

export function registerLedgerCommands(program: Command, withRuntime: WithRuntime): void {
  program
    .command('verify-ledger')
    .description('vérifier le grand livre : chaîne d’empreintes, numéros continus, écritures équilibrées, soldes (code de sortie 1 si un problème est trouvé)')
    .action(() =>
      withRuntime(async ({ ctx }) => {
        const progress = process.stderr.isTTY ? (seq: number, last: number) => process.stderr.write(`\rVérification : ${seq} / ${last}`) : undefined;
        const code = await verifyLedgerCommand(ctx.db, (line) => console.log(line), progress);
        if (progress) process.stderr.write('\n');
        process.exitCode = code;
      }),
    );

  program
    .command('export-fec')
    .description('écrire le fichier des écritures comptables (FEC) d’une année')
    .requiredOption('--year <AAAA>', 'l’exercice (année civile)')
    .option('--out <fichier>', 'fichier ou dossier où écrire (par défaut <SIREN>FEC<AAAA>1231.txt ici)')
    .action((options: { year: string; out?: string }) => {
      parseYear(options.year); // a wrong year fails before the database is opened
      return withRuntime(async ({ ctx }) => {
        await exportFecCommand(ctx, options, (line) => console.log(line));
      });
    });

  program
    .command('export-entries')
    .description('écrire en CSV les écritures d’une période (dates de comptabilisation incluses)')
    .requiredOption('--from <AAAA-MM-JJ>', 'premier jour')
    .requiredOption('--to <AAAA-MM-JJ>', 'dernier jour')
    .option('--out <fichier>', 'fichier à écrire (sinon la sortie standard)')
    .action((options: { from: string; to: string; out?: string }) => {
      assertExportPeriod(options.from, options.to);
      return withRuntime(async ({ ctx }) => {
        // The summary goes to standard error when the CSV goes to standard output.
        await exportEntriesCommand(ctx, options, (line) => (options.out ? console.log(line) : console.error(line)));
      });
    });
}
