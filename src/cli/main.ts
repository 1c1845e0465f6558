import { createInterface } from 'node:readline/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { readConfig } from '../config.js';
import { refreshStatistics } from '../db/client.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { migrate } from '../db/migrate.js';
import { createOperator } from '../domains/accounts/organisations.js';
import { SYSTEM_ACTOR } from '../domains/actor.js';
import { placesToCsv, placesToJson } from '../domains/places/export-places.js';
import { importPlaces } from '../domains/places/import-places.js';
import { ensureReferentialPublished, publishReferential, referentialInput } from '../domains/referential/publish-referential.js';
import '../lib/zod-french.js';
import { formatImportReport, saveImportReport } from './import-report.js';
import { DomainError } from '../domains/errors.js';
import { errorEntry } from '../http/error-table.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { startServer } from '../server.js';
import { formatDemoLogins, isDatabaseEmpty, loadDemoWorld } from './demo-world.js';
import { registerLedgerCommands } from './ledger-commands.js';
import { registerSettleCommand } from './settle.js';

/** The command line: the same use cases and database code as the server, not a second implementation. */
const program = new Command('passnum')
  .description('passnum, la plateforme du pass numérique')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

async function withRuntime(work: (runtime: Runtime) => Promise<void>, options: { migrate?: boolean } = {}) {
  const runtime = await openRuntime(readConfig(), options);
  try {
    await work(runtime);
  } finally {
    await runtime.close();
  }
}

program
  .command('serve')
  .description('servir l’application (ce que lance npm start)')
  .action(() => startServer(readConfig()));

program
  .command('migrate')
  .description('appliquer les migrations de la base en attente')
  .action(() =>
    withRuntime(
      async ({ database, ctx }) => {
        const applied = await migrate(database);
        await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
        console.log(applied.length ? `Migrations appliquées : ${applied.join(', ')}` : 'La base est à jour.');
      },
      { migrate: false },
    ),
  );

program
  .command('demo')
  .description('charger le monde de démonstration (base vide uniquement)')
  .action(() =>
    withRuntime(async ({ ctx }) => {
      if (!(await isDatabaseEmpty(ctx))) {
        console.error('La base contient déjà des organisations : le monde de démonstration ne se charge que dans une base vide.');
        process.exitCode = 1;
        return;
      }
      console.log(formatDemoLogins(await loadDemoWorld(ctx), ctx.config.publicUrl));
    }),
  );

program
  .command('create-operator')
  .description('créer un compte administrateur de la plateforme (mot de passe lu sur l’entrée standard)')
  .requiredOption('--email <email>', 'adresse e-mail')
  .requiredOption('--name <nom>', 'nom affiché')
  .action((options: { email: string; name: string }) =>
    withRuntime(async ({ ctx }) => {
      const password = await readPassword();
      const result = await createOperator(ctx, { email: options.email, displayName: options.name, password });
      console.log(
        result.created
          ? `Compte opérateur créé pour ${options.email}.`
          : `${options.email} avait déjà un compte : il est maintenant administrateur de l’opérateur.`,
      );
    }),
  );

program
  .command('import-places')
  .description('importer des lieux au standard national (JSON ou CSV, v0.1 ou v1) en brouillons ; rapport affiché et enregistré')
  .argument('<fichiers...>', 'fichiers à importer')
  .action((files: string[]) =>
    withRuntime(async ({ ctx, database }) => {
      for (const file of files) {
        const report = await importPlaces(ctx, SYSTEM_ACTOR, { fileName: file, content: await readFile(file) });
        const saved = await saveImportReport(ctx.config.dataDir, report);
        console.log(formatImportReport(report, saved));
      }
      await refreshStatistics(database);
    }),
  );

program
  .command('publish-referential')
  .description('publier une nouvelle version du référentiel des services (fichier JSON : title, notes, services)')
  .argument('<fichier>', 'le référentiel au format JSON (voir GET /api/v1/referential)')
  .action((file: string) =>
    withRuntime(async ({ ctx }) => {
      const parsed = referentialInput.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (!parsed.success) {
        console.error(`Référentiel invalide :\n${parsed.error.issues.map((i) => `  ${i.path.join('.')} : ${i.message}`).join('\n')}`);
        process.exitCode = 1;
        return;
      }
      const version = await publishReferential(ctx, SYSTEM_ACTOR, parsed.data);
      console.log(`Version ${version} du référentiel publiée (${parsed.data.services.length} services).`);
    }),
  );

program
  .command('export-places')
  .description('écrire les lieux publics au standard national v1.0.2')
  .addOption(new Option('--format <format>', 'format').choices(['csv', 'json']).default('csv'))
  .option('--extended', 'CSV : ajouter la colonne pass_numerique (extension du standard)', false)
  .option('--out <fichier>', 'fichier à écrire (sinon la sortie standard)')
  .action((options: { format: 'csv' | 'json'; extended: boolean; out?: string }) =>
    withRuntime(async ({ ctx }) => {
      const content = options.format === 'json' ? await placesToJson(ctx.db) : await placesToCsv(ctx.db, { extended: options.extended });
      if (options.out) await writeFile(options.out, content);
      else process.stdout.write(content);
    }),
  );

registerLedgerCommands(program, withRuntime);
registerSettleCommand(program, withRuntime);

/** From a pipe (`echo … | npx passnum create-operator`) or typed at a prompt; never from argv. */
async function readPassword(): Promise<string> {
  if (process.env.PASSNUM_PASSWORD) return process.env.PASSNUM_PASSWORD;
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stdout : undefined, terminal: false });
  if (process.stdin.isTTY) process.stdout.write('Mot de passe (au moins 12 caractères) : ');
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof DataDirLockedError) {
    console.error(error.message);
    process.exit(75);
  }
  if (error instanceof DomainError) {
    console.error(errorEntry(error.code).message);
    process.exit(1);
  }
  throw error;
}
