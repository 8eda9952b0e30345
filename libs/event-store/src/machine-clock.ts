/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC, through process.hrtime), which
 * every process on one machine reads alike: stamps taken in two processes can be subtracted.
 * Not `performance.timeOrigin + performance.now()`: each process fixes its time origin from the
 * wall clock when it starts, so a wall clock slewed or stepped in between (NTP) puts two processes'
 * stamps apart; a bench measured "latencies" of -33 ms from another process that way. For timing
 * only (benches, traces): not a date.
 */
export const machineClockMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A wall-clock instant (ms since the epoch, e.g. an event's recordedAt) on the machine clock, as the wall clock stands now. */
export const wallToMachineClockMs = (wallMs: number): number => wallMs - Date.now() + machineClockMs();
