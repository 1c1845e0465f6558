import { mkdir } from 'node:fs/promises';
import lockfile from 'proper-lockfile';

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `Le dossier de données ${dataDir} est déjà utilisé par un autre processus passnum. ` +
        `Arrêtez-le d'abord (PGlite n'accepte qu'un seul processus par dossier).`,
    );
  }
}

/**
 * PGlite has no lock between processes: a second process opens the same directory without error
 * and its writes are silently lost. This lock (a lock directory refreshed every few seconds, stale
 * after 10 s when its owner died) makes the second process stop at once instead.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath: `${dataDir}/passnum.lock`,
      stale: 10_000,
      update: 2_000,
      realpath: false,
      onCompromised: (err) => {
        // Someone removed or took our lock: continuing would risk silent data loss.
        console.error(`Verrou du dossier de données perdu (${err.message}) : arrêt immédiat.`);
        process.exit(70);
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new DataDirLockedError(dataDir);
    throw error;
  }
}
