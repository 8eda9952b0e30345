/**
 * Fault injection under load (`npm run test:faults`: 20 cycles; FAULT_CYCLES to change; the short
 * form is test/proofs/faults.e2e-spec.ts in `npm test`). Needs the built apps (npm run build).
 *
 * The bench's mixed HTTP workload (test/bench/http/workload.ts) runs against the api and worker
 * (test/proofs/proof-system.ts: SQLite, a restartable redis-server, an SMTP sink, a policy of
 * seconds). Each cycle lets the load run, injects one fault at a chosen moment, lets the load run
 * on after recovery, stops it, and checks (test/proofs/checks.ts): every 2xx command stored exactly
 * once, every due alert raised exactly once and emailed once, the read models equal a fresh rebuild.
 * FAULT_CONNECTIONS (4) sets the load's connections; the summary is written to FAULT_REPORT
 * (bench/results/faults-latest.md; empty: not written). The apps run with a JOB_LOCK_DURATION of
 * PROOF_JOB_LOCK_MS, so a killed worker's jobs run again within seconds. The faults, in turn:
 *   worker@timer-job         SIGKILL the worker in a timer job: its command decided (and stored), the job not completed
 *   api@after-append         SIGKILL the api between a command's append and its answer
 *   redis-restart            redis-server stopped and started again (empty: no persistence)
 *   worker@projection-batch  SIGKILL the worker with a projection batch built and not yet written
 *   api@mid-append           SIGKILL the api inside the SQLite transaction of an append (rows inserted, not committed)
 *   redis-flushall           FLUSHALL while everything runs
 * A moment is reached through a seam (FAULT_PAUSE_AT, libs/event-store/src/fault-seam.ts): the app is
 * started with the point named, armed by a file, prints FAULT_PAUSED and stops there; then it is
 * killed and started again. Clients that got no answer retry with the same Idempotency-Key.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Accepted } from './checks';
import { LoadDriver } from './driver';
import { describeProblems, MAIL_GRACE_MS, problemCount, PROOF_JOB_LOCK_MS, ProofSystem, type CheckReport } from './proof-system';

export const FAULT_KINDS = [
  'worker@timer-job',
  'api@after-append',
  'redis-restart',
  'worker@projection-batch',
  'api@mid-append',
  'redis-flushall',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultCycle {
  cycle: number;
  kind: FaultKind;
  /** False when the seam's moment did not come within the wait (the app was killed anyway). */
  momentReached: boolean;
  answered: number;
  accepted: number;
  retries: number;
  gaveUp: number;
  report: CheckReport;
  /** Problems first seen after this cycle's fault (the checks are cumulative: older ones are carried). */
  newProblems: string[];
  seconds: number;
}

export interface FaultRunOptions {
  cycles: number;
  /** The faults in turn (default FAULT_KINDS). */
  kinds?: readonly FaultKind[];
  connections?: number;
  /** Load before the fault, and after recovery, per cycle (ms). */
  loadBeforeMs?: number;
  loadAfterMs?: number;
  /** Before the final check, so every alert's email is due (default MAIL_GRACE_MS). */
  finalWaitMs?: number;
  log?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const appOf = (kind: FaultKind) => (kind.startsWith('api@') ? 'api' : kind.startsWith('worker@') ? 'worker' : null);
const pointOf = (kind: FaultKind) => kind.split('@')[1];

export async function runFaults(options: FaultRunOptions): Promise<{ cycles: FaultCycle[]; final: CheckReport }> {
  const log = options.log ?? (() => undefined);
  const kinds = options.kinds ?? FAULT_KINDS;
  const plan = Array.from({ length: options.cycles }, (_, i) => kinds[i % kinds.length]);
  /** The seam an app's next start names: that of the next cycle that kills it. */
  const nextPoint = (app: 'api' | 'worker', after: number) => {
    const kind = plan.slice(after).find((k) => appOf(k) === app);
    return kind ? pointOf(kind) : undefined;
  };
  const system = new ProofSystem(log);
  const cycles: FaultCycle[] = [];
  /** Every command accepted so far: a later fault must not lose an earlier one either. */
  const accepted: Accepted[] = [];
  const seen = new Set<string>();
  try {
    await system.start({ api: nextPoint('api', 0), worker: nextPoint('worker', 0) });
    await system.fillPool(10);
    for (let i = 0; i < plan.length; i++) {
      const kind = plan[i];
      const started = Date.now();
      const driver = new LoadDriver({
        baseUrl: system.baseUrl,
        calls: system.workload(options.connections ?? 4),
        onSubmitted: (id) => system.pool.length < 200 && system.pool.push(id),
      });
      driver.start();
      await sleep(options.loadBeforeMs ?? 1500);
      const momentReached = await inject(system, kind, nextPoint, i + 1, log);
      await sleep(options.loadAfterMs ?? 1500);
      await driver.stop();
      accepted.push(...driver.accepted);
      const report = await system.check(accepted);
      const all = [...report.problems.accepted, ...report.problems.alerts, ...report.problems.rebuild];
      const newProblems = all.filter((p) => !seen.has(p));
      all.forEach((p) => seen.add(p));
      const cycle: FaultCycle = {
        cycle: i + 1,
        kind,
        momentReached,
        answered: driver.answered,
        accepted: driver.accepted.length,
        retries: driver.retries,
        gaveUp: driver.gaveUp,
        report,
        newProblems,
        seconds: (Date.now() - started) / 1000,
      };
      cycles.push(cycle);
      if (newProblems.length) log(`cycle ${cycle.cycle} diagnosis:\n${await system.diagnose(report)}`);
      log(
        `cycle ${cycle.cycle} ${kind}${momentReached ? '' : ' (moment NOT reached)'}: ${cycle.answered} answers, ${cycle.accepted} accepted commands, ` +
          `${cycle.retries} retried, ${cycle.gaveUp} unanswered; store ${report.events} events, ${report.mails} mails` +
          `${report.repeats.length ? ` (${report.repeats.length} received again under their Message-ID)` : ''}, ${report.readModelKeys} read model keys; ` +
          `${problemCount(report) === 0 ? 'checks hold' : `CHECKS FAILED (${newProblems.length} new since the last cycle)\n${describeProblems(report)}`} (${cycle.seconds.toFixed(1)} s)`,
      );
    }
    // Last: long enough for every alert's email, the last cycles' included.
    await sleep(options.finalWaitMs ?? MAIL_GRACE_MS);
    const final = await system.check(accepted, { alertsWithinMs: 30_000 });
    log(
      `final check: ${problemCount(final) === 0 ? 'checks hold' : `CHECKS FAILED\n${describeProblems(final)}\n${await system.diagnose(final)}`}`,
    );
    return { cycles, final };
  } catch (error) {
    log(`api output:\n${system.api?.output().slice(-3000)}\nworker output:\n${system.worker?.output().slice(-3000)}`);
    throw error;
  } finally {
    await system.stop();
  }
}

/** Injects one fault and restores what it broke. True when the chosen moment was reached. */
async function inject(
  system: ProofSystem,
  kind: FaultKind,
  nextPoint: (app: 'api' | 'worker', after: number) => string | undefined,
  after: number,
  log: (m: string) => void,
): Promise<boolean> {
  const app = appOf(kind);
  if (app) {
    const proc = app === 'api' ? system.api : system.worker;
    const marker = `FAULT_PAUSED ${pointOf(kind)}`;
    writeFileSync(system.armFile(app), '');
    const deadline = Date.now() + 30_000;
    while (!proc.output().includes(marker) && Date.now() < deadline) await sleep(20);
    const reached = proc.output().includes(marker);
    if (!reached) log(`${kind}: the moment did not come within 30 s; killing anyway. Its output:\n${proc.output().slice(-4000)}`);
    await proc.kill();
    await sleep(300);
    await system.startApp(app, nextPoint(app, after));
    return reached;
  }
  if (kind === 'redis-restart') {
    await system.redisServer.stop();
    await sleep(500);
    await system.startRedis();
  } else {
    const Redis = (await import('ioredis')).default;
    const redis = new Redis(system.env.REDIS_URL);
    await redis.flushall();
    redis.disconnect();
  }
  return true;
}

if (require.main === module) {
  const cycles = Number(process.env.FAULT_CYCLES ?? 20);
  const t0 = Date.now();
  /** The cycles' lines, for the report. */
  const perCycle: string[] = [];
  const log = (m: string) => {
    const line = `[faults ${new Date().toISOString().slice(11, 19)}] ${m}`;
    console.log(line);
    if (/^(cycle \d+|final check)/.test(m)) perCycle.push(line);
  };
  const load = () =>
    loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  const loadAtStart = load();
  runFaults({ cycles, log, connections: Number(process.env.FAULT_CONNECTIONS ?? 4) }).then(
    ({ cycles: result, final }) => {
      const failed = result.filter((c) => problemCount(c.report) > 0);
      const missed = result.filter((c) => !c.momentReached);
      const lines = [
        `${result.length} cycles in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${result.length - failed.length} held every check, ${failed.length} failed` +
          (missed.length ? `; ${missed.length} killed without reaching the chosen moment` : ''),
      ];
      for (const kind of FAULT_KINDS) {
        const of = result.filter((c) => c.kind === kind);
        if (of.length)
          lines.push(
            `  ${kind.padEnd(24)} ${of.length} cycles, ${of.filter((c) => c.newProblems.length > 0).length} with new problems (${of.reduce((n, c) => n + c.newProblems.length, 0)} in all)`,
          );
      }
      lines.push(
        `  load: ${result.reduce((n, c) => n + c.answered, 0)} answers, ${result.reduce((n, c) => n + c.accepted, 0)} accepted commands, ` +
          `${result.reduce((n, c) => n + c.retries, 0)} retried, ${result.reduce((n, c) => n + c.gaveUp, 0)} never answered`,
        `  store: ${final.events} events; ${final.mails} emails received, ${final.repeats.length} of them again under their Message-ID (ADR 0019)`,
        `  final check (every email due by then): ${problemCount(final) === 0 ? 'holds' : `${problemCount(final)} problem(s)`}`,
        `  load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${load()}`,
      );
      if (final.repeats.length) lines.push(...final.repeats.map((r) => `    repeat: ${r}`));
      if (problemCount(final)) lines.push(describeProblems(final, 10));
      console.log(`\n${lines.join('\n')}`);
      const report = process.env.FAULT_REPORT ?? 'bench/results/faults-latest.md';
      if (report)
        writeFileSync(
          report,
          `# Faults under load (npm run test:faults)\n\n${new Date().toISOString()}, ${cycles} cycles, ${process.env.FAULT_CONNECTIONS ?? 4} connections, ` +
            `JOB_LOCK_DURATION ${PROOF_JOB_LOCK_MS} ms\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n\nPer cycle:\n\n\`\`\`\n${perCycle.join('\n')}\n\`\`\`\n`,
        );
      process.exit(failed.length || problemCount(final) ? 1 : 0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
