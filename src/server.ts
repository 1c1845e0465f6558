import { secureCookies, type Config } from './config.js';
import { buildApp } from './http/app.js';
import { formatDemoLogins, isDatabaseEmpty, loadDemoWorld } from './cli/demo-world.js';
import { refreshStatistics } from './db/client.js';
import { openRuntime } from './runtime.js';
import { JOB_HANDLERS, recurringWork } from './jobs/handlers.js';
import { startJobWorker, type JobWorker } from './jobs/worker.js';

/**
 * `npm start`: opens and migrates the database, loads the demo world on an empty embedded
 * database (unless PASSNUM_DEMO=0; never on PostgreSQL), serves, and shuts down gracefully on
 * SIGTERM/SIGINT: in-flight requests finish, then the database is closed and the lock released.
 */
const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(config: Config): Promise<void> {
  const runtime = await openRuntime(config);
  const { ctx } = runtime;
  if (!config.databaseUrl && config.demo && (await isDatabaseEmpty(ctx))) {
    // The demo accounts' password is public: never on a site served over https, i.e. for real.
    if (secureCookies(config)) {
      process.stdout.write('Base vide : pas de monde de démonstration sur un site https. Créez un opérateur avec `npx passnum create-operator`.\n');
    } else {
      process.stdout.write(formatDemoLogins(await loadDemoWorld(ctx), config.publicUrl));
      await refreshStatistics(runtime.database);
    }
  }
  const app = await buildApp(ctx);
  let worker: JobWorker | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'arrêt en cours : fin des requêtes en cours');
    // In-flight requests get a grace period; a stuck one is cut so that the database closes anyway.
    const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      await app.close();
      clearTimeout(grace);
      await worker?.stop();
      await runtime.close();
      app.log.info('arrêt propre terminé');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'arrêt en erreur');
      process.exit(1);
    }
  };
  // `on`, not `once`: a second signal during shutdown must not kill the process before the
  // embedded database is closed (stop() ignores repeats).
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  // Scheduled work (the monthly settlement): src/jobs.
  worker = startJobWorker(ctx, { handlers: JOB_HANDLERS, everyRound: recurringWork, log: app.log });
  process.stdout.write(
    `passnum écoute sur ${config.publicUrl} (base : ${config.databaseUrl ? 'PostgreSQL' : `PGlite embarqué, ${config.dataDir}`})\n`,
  );
}
