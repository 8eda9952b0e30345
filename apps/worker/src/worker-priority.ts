import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the worker's CPU priority to `nice` (0-19; 0 leaves it as started), so that on a machine
 * the api shares, a request being answered comes before a projection being written (ADR 0028).
 * Every thread of the process: on Linux a nice value belongs to a thread, and V8's collector
 * threads already run when this is called; threads made later inherit the main thread's.
 * Never raises a priority (that needs privileges), and returns what it did for the start line,
 * or why it could not: the worker runs either way.
 */
export function yieldCpuToApi(nice: number): string {
  if (nice <= 0) return 'at its starting priority (WORKER_NICE=0)';
  try {
    const current = getPriority();
    if (current >= nice) return `at nice ${current} (already at or below WORKER_NICE=${nice})`;
    for (const thread of threadIds()) setPriority(thread, nice);
    return `at nice ${nice}: the api's requests come before its work when they share a CPU`;
  } catch (error) {
    return `at its starting priority: nice ${nice} could not be set (${(error as Error).message})`;
  }
}

/** This process's thread ids (Linux), or the process alone where /proc is not there to list them. */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}
