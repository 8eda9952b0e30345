/**
 * Load with checks (`npm run test:load`; needs the built apps: npm run build). The mixed HTTP
 * workload of `npm run bench:http` (test/bench/http/workload.ts: attempts, GETs, submissions,
 * responses, the team queue, in the same shares) for LOAD_SECONDS (60) over LOAD_CONNECTIONS (16)
 * against the api and worker (test/proofs/proof-system.ts: SQLite, Redis, an SMTP sink, a policy of
 * seconds so deadlines, escalations and their emails happen all through the run), then the checks
 * of test/proofs/checks.ts: every 2xx command stored exactly once, every due alert raised once and
 * emailed once, the read models equal a fresh rebuild. Prints a summary; exits 1 when a check fails.
 */
import { LoadDriver } from './driver';
import { describeProblems, problemCount, ProofSystem } from './proof-system';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 16);
const log = (m: string) => console.log(`[load ${new Date().toISOString().slice(11, 19)}] ${m}`);

async function main(): Promise<number> {
  const system = new ProofSystem(log);
  try {
    log('starting the api, the worker, redis-server and an SMTP sink...');
    await system.start();
    await system.fillPool(30);
    const driver = new LoadDriver({
      baseUrl: system.baseUrl,
      calls: system.workload(CONNECTIONS),
      onSubmitted: (id) => system.pool.length < 300 && system.pool.push(id),
    });
    log(`mixed workload over ${CONNECTIONS} connections for ${SECONDS} s...`);
    const t0 = Date.now();
    driver.start();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    await driver.stop();
    const seconds = (Date.now() - t0) / 1000;
    log('load stopped; settling and checking...');
    // No process is killed here. The policy of seconds makes a storm of escalations (each of
    // hundreds of unanswered requests climbs the chain within seconds), so the alert emails queued
    // during the load may take minutes to drain on two shared cores: the check is that each goes
    // out once, and how long the drain took is reported, not judged.
    const report = await system.check(driver.accepted, { alertsWithinMs: 600_000, mailGraceMs: 10_000 });

    console.log(
      `\nLoad: ${driver.answered} answers in ${seconds.toFixed(1)} s (${(driver.answered / seconds).toFixed(0)}/s), ${CONNECTIONS} connections`,
    );
    for (const [label, n] of [...driver.statuses].sort()) console.log(`  ${label.padEnd(44)} ${n}`);
    console.log(`  commands retried after no answer or a 5xx: ${driver.retries}; never answered: ${driver.gaveUp}`);
    console.log(
      `Store: ${report.events} events; ${report.accepted} accepted commands; ${report.mails} emails received; ${report.readModelKeys} read model keys`,
    );
    console.log(`  every standing alert emailed ${(report.alertsSettledMs / 1000).toFixed(0)} s after the load stopped`);
    if (report.repeats.length) console.log(`  received again under their Message-ID (ADR 0019): ${report.repeats.join('; ')}`);
    console.log(`Checks:`);
    console.log(`  (a) every 2xx command stored exactly once, no event id twice: ${report.problems.accepted.length ? 'FAILED' : 'holds'}`);
    console.log(`  (b) every due alert raised once, each email delivered once:  ${report.problems.alerts.length ? 'FAILED' : 'holds'}`);
    console.log(`  (c) read models equal a fresh rebuild, key by key:           ${report.problems.rebuild.length ? 'FAILED' : 'holds'}`);
    if (problemCount(report)) console.log(`${describeProblems(report, 10)}\n${await system.diagnose(report)}`);
    return problemCount(report) ? 1 : 0;
  } catch (error) {
    console.error(error);
    log(`api output:\n${system.api?.output().slice(-3000)}\nworker output:\n${system.worker?.output().slice(-3000)}`);
    return 1;
  } finally {
    await system.stop();
  }
}

main().then((code) => process.exit(code));
