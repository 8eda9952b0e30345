import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WrongExpectedRevision, type EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';

/** The stream of one year's reserved blocks: the only record of which references are taken. */
export const referenceStreamFor = (year: number) => `reference-numbers-${year}`;

/**
 * How many references a process reserves at once. A block costs one append, so a submission rarely
 * pays for one; numbers a process reserved but did not use (it stopped) are never given out, which
 * leaves a gap, never a repeat.
 */
export const REFERENCE_BLOCK = 20;

type Reserved = { type: 'ReferenceBlockReserved'; data: { schemaVersion: 1; year: number; from: number; to: number } };

/**
 * Human references, SEND-<year>-<6 digits>, that never repeat whatever Redis loses (issue 13): each
 * api process reserves a block of numbers by appending it to the year's stream in the event store at
 * the revision it read, so two processes never reserve the same block (the loser reads again and
 * takes the next), and hands them out from memory. One reservation at a time per process.
 */
@Injectable()
export class ReferenceNumbers {
  private block: { year: number; next: number; to: number } | null = null;
  /** The year's stream as far as this process has read it: its revision, and the last number reserved. */
  private known: { year: number; revision: bigint; last: number } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  next(now: Date): Promise<string> {
    const year = now.getUTCFullYear();
    const turn = this.queue.then(async () => {
      if (!this.block || this.block.year !== year || this.block.next > this.block.to) this.block = await this.reserve(year);
      const n = this.block.next++;
      return `SEND-${year}-${String(n).padStart(6, '0')}`;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async reserve(year: number): Promise<{ year: number; next: number; to: number }> {
    for (;;) {
      const stream = referenceStreamFor(year);
      const known = this.known?.year === year ? this.known : { year, revision: -1n, last: 0 };
      // Only what was reserved since this process last read (the whole year the first time).
      const events = await this.store.read(stream, known.revision >= 0n ? { fromRevision: known.revision + 1n } : undefined);
      const last = events.reduce((max, e) => Math.max(max, (e.data as Reserved['data']).to ?? 0), known.last);
      const revision = events.length ? events[events.length - 1].revision : known.revision;
      this.known = { year, revision, last };
      const from = last + 1;
      const to = last + REFERENCE_BLOCK;
      const reserved: Reserved = { type: 'ReferenceBlockReserved', data: { schemaVersion: 1, year, from, to } };
      try {
        const result = await this.store.append(stream, [{ id: randomUUID(), ...reserved }], {
          expectedRevision: revision >= 0n ? revision : 'no_stream',
        });
        this.known = { year, revision: result.nextRevision, last: to };
        return { year, next: from, to };
      } catch (error) {
        // Another process reserved a block first: read what it took, and reserve the next one.
        if (!(error instanceof WrongExpectedRevision)) throw error;
      }
    }
  }
}
