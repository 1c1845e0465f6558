import { DEMO_PASSWORD, loadDemoWorld, type DemoWorld } from '../../src/cli/demo-world.js';
import { startServer, type RunningServer } from './server.js';

/**
 * The application with the demo world of `npm start` (src/cli/demo-world.ts), loaded through the
 * same function: the journeys that use it prove the demo too.
 */

export { DEMO_PASSWORD };

export const DEMO_ACCOUNTS = {
  operator: 'operateur@demo.passnum.fr',
  funder: 'financeur@demo.passnum.fr',
  distributor: 'distributeur@demo.passnum.fr',
  provider: 'lieu@demo.passnum.fr',
  mediator: 'mediatrice@demo.passnum.fr',
} as const;

export async function startDemoServer(): Promise<{ server: RunningServer; world: DemoWorld }> {
  let world: DemoWorld | undefined;
  const server = await startServer({
    seed: async (ctx) => {
      world = await loadDemoWorld(ctx);
    },
  });
  return { server, world: world! };
}
