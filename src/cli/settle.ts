import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { AppContext } from '../app-context.js';
import { SYSTEM_ACTOR } from '../domains/actor.js';
import { formatEuros } from '../domains/places/catalogue.js';
import { settleMonth, type SettlementStage } from '../domains/settlement/settle-month.js';
import { parseSettlementMonth } from '../domains/settlement/settlement-calendar.js';
import { listPayoutsOfMonth, loadBatchFile, type SettlementSummary } from '../domains/settlement/settlement-views.js';
import { loadStatement } from '../domains/settlement/statements.js';
import { renderStatement } from '../print/statement.js';
import type { Runtime } from '../runtime.js';

/**
 * `npx passnum settle --month YYYY-MM [--out DIR]`: the monthly counter-payment from the command
 * line, with a progress bar on stderr. Settles the month (nothing is redone when it is settled
 * already), then with --out writes DIR/<month>/virements-<month>.xml (the SEPA file, as stored) and
 * DIR/<month>/releves/<statement number>.pdf for every payout of the month. The work is
 * settleCommand, which tests run in process; registerSettleCommand wires it into commander.
 */

export type Print = (line: string) => void;

/** What the bar draws on: process.stderr, or a test's stream. */
export interface BarStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

const STAGE_LABELS: Record<SettlementStage | 'statements', string> = {
  collect: 'Lecture des scans',
  integrity: 'Contrôle d’intégrité',
  subscriptions: 'Abonnements',
  payouts: 'Virements',
  ledger: 'Écritures comptables',
  bank_file: 'Fichier SEPA',
  done: 'Terminé',
  statements: 'Relevés PDF',
};

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

/**
 * A progress bar drawn by hand: on a terminal, one line redrawn in place (at most every 100 ms, and
 * at each change of stage); elsewhere (a log, a pipe), one line per finished stage.
 */
export function createProgressBar(stream: BarStream, now: () => number = Date.now) {
  let stage: string | undefined;
  let last = { done: 0, total: 0 };
  let drawnAt = 0;
  let open = false;

  const render = (label: string, done: number, total: number) => {
    const ratio = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(ratio * BAR_WIDTH);
    const counts = total > 1 ? ` ${done.toLocaleString('fr-FR')}/${total.toLocaleString('fr-FR')}` : '';
    return `${label.padEnd(22)} [${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)} %${counts}`;
  };
  /** A stage followed by another is complete; the last one shows where it stopped. */
  const finishStage = (complete: boolean) => {
    if (stage === undefined) return;
    const line = render(stage, complete ? Math.max(last.done, last.total) : last.done, last.total);
    stream.write(stream.isTTY ? `\r${line}\n` : `${line}\n`);
    open = false;
  };

  return {
    update(label: string, done: number, total: number) {
      if (label !== stage) {
        finishStage(true);
        stage = label;
        drawnAt = Number.NEGATIVE_INFINITY;
      }
      last = { done, total };
      if (!stream.isTTY) return;
      const t = now();
      if (t - drawnAt < REDRAW_MS && done < total) return;
      drawnAt = t;
      stream.write(`\r${render(label, done, total)}`);
      open = true;
    },
    /** Ends the last stage's line. */
    finish() {
      finishStage(false);
      stage = undefined;
      if (open) stream.write('\n');
    },
  };
}

export interface SettleCommandResult {
  settlement: SettlementSummary;
  created: boolean;
  files: string[];
}

export async function settleCommand(
  ctx: AppContext,
  options: { month: string; out?: string | undefined },
  io: { print: Print; bar: BarStream },
): Promise<SettleCommandResult> {
  const { month } = parseSettlementMonth(options.month);
  const bar = createProgressBar(io.bar);
  let result: Awaited<ReturnType<typeof settleMonth>>;
  try {
    result = await settleMonth(ctx, SYSTEM_ACTOR, { month, onProgress: (done, total, stage) => bar.update(STAGE_LABELS[stage], done, total) });
  } finally {
    bar.finish();
  }
  const { settlement, created } = result;
  io.print(
    created
      ? `Règlement de ${month} : ${settlement.redemptions.toLocaleString('fr-FR')} services payés, ${describePayouts(settlement)}.`
      : `Le mois ${month} était déjà réglé (le ${settlement.completedAt?.toISOString() ?? '?'}) : rien n’a été refait.`,
  );
  io.print(
    `Brut ${formatEuros(settlement.grossCents)}, frais ${formatEuros(settlement.platformFeeCents + settlement.fundFeeCents)} (dont fonds territorial ${formatEuros(settlement.fundFeeCents)}), abonnements déduits ${formatEuros(settlement.subscriptionCents)}, net ${formatEuros(settlement.netCents)}.`,
  );
  const files: string[] = [];
  if (options.out) {
    const dir = path.resolve(options.out, month);
    await mkdir(path.join(dir, 'releves'), { recursive: true });
    for (const batch of settlement.batches) {
      const file = await loadBatchFile(ctx.db, batch.id);
      const target = path.join(dir, file.fileName);
      await writeAtomically(target, file.xml);
      files.push(target);
      io.print(`Fichier de virements : ${target} (${batch.transactions} virements, ${formatEuros(batch.controlSumCents)}, exécution demandée le ${batch.requestedOn}).`);
    }
    const payouts = await listPayoutsOfMonth(ctx.db, month);
    for (const [index, payout] of payouts.entries()) {
      const pdf = await renderStatement(await loadStatement(ctx, payout.id));
      const target = path.join(dir, 'releves', `${payout.statementNumber}.pdf`);
      await writeAtomically(target, pdf);
      files.push(target);
      bar.update(STAGE_LABELS.statements, index + 1, payouts.length);
    }
    bar.finish();
    io.print(`Relevés : ${payouts.length} fichier${payouts.length > 1 ? 's' : ''} PDF dans ${path.join(dir, 'releves')}.`);
  }
  return { settlement, created, files };
}

function describePayouts(settlement: SettlementSummary): string {
  const s = settlement.payoutsByStatus;
  const parts = [`${settlement.payouts} virement${settlement.payouts > 1 ? 's' : ''}`];
  const details = [
    s.file_generated ? `${s.file_generated} dans le fichier SEPA` : '',
    s.pending ? `${s.pending} en attente d’IBAN` : '',
    s.nothing_to_pay ? `${s.nothing_to_pay} sans rien à verser` : '',
  ].filter(Boolean);
  return details.length ? `${parts[0]} (${details.join(', ')})` : parts[0]!;
}

/** Through a temporary name renamed at the end: an interrupted run never leaves a truncated file. */
async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  const partial = `${file}.partiel`;
  await writeFile(partial, content);
  await rename(partial, file);
}

type WithRuntime = (work: (runtime: Runtime) => Promise<void>) => Promise<void>;

export function registerSettleCommand(program: Command, withRuntime: WithRuntime): void {
  program
    .command('settle')
    .description('régler un mois : virements aux lieux, fichier SEPA et relevés (sans effet si le mois est déjà réglé)')
    .requiredOption('--month <AAAA-MM>', 'le mois des services à payer')
    .option('--out <dossier>', 'dossier où écrire <mois>/virements-<mois>.xml et <mois>/releves/*.pdf')
    .action((options: { month: string; out?: string }) => {
      parseSettlementMonth(options.month); // a wrong month fails before the database is opened
      return withRuntime(async ({ ctx }) => {
        await settleCommand(ctx, options, { print: (line) => console.log(line), bar: process.stderr });
      });
    });
}
