import type { AllSubscription, EventStore, RecordedEvent } from '@send/event-store';
import type { EscalationRole } from '@send/domain';
import { selectRecipients, type Recipient, type RecipientDirectory } from './recipient-directory';

export const USER_STREAM_PREFIX = 'user-';

export interface EventStoreUserDirectoryOptions {
  store: EventStore;
  /**
   * The port has no "caught up" signal, so the first catch-up counts as done once the
   * subscription has had nothing to hand over for this long (default 100 ms).
   */
  settleMs?: number;
  logger?: { error(message: string, error?: unknown): void };
}

/**
 * Staff accounts folded from the `user-*` streams (UserRegistered, see apps/api auth/user-account.ts)
 * into memory, kept fresh by a background subscription from the start of $all. Small by nature
 * (a council's staff); a users read model in Redis (rm:user:<id>, rm:users:role:<role>) can replace
 * it behind the same RecipientDirectory interface.
 */
export class EventStoreUserDirectory implements RecipientDirectory {
  private readonly accounts = new Map<string, Recipient>();
  private subscription: AllSubscription | null = null;
  private loop: Promise<void> | null = null;
  private settled!: Promise<void>;
  private stopped = false;

  constructor(private readonly options: EventStoreUserDirectoryOptions) {}

  /** Starts following the user streams; resolves once the accounts stored so far are loaded. */
  async start(): Promise<void> {
    if (this.loop) return this.settled;
    this.stopped = false;
    let markSettled!: () => void;
    this.settled = new Promise((resolve) => (markSettled = resolve));
    this.loop = this.follow(markSettled);
    return this.settled;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.loop;
    this.loop = null;
  }

  async recipientsFor(role: EscalationRole, teamId: string | null): Promise<Recipient[]> {
    if (!this.loop) await this.start();
    await this.settled;
    return selectRecipients(this.accounts.values(), role, teamId);
  }

  /** Every account known (for diagnostics and specs). */
  get size(): number {
    return this.accounts.size;
  }

  private apply(event: RecordedEvent): void {
    if (event.type !== 'UserRegistered') return;
    const d = event.data as { userId?: string; email?: string; role?: string; teamId?: string | null };
    if (!d.userId || !d.role) return;
    this.accounts.set(d.userId, { userId: d.userId, email: d.email ?? '', role: d.role, teamId: d.teamId ?? null });
  }

  private async follow(markSettled: () => void): Promise<void> {
    const settleMs = this.options.settleMs ?? 100;
    let from: bigint | 'start' = 'start';
    while (!this.stopped) {
      const subscription = this.options.store.subscribeToAll({ from, filter: { streamPrefixes: [USER_STREAM_PREFIX] } });
      this.subscription = subscription;
      const iterator = subscription[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = iterator.next();
          // Nothing more within settleMs: the stored accounts are in (live appends keep coming).
          const timer = setTimeout(markSettled, settleMs);
          const result = await next.finally(() => clearTimeout(timer));
          if (result.done || this.stopped) break;
          this.apply(result.value);
          from = result.value.position;
        }
      } catch (error) {
        if (this.stopped) break;
        (this.options.logger ?? console).error('[notifications] user directory subscription failed; resubscribing', error);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await subscription.close().catch(() => undefined);
        this.subscription = null;
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 10));
    }
    markSettled(); // never leave a caller waiting on a stopped directory
  }
}
