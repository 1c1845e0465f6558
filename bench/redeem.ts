import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { readConfig, type Config } from '../src/config.js';
import { createApiToken } from '../src/domains/accounts/api-tokens.js';
import { insertOrganisation } from '../src/domains/accounts/repository.js';
import type { Actor } from '../src/domains/actor.js';
import { saveCatalogueEntry } from '../src/domains/places/catalogue.js';
import { createPlace } from '../src/domains/places/manage-places.js';
import { unsealVoucherCode, voucherKeys } from '../src/domains/vouchers/codes.js';
import { issueOrder } from '../src/domains/vouchers/issue-vouchers.js';
import { orderForm } from '../src/domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../src/domains/vouchers/orders.js';
import { parisDay } from '../src/lib/paris-dates.js';
import { openRuntime } from '../src/runtime.js';

/**
 * `npm run bench -- redeem`: POST /api/v1/redemptions under load, as a place's software would send
 * it, every request with a fresh voucher and a fresh Idempotency-Key (all must answer 201).
 *
 * The server is the real one (`bin/passnum.js serve`, LOG_LEVEL=warn) in its own process, so that
 * the load generator (autocannon, here) does not share its event loop. It runs on a scratch
 * PostgreSQL database (BENCH_POSTGRES_URL, else DATABASE_URL, else postgres://127.0.0.1:5432/postgres
 * names the server; the database is created, migrated, seeded, then dropped), then on embedded
 * PGlite in a temporary data directory. The seed, as a département on a busy day: PROVIDERS
 * qualified providers, each with its places offering M01 and its own API token with
 * `redemptions:write`, and ORDERS funders' orders valid in Gironde, active on issue; requests go
 * round-robin over the places, and the vouchers are drawn alternately from the orders.
 *
 * The machine's baseline, in the same run and on the same PostgreSQL server: pgbench TPC-B
 * (`-i -s 10`, then `-c 8 -j 2 -T 20`) on another scratch database. Target: redemptions/s ÷ tps
 * ≥ 0.5 and p99 ≤ 50 ms. On Linux it also prints the CPU spent per redemption (server process and
 * its PostgreSQL backends) and per TPC-B transaction (pgbench and its backends): on a shared
 * machine, throughput follows whatever else runs (the load average is printed), CPU per
 * transaction much less.
 */

const PROVIDERS = 25;
const PLACES = 2;
const ORDERS = 10;
// Long enough for V8 to have optimised the request path, as on a server in service: after 3 s its
// compiler threads still took a fifth of the server's CPU during the measure (perf, --trace-opt).
const WARM_UP_SECONDS = 10;
const WARM_UP_AFTER_ANALYZE_SECONDS = 3;
const SECONDS = 20;
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;
const ENGINES = {
  postgres: { connections: 50, vouchers: 300_000 },
  // PGlite serialises every transaction on its one connection: more connections only queue.
  pglite: { connections: 10, vouchers: 20_000 },
};

// ---------------------------------------------------------------------------------------------
// autocannon ships no types: the little of its API used here.

interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  timeout?: number;
  requests: (Partial<CannonRequest> & { setupRequest?: (request: CannonRequest) => CannonRequest })[];
}
interface CannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
}
interface CannonInstance extends PromiseLike<CannonResult> {
  stop(): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: CannonOptions) => CannonInstance;

// ---------------------------------------------------------------------------------------------

interface Seeded {
  targets: { placeId: string; token: string }[];
  codes: string[];
  tokenIds: string[];
}

/** A qualified provider, its places and catalogue, an issued order and an API token. */
async function seed(config: Config, vouchers: number): Promise<Seeded> {
  const runtime = await openRuntime(config);
  const { ctx } = runtime;
  try {
    const now = ctx.clock.now();
    const targets: { placeId: string; token: string }[] = [];
    const tokenIds: string[] = [];
    for (let p = 0; p < PROVIDERS; p++) {
      const provider = await insertOrganisation(ctx.db, { kind: 'provider', name: `Structure du banc d’essai ${p + 1}` });
      await ctx.db
        .insertInto('providers')
        .values({
          organisation_id: provider.id,
          legal_form: 'association',
          siret: '35600000000048',
          rna: null,
          address: '1 place de la Mairie',
          postcode: '33000',
          insee_code: '33063',
          commune: 'Bordeaux',
          status: 'qualified',
          created_at: now,
          updated_at: now,
        })
        .execute();
      const providerActor: Actor = { userId: null, organisationId: provider.id, apiTokenId: null };
      const { token, tokenId } = await createApiToken(ctx, providerActor, {
        organisationId: provider.id,
        organisationKind: 'provider',
        name: 'Logiciel de caisse',
        scopes: ['redemptions:write'],
      });
      tokenIds.push(tokenId);
      for (let i = 0; i < PLACES; i++) {
        const place = await createPlace(ctx, providerActor, provider.id, {
          name: `Médiathèque ${p + 1}-${i + 1}`,
          address: `${i + 1} rue du Lac`,
          addressComplement: null,
          postcode: '33300',
          inseeCode: '33063',
          latitude: 44.8837 + p / 1000,
          longitude: -0.5665 + i / 1000,
          typologies: ['BIB'],
          openingHours: 'Mo-Fr 09:00-12:00,14:00-18:00',
          accessibilityUrl: null,
          specificSupport: [],
          phone: '05 56 00 00 00',
          email: 'contact@mediatheque.fr',
          website: null,
          itinerant: false,
        });
        for (const serviceCode of ['M01', 'M02', 'D01']) {
          await saveCatalogueEntry(ctx, providerActor, provider.id, place.id, {
            serviceCode,
            priceCents: 1000,
            durationMinutes: 60,
            format: 'individual',
            deliveryModes: ['on_site', 'remote'],
            parcours: null,
            active: true,
          });
        }
        targets.push({ placeId: place.id, token });
      }
    }

    const keys = voucherKeys(config);
    const perOrder: string[][] = [];
    for (let o = 0; o < ORDERS; o++) {
      const funder = await insertOrganisation(ctx.db, { kind: 'funder', name: `Financeur du banc d’essai ${o + 1}` });
      const funderActor: Actor = { userId: null, organisationId: funder.id, apiTokenId: null };
      const form = orderForm.parse({
        bookletCount: String(Math.ceil(vouchers / ORDERS / 10)),
        vouchersPerBooklet: '10',
        fundingMode: 'billed_on_use',
        territory: '33',
        activation: 'on_issue',
      });
      const draft = await saveDraftOrder(ctx, funderActor, funder.id, form);
      await confirmOrder(ctx, funderActor, funder.id, draft.id);
      await commitOrder(ctx, funderActor, { orderId: draft.id, reference: 'BENCH', by: { kind: 'funder', funderId: funder.id } });
      await issueOrder(ctx, funderActor, { orderId: draft.id, funderId: funder.id });
      const sealed = await ctx.db.selectFrom('vouchers').select('code_sealed').where('order_id', '=', draft.id).orderBy('id').execute();
      perOrder.push(sealed.map((row) => unsealVoucherCode(keys, row.code_sealed)));
    }
    // Alternately from each order: consecutive requests touch different orders' accounts.
    const codes: string[] = [];
    for (let i = 0; perOrder.some((list) => i < list.length); i++) for (const list of perOrder) if (i < list.length) codes.push(list[i]!);
    if (runtime.database.kind === 'postgres') {
      if (process.env.BENCH_EXPERIMENT) await runtime.database.execScript(process.env.BENCH_EXPERIMENT);
      await runtime.database.execScript('vacuum analyze');
    }
    return { targets, codes, tokenIds };
  } finally {
    await runtime.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `bin/passnum.js serve` with this environment, once it answers /healthz. */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  // To profile the server: BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'; to keep
  // its standard output (e.g. with --trace-opt --trace-deopt): BENCH_SERVER_STDOUT=/tmp/server.log.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const stdout = process.env.BENCH_SERVER_STDOUT ? openSync(process.env.BENCH_SERVER_STDOUT, 'w') : 'ignore';
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, new URL('../bin/passnum.js', import.meta.url).pathname, 'serve'], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', PASSNUM_DEMO: '0', PASSNUM_PUBLIC_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', stdout, 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server stopped at start-up (code ${child.exitCode})`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 600) {
      child.kill('SIGTERM');
      throw new Error('the server did not answer /healthz within a minute');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * CPU seconds (user + system) that processes spend during a measure, from /proc (Linux; undefined
 * elsewhere). Sampled while they run, since a backend's figures vanish with it. The throughput of
 * a shared machine depends on what else runs; the CPU spent per transaction much less so.
 */
function cpuMeter(pids: () => Promise<number[]>) {
  const baseline = new Map<number, number>();
  const latest = new Map<number, number>();
  let first = true;
  let busy: Promise<void> | undefined;
  let available = false;
  const sample = async () => {
    for (const pid of await pids()) {
      let ticks: number;
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Number(fields[11]) + Number(fields[12]);
      } catch {
        continue; // gone, or no /proc
      }
      if (!baseline.has(pid)) baseline.set(pid, first ? ticks : 0);
      latest.set(pid, ticks);
    }
  };
  const tick = () => {
    busy ??= sample().finally(() => (busy = undefined));
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    async start() {
      await sample();
      available = latest.size > 0;
      first = false;
      timer = setInterval(tick, 200);
    },
    /** Seconds of CPU since start, or undefined without /proc. */
    async stop(): Promise<number | undefined> {
      clearInterval(timer);
      await busy;
      await sample();
      if (!available) return undefined;
      let total = 0;
      for (const [pid, ticks] of latest) total += ticks - (baseline.get(pid) ?? 0);
      return total / 100; // USER_HZ
    },
  };
}

/**
 * The machine's CPU time from /proc/stat (Linux; undefined elsewhere): all of it, and the part
 * stolen, when the hypervisor ran another virtual machine on our processors. A run during which
 * the machine was shared is slower for reasons outside the code: the report says how much.
 */
async function machineTicks(): Promise<{ total: number; stolen: number } | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal (guest time is counted in user already)
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
    return { total: ticks.reduce((a, b) => a + b, 0), stolen: ticks[7]! };
  } catch {
    return undefined;
  }
}

/** The share of the machine's CPU time stolen between two readings of machineTicks(). */
function stolenShare(before: Awaited<ReturnType<typeof machineTicks>>, after: Awaited<ReturnType<typeof machineTicks>>): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return (after.stolen - before.stolen) / (after.total - before.total);
}

const stolenText = (share: number | undefined) => (share === undefined ? '' : `, temps volé par l’hyperviseur ${(share * 100).toFixed(1)} %`);

interface WalCounters {
  bytes: number;
  fullPageImages: number;
}

/**
 * The server's WAL written so far (pg_stat_wal, PostgreSQL 14 and later): bytes and full-page
 * images. After a checkpoint, the first change to each page logs the whole page, so the WAL per
 * transaction (and the CPU that goes with it) depends on when the last checkpoint was.
 */
async function walCounters(admin: pg.Client | undefined): Promise<WalCounters | undefined> {
  if (!admin) return undefined;
  const { rows } = await admin.query<{ wal_bytes: string; wal_fpi: string }>('select wal_bytes::text, wal_fpi::text from pg_stat_wal');
  return rows[0] ? { bytes: Number(rows[0].wal_bytes), fullPageImages: Number(rows[0].wal_fpi) } : undefined;
}

function walPer(before: WalCounters | undefined, after: WalCounters | undefined, count: number): WalCounters | undefined {
  if (!before || !after || count === 0) return undefined;
  return { bytes: (after.bytes - before.bytes) / count, fullPageImages: (after.fullPageImages - before.fullPageImages) / count };
}

const walText = (wal: WalCounters) =>
  `${(wal.bytes / 1024).toFixed(1)} kio de WAL dont ${wal.fullPageImages.toFixed(2)} pages entières`;

async function backendsOf(admin: pg.Client | undefined, database: string): Promise<number[]> {
  if (!admin) return [];
  const rows = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
  return rows.rows.map((r) => r.pid);
}

/** Drives the server with fresh vouchers, one per request, round-robin over the places. */
async function drive(url: string, seeded: Seeded, connections: number, seconds: number): Promise<CannonResult & { exhausted: boolean }> {
  const serviceDate = parisDay(new Date());
  let exhausted = false;
  const instance: CannonInstance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/redemptions',
        setupRequest: (request) => {
          const code = seeded.codes.pop();
          if (code === undefined && !exhausted) {
            exhausted = true;
            setImmediate(() => instance.stop());
          }
          const target = seeded.targets[seeded.codes.length % seeded.targets.length]!;
          return {
            ...request,
            headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify({ placeId: target.placeId, serviceCode: 'M01', serviceDate, deliveryMode: 'on_site', codes: [code ?? 'AAAAAAAAAAAAAAAA0'] }),
          };
        },
      },
    ],
  });
  const result = await instance;
  return { ...result, exhausted };
}

interface Measure {
  label: string;
  connections: number;
  perSecond: number;
  result: CannonResult;
  /** The vouchers ran out before the end: the answers after that were refusals, and the figures mean nothing. */
  exhausted: boolean;
  /** CPU seconds per redemption of the server process and of its PostgreSQL backends, and of the load generator (this process). */
  cpu: { node: number; database: number; driver: number } | undefined;
  /** WAL written per redemption (PostgreSQL). */
  wal: WalCounters | undefined;
  /** Share of the machine's CPU time stolen by the hypervisor during the measure. */
  stolen: number | undefined;
}

const ms = (seconds: number) => `${(seconds * 1000).toFixed(2)} ms`;
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

/**
 * Seeds, starts the server, warms it up, measures, stops it, then checks the database: one
 * redemption per 201 (plus those in flight when autocannon stopped, which it does not count) and no
 * refusal, so that the rate limits played no part.
 */
async function measureRedemptions(
  label: string,
  env: NodeJS.ProcessEnv,
  connections: number,
  vouchers: number,
  postgres?: { admin: pg.Client; database: string },
): Promise<Measure> {
  const config = readConfig(env);
  const started = performance.now();
  const seeded = await seed(config, vouchers);
  console.log(`${label} : ${PROVIDERS} structures, ${PROVIDERS * PLACES} lieux, ${ORDERS} commandes, ${seeded.codes.length} chèques émis et lus en ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const server = await startServer(env);
  let result: CannonResult & { exhausted: boolean };
  let warmedUp: number;
  let cpu: { node: number | undefined; total: number | undefined; driver: number };
  let walBefore: WalCounters | undefined;
  let walAfter: WalCounters | undefined;
  let stolen: number | undefined;
  try {
    const warm = async (seconds: number) => {
      const run = await drive(server.url, seeded, connections, seconds);
      if (run.non2xx > 0 || run.errors > 0) throw new Error(`warm-up: ${run.non2xx} non-2xx answers, ${run.errors} errors (${JSON.stringify(run.statusCodeStats)})`);
      return run['2xx'];
    };
    warmedUp = await warm(WARM_UP_SECONDS - WARM_UP_AFTER_ANALYZE_SECONDS);
    // Statistics as autovacuum keeps them on a database in service: the seed leaves redemptions,
    // entries and postings empty, and plans made for empty tables (the foreign-key checks' and the
    // triggers', cached by each connection) scan them whole once they have grown. ANALYZE
    // invalidates those plans: every connection plans its statements again on their next use, so
    // the warm-up goes on for a while after it (when the measure began right after it, its first
    // second had a p99 of 55-67 ms, against about 40 for the seconds after).
    if (env.DATABASE_URL) {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      await client.query('analyze').finally(() => client.end());
    }
    warmedUp += await warm(WARM_UP_AFTER_ANALYZE_SECONDS);
    const nodeCpu = cpuMeter(async () => [server.pid]);
    const allCpu = cpuMeter(async () => [server.pid, ...(await backendsOf(postgres?.admin, postgres?.database ?? ''))]);
    await Promise.all([nodeCpu.start(), allCpu.start()]);
    walBefore = await walCounters(postgres?.admin);
    console.log(`${label} : mesure pendant ${SECONDS} s, ${connections} connexions (charge de la machine avant : ${load()})`);
    const driverStart = process.cpuUsage();
    const machineBefore = await machineTicks();
    result = await drive(server.url, seeded, connections, SECONDS);
    stolen = stolenShare(machineBefore, await machineTicks());
    const driver = process.cpuUsage(driverStart);
    cpu = { node: await nodeCpu.stop(), total: await allCpu.stop(), driver: (driver.user + driver.system) / 1e6 };
    walAfter = await walCounters(postgres?.admin);
  } finally {
    await server.stop();
  }
  if (result.exhausted) console.log(`${label} : ATTENTION, chèques épuisés avant la fin : en émettre davantage (ENGINES)`);
  const runtime = await openRuntime({ ...config, logLevel: 'warn' }, { migrate: false });
  try {
    const counts = await runtime.ctx.db
      .selectNoFrom((eb) => [
        eb.selectFrom('redemptions').select(eb.fn.countAll<number>().as('n')).where('recorded_by_token', 'in', seeded.tokenIds).as('redemptions'),
        eb.selectFrom('redemption_refusals').select(eb.fn.countAll<number>().as('n')).as('refusals'),
      ])
      .executeTakeFirstOrThrow();
    const answered = warmedUp + result['2xx'];
    const inFlight = Number(counts.redemptions) - answered;
    // At most one request per connection in flight when each of autocannon's three runs stopped.
    const consistent = inFlight >= 0 && inFlight <= 3 * connections;
    console.log(
      `${label} : en base, ${counts.redemptions} encaissements du jeton pour ${answered} réponses 201 comptées (chauffe comprise ; ${inFlight} en vol à l’arrêt d’autocannon)${consistent ? '' : ' : ÉCART'}, ${counts.refusals} refus enregistrés`,
    );
  } finally {
    await runtime.close();
  }
  const count = result['2xx'];
  return {
    label,
    connections,
    perSecond: count / result.duration,
    result,
    exhausted: result.exhausted,
    cpu: cpu.node === undefined || cpu.total === undefined || count === 0 ? undefined : { node: cpu.node / count, database: postgres ? (cpu.total - cpu.node) / count : 0, driver: cpu.driver / count },
    wal: walPer(walBefore, walAfter, count),
    stolen,
  };
}

function report(measure: Measure): void {
  const r = measure.result;
  console.log(
    `${measure.label} : ${r['2xx']} encaissements (201) en ${r.duration.toFixed(1)} s avec ${measure.connections} connexions : ${measure.perSecond.toFixed(0)}/s — latence p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms — réponses non 2xx : ${r.non2xx}, erreurs : ${r.errors}, délais dépassés : ${r.timeouts}${stolenText(measure.stolen)}`,
  );
  if (r.non2xx > 0) console.log(`${measure.label} : statuts reçus ${JSON.stringify(r.statusCodeStats)}`);
  if (measure.cpu) {
    const { node, database, driver } = measure.cpu;
    console.log(
      `${measure.label} : CPU par encaissement : serveur Node ${ms(node)}${database > 0 ? `, PostgreSQL ${ms(database)}, total ${ms(node + database)}` : ' (base comprise)'} ; générateur de charge (autocannon) ${ms(driver)}`,
    );
  }
  if (measure.wal) console.log(`${measure.label} : par encaissement, ${walText(measure.wal)}`);
}

interface PgbenchResult {
  tps: number;
  /** WAL written per transaction. */
  wal: WalCounters | undefined;
  /** CPU seconds per transaction of pgbench and of its backends. */
  cpu: { client: number; database: number } | undefined;
  /** Share of the machine's CPU time stolen by the hypervisor during the run. */
  stolen: number | undefined;
}

function runPgbench(args: string[], env: NodeJS.ProcessEnv): { pid: number; done: Promise<string> } {
  const child = spawn('pgbench', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`pgbench ${args.join(' ')}: code ${code}\n${stderr}`))));
  });
  return { pid: child.pid ?? -1, done };
}

/** TPC-B on a scratch database of the same server: the machine's own measure of a small write transaction. */
async function pgbench(server: URL, admin: pg.Client): Promise<PgbenchResult> {
  const name = `passnum_bench_pgbench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const args = ['-h', server.hostname, '-p', server.port || '5432', ...(server.username ? ['-U', decodeURIComponent(server.username)] : [])];
  const env = { ...process.env, ...(server.password ? { PGPASSWORD: decodeURIComponent(server.password) } : {}) };
  try {
    await runPgbench([...args, '-i', '-s', '10', '-q', name], env).done;
    await admin.query('checkpoint').catch(() => undefined);
    console.log(`pgbench : -c 8 -j 2 -T ${SECONDS} (charge de la machine avant : ${load()})`);
    const run = runPgbench([...args, '-c', '8', '-j', '2', '-T', String(SECONDS), name], env);
    const clientCpu = cpuMeter(async () => [run.pid]);
    const allCpu = cpuMeter(async () => [run.pid, ...(await backendsOf(admin, name))]);
    await Promise.all([clientCpu.start(), allCpu.start()]);
    const walBefore = await walCounters(admin);
    const machineBefore = await machineTicks();
    const stdout = await run.done;
    const stolen = stolenShare(machineBefore, await machineTicks());
    const walAfter = await walCounters(admin);
    const [client, total] = [await clientCpu.stop(), await allCpu.stop()];
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
    if (!tps || !transactions) throw new Error(`pgbench: no tps in its output:\n${stdout}`);
    return { tps, stolen, wal: walPer(walBefore, walAfter, transactions), cpu: client === undefined || total === undefined ? undefined : { client: client / transactions, database: (total - client) / transactions } };
  } finally {
    await admin.query(`drop database if exists ${name}`);
  }
}

export async function main(): Promise<void> {
  const server = new URL(process.env.BENCH_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres');
  if (!server.username) server.username = process.env.PGUSER ?? os.userInfo().username;
  const secret = randomBytes(32).toString('base64');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-bench-redeem-'));
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  const name = `passnum_bench_redeem_${randomBytes(4).toString('hex')}`;
  try {
    // PostgreSQL: the app on a scratch database of the server, then pgbench on another one.
    await admin.query(`create database ${name}`);
    const scratch = new URL(server);
    scratch.pathname = `/${name}`;
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: scratch.toString(), PASSNUM_VOUCHER_SECRET: secret, PASSNUM_DATA_DIR: path.join(dir, 'postgres') };
    const postgres = await measureRedemptions('PostgreSQL', env, ENGINES.postgres.connections, ENGINES.postgres.vouchers, { admin, database: name });
    if (!process.env.BENCH_KEEP_DB) await admin.query(`drop database if exists ${name}`); else console.log(`PostgreSQL : base gardée, ${name}`);
    if (process.env.BENCH_REDEEM_QUICK) {
      // While working on the counter's speed: the PostgreSQL measure alone.
      report(postgres);
      return;
    }
    const tpcb = await pgbench(server, admin);

    // PGlite: the same server on an embedded data directory.
    const pgliteEnv: NodeJS.ProcessEnv = { ...process.env, PASSNUM_VOUCHER_SECRET: secret, PASSNUM_DATA_DIR: path.join(dir, 'pglite') };
    delete pgliteEnv.DATABASE_URL;
    const pglite = await measureRedemptions('PGlite', pgliteEnv, ENGINES.pglite.connections, ENGINES.pglite.vouchers);

    console.log('');
    report(postgres);
    console.log(`PostgreSQL : pgbench TPC-B (-s 10, -c 8 -j 2, ${SECONDS} s) sur le même serveur : ${tpcb.tps.toFixed(0)} tps${stolenText(tpcb.stolen)}`);
    if (tpcb.cpu) console.log(`PostgreSQL : CPU par transaction TPC-B : pgbench ${ms(tpcb.cpu.client)}, PostgreSQL ${ms(tpcb.cpu.database)}, total ${ms(tpcb.cpu.client + tpcb.cpu.database)}`);
    if (tpcb.wal) console.log(`PostgreSQL : par transaction TPC-B, ${walText(tpcb.wal)}`);
    const ratio = postgres.perSecond / tpcb.tps;
    const p99 = postgres.result.latency.p99;
    const verdict = (met: boolean) => (postgres.exhausted ? 'mesure invalide : chèques épuisés' : met ? 'atteint' : 'MANQUÉ');
    console.log(
      `PostgreSQL : rapport encaissements/s ÷ tps = ${ratio.toFixed(2)} (objectif ≥ ${TARGET_RATIO} ${verdict(ratio >= TARGET_RATIO)}), p99 ${p99} ms (objectif ≤ ${TARGET_P99_MS} ms ${verdict(p99 <= TARGET_P99_MS)})`,
    );
    if (tpcb.cpu && postgres.cpu) {
      const perTpcb = tpcb.cpu.client + tpcb.cpu.database;
      console.log(
        `PostgreSQL : rapport des coûts CPU (transaction TPC-B ÷ encaissement, client compris) = ${(perTpcb / (postgres.cpu.node + postgres.cpu.database)).toFixed(2)} ; base seule = ${(tpcb.cpu.database / postgres.cpu.database).toFixed(2)}`,
      );
    }
    report(pglite);
    console.log(`PGlite : rapport encaissements/s ÷ tps pgbench (PostgreSQL) = ${(pglite.perSecond / tpcb.tps).toFixed(2)}`);
    console.log(`Charge de la machine à la fin : ${load()} (${os.cpus().length} processeurs)`);
  } finally {
    if (!process.env.BENCH_KEEP_DB) await admin.query(`drop database if exists ${name}`).catch(() => undefined);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}
