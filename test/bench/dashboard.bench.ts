/*
 * The SLA dashboard's computation alone (no Redis, no HTTP): computeSlaDashboard over N request rows
 * with the default policy (Mon-Fri working hours, bank holidays), where the live dashboard spends its
 * CPU. Rows are folded from histories played through the domain's decider: over eight weeks, a
 * third still waiting, some chased many times, some escalated and acknowledged.
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/dashboard.bench.ts
 *
 * BENCH_DASHBOARD_REQUESTS (20000), BENCH_DASHBOARD_RUNS (7). Prints the median and best ms, beside
 * the raw baseline of the same run: parsing the same rows alone (JSON.parse), what any reader of the
 * rows pays before computing anything. The HTTP figure (p99 under load at 1M events) is bench:http's
 * dashboard phase.
 */
import { decide, evolve, initialState, type ContactRequestCommand, type State } from '@send/domain';
import { fastPolicy, submitRequest } from '@send/domain/testing/fixtures';
import { applyToRequestRecord, computeSlaDashboard, dashboardRowOf, type RequestRecord } from '@send/read-models';
import { defaultPolicy } from '@send/sla';
import { emitFigure, emitOptions } from './results';

const REQUESTS = Number(process.env.BENCH_DASHBOARD_REQUESTS ?? 20_000);
const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 7);
const NOW = Date.parse('2026-11-27T15:30:00.000Z');
const WEEKS_8 = 56 * 86_400_000;

// A small deterministic generator, so every run (and every branch compared) gets the same rows.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

function history(i: number): RequestRecord | null {
  const requestId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  let t = NOW - Math.floor(random() * WEEKS_8);
  let state: State = initialState;
  let record: RequestRecord | null = null;
  const run = (command: ContactRequestCommand) => {
    try {
      for (const e of decide(command, state, { now: new Date(t), policy: fastPolicy })) {
        state = evolve(state, e);
        record = applyToRequestRecord(record, { type: e.type, data: e.data, recordedAt: new Date(t) });
      }
    } catch {
      // refused by a rule: skipped, as a user would see
    }
  };
  run(submitRequest({ requestId, reference: `SEND-2026-${String(i).padStart(6, '0')}` }));
  const officer = `officer-${i % 40}`;
  run({ type: 'AssignRequest', requestId, officerId: officer, teamId: `team-${i % 5}`, by: 'manager-1' });
  const chases = random() < 0.05 ? 12 + Math.floor(random() * 30) : Math.floor(random() * 4);
  for (let a = 0; a < chases; a++) {
    t += Math.floor(random() * 3_600_000);
    const attemptId = `${requestId}-${a}`;
    run({ type: 'RecordAttempt', requestId, attemptId, channel: 'phone', source: 'portal', escalationId: `esc-${attemptId}` });
  }
  const s = state as Extract<State, { escalation: unknown }>;
  if (s.escalation && random() < 0.6) {
    t += 600_000;
    run({ type: 'AcknowledgeEscalation', requestId, escalationId: s.escalation.id, by: 'manager-1' });
  }
  if (random() < 0.66) {
    t += Math.floor(random() * 5 * 86_400_000);
    if (t < NOW)
      run({ type: 'RecordResponse', requestId, responseId: `${requestId}-r`, officerId: officer, channel: 'phone', summary: 'Called.' });
    if (random() < 0.7 && t < NOW) run({ type: 'ResolveRequest', requestId, by: officer, outcome: 'answered' });
  }
  return record;
}

const records = Array.from({ length: REQUESTS }, (_, i) => history(i)).filter((r): r is RequestRecord => r !== null);
const rows = records.map(dashboardRowOf);
const bytes = rows.reduce((n, r) => n + JSON.stringify(r).length, 0);
const stored = rows.map((r) => JSON.stringify(r));
// As the live dashboard does after its MGETs: parse every row, then compute.
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = process.hrtime.bigint();
  computeSlaDashboard(
    stored.map((s) => JSON.parse(s)),
    { now: new Date(NOW), policy: defaultPolicy },
  );
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
// The raw baseline: the same rows parsed, nothing computed.
const parseTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = process.hrtime.bigint();
  stored.map((s) => JSON.parse(s));
  parseTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
}
parseTimes.sort((a, b) => a - b);
const medianOf = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)]!;
console.log(
  `dashboard parse + compute: ${rows.length} rows (${Math.round(bytes / rows.length)} B a row as JSON), ` +
    `median ${medianOf(times).toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms over ${RUNS} runs ` +
    `(raw: JSON.parse of the rows alone, median ${medianOf(parseTimes).toFixed(1)} ms)`,
);
emitOptions('dashboard', { BENCH_DASHBOARD_REQUESTS: REQUESTS, BENCH_DASHBOARD_RUNS: RUNS, rows: rows.length });
const RAW = `raw: JSON.parse of ${rows.length.toLocaleString('en-GB')} rows alone (median)`;
emitFigure({ bench: 'dashboard', figure: RAW, value: medianOf(parseTimes), unit: 'ms', higherIsBetter: false, isBaseline: true });
emitFigure({
  bench: 'dashboard',
  figure: `parse + computeSlaDashboard over ${rows.length.toLocaleString('en-GB')} rows (median)`,
  value: medianOf(times),
  unit: 'ms',
  higherIsBetter: false,
  baselines: [RAW],
  note: `best ${times[0]!.toFixed(1)} ms of ${RUNS} runs; ${Math.round(bytes / rows.length)} B a row`,
});
