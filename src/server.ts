import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { formatDemoLogins, isDatabaseEmpty, loadDemoWorld } from './cli/demo-world.js';
import { openRuntime } from './runtime.js';

/**
 * `npm start`: opens and migrates the database, loads the demo world on an empty embedded
 * database (unless PASSNUM_DEMO=0; never on PostgreSQL), serves, and shuts down gracefully on
 * SIGTERM/SIGINT: in-flight requests finish, then the database is closed and the lock released.
 */
export async function startServer(config: Config): Promise<void> {
  const runtime = await openRuntime(config);
  const { ctx } = runtime;
  if (!config.databaseUrl && config.demo && (await isDatabaseEmpty(ctx))) {
    process.stdout.write(formatDemoLogins(await loadDemoWorld(ctx), config.publicUrl));
  }
  const app = await buildApp(ctx);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'arrêt en cours : fin des requêtes en cours');
    try {
      await app.close();
      await runtime.close();
      app.log.info('arrêt propre terminé');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'arrêt en erreur');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  process.stdout.write(
    `passnum écoute sur ${config.publicUrl} (base : ${config.databaseUrl ? 'PostgreSQL' : `PGlite embarqué, ${config.dataDir}`})\n`,
  );
}
