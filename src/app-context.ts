import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { DB } from './db/schema.js';
import type { Clock } from './lib/clock.js';
import type { Mailer } from './mail/mailer.js';

/** Where use cases report what goes wrong after the answer (a mail not sent); pino in production. */
export interface Log {
  error(details: object, message: string): void;
}

/** What the use cases need from the outside world; the server, the CLI and the tests each build one. */
export interface AppContext {
  db: Kysely<DB>;
  clock: Clock;
  mailer: Mailer;
  config: Config;
  log: Log;
}
