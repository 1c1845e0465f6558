import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, run, serve } from '../support/cli.js';

describe('embedded database (PGlite)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-cli-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts with the demo world, refuses a second process on the same directory, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = { PASSNUM_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '' };
    const server = await serve(env);
    expect(server.output()).toContain('operateur@demo.passnum.fr');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });

    const second = await run(['serve'], { ...env, PORT: String(await freePort()) });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain('déjà utilisé par un autre processus passnum');

    expect(server.output()).toMatch(/Deux mois déjà réglés \([a-zéû]+ \d{4} et [a-zéû]+ \d{4}\)/u);
    expect(server.output()).not.toMatch(/error|erreur/iu);

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);

    // Started again on the same directory: the demo world is there already, nothing is loaded twice.
    const again = await serve(env);
    expect(again.output()).not.toContain('Monde de démonstration chargé');
    expect(again.output()).not.toMatch(/error|erreur/iu);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const lieux = await fetch(`http://127.0.0.1:${port}/lieux?q=33000`);
    expect(lieux.status).toBe(200);
    expect(await lieux.text()).toContain('Les Clés du numérique');
    again.child.kill('SIGTERM');
    expect(await again.exit).toBe(0);

    // The lock is released: the command line opens the same directory, with the same code.
    const operator = await run(['create-operator', '--email', 'Admin@Plateforme.fr', '--name', 'Admin'], { ...env, PASSNUM_PASSWORD: '' }, 'une phrase assez longue\n');
    expect(operator.stderr).toBe('');
    expect(operator.stdout).toContain('Compte opérateur créé pour Admin@Plateforme.fr');
    const weak = await run(['create-operator', '--email', 'b@plateforme.fr', '--name', 'B'], { ...env, PASSNUM_PASSWORD: '' }, 'court\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('au moins 12 caractères');
    const demo = await run(['demo'], env);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('base vide');
    const migrate = await run(['migrate'], env);
    expect(migrate.stdout).toContain('La base est à jour.');
  }, 300_000);

  it('starts empty with PASSNUM_DEMO=0', async () => {
    const emptyDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-cli-empty-'));
    const server = await serve({ PASSNUM_DATA_DIR: emptyDir, PORT: String(await freePort()), HOST: '127.0.0.1', PASSNUM_DEMO: '0', DATABASE_URL: '' });
    expect(server.output()).not.toContain('demo.passnum.fr');
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    await rm(emptyDir, { recursive: true, force: true });
  }, 120_000);
});

