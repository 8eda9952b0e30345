import { readFileSync } from 'node:fs';

/**
 * Where a Linux process's resident memory is, from /proc/<pid>/smaps: glibc's main malloc arena
 * ([heap], what the main thread mallocs: its SQLite connections' caches among them), the arenas of
 * other threads (each a 64 MiB-aligned reservation, its used part rw-p and the rest ---p: a worker
 * thread's SQLite connection mallocs there), and the rest (V8's heaps, code, stacks, mapped files).
 * Approximate by design: glibc's layout is not an interface; it tells apart what grows.
 */
export interface MemoryMap {
  mainArena: number;
  threadArenas: number;
  otherAnonymous: number;
  files: number;
}

const ARENA = 64 * 2 ** 20;

export function memoryMap(pid: number | 'self' = 'self'): MemoryMap | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const maps: { start: number; end: number; perms: string; name: string; rss: number }[] = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      maps.push({ start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], name: head[4], rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length) maps[maps.length - 1].rss = Number(rss[1]) * 1024;
  }
  const out: MemoryMap = { mainArena: 0, threadArenas: 0, otherAnonymous: 0, files: 0 };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    if (m.name === '[heap]') out.mainArena += m.rss;
    else if (m.name && !m.name.startsWith('[')) out.files += m.rss;
    else if (!m.name && m.start % ARENA === 0 && m.perms.startsWith('rw') && arenaEnd(maps, i) === m.start + ARENA)
      out.threadArenas += m.rss;
    else out.otherAnonymous += m.rss;
  }
  return out;
}

/** Where the reservation starting at maps[i] ends: its rw-p part, then the ---p rest if adjacent. */
function arenaEnd(maps: { start: number; end: number; perms: string; name: string }[], i: number): number {
  const next = maps[i + 1];
  return next && !next.name && next.perms.startsWith('---') && next.start === maps[i].end ? next.end : maps[i].end;
}
