import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

/** Runs yieldCpuToApi(nice) in a node process of its own (a nice value cannot be raised back) and reports every thread's nice after it. */
function inChild(nice: number, startAt = 0): { said: string; threads: number[] } {
  const script = `
    const os = require('node:os');
    const fs = require('node:fs');
    if (${startAt} > 0) os.setPriority(${startAt});
    const said = require('./apps/worker/src/worker-priority').yieldCpuToApi(${nice});
    // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value.
    const threads = fs.readdirSync('/proc/self/task').map((t) => {
      const stat = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
    console.log(JSON.stringify({ said, threads }));`;
  const out = execFileSync(process.execPath, ['-r', './libs/event-store/src/testing/register-ts.js', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { said: string; threads: number[] };
}

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('the worker yields the CPU to the api (WORKER_NICE)', () => {
  it('lowers every thread of the process, the collector threads already running included', () => {
    const { said, threads } = inChild(7);
    expect(said).toMatch(/^at nice 7: /);
    expect(threads.length).toBeGreaterThan(1);
    expect(new Set(threads)).toEqual(new Set([7]));
  });

  it('leaves the priority it was started with at 0, and never raises one set lower by whoever started it', () => {
    expect(inChild(0)).toEqual({ said: 'at its starting priority (WORKER_NICE=0)', threads: expect.arrayContaining([0]) });
    const started = inChild(5, 12);
    expect(started.said).toBe('at nice 12 (already at or below WORKER_NICE=5)');
    expect(started.threads).toContain(12);
  });
});
