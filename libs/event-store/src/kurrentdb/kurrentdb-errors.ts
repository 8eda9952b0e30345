import {
  AppendRecordSizeExceededError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  StreamTombstonedError,
  TimeoutError,
  TransactionMaxSizeExceededError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { AppendTooLargeError, StreamDeleted, WrongExpectedRevision, type ExpectedRevision } from '../event-store.port';

/**
 * The client errors a call may be retried after: the server did not (or may not) apply it.
 * Safe for appends because every retry carries the same event ids and the same explicit expected
 * revision, and is preceded by a re-read that finds an append the first attempt stored after all
 * (see KurrentDbEventStore.append).
 *
 * - NotLeaderError: a follower refused a call sent with requires-leader (server
 *   ClusterVNodeController.HandleAsNonLeader); the client then reconnects to the leader it names
 *   (client Client/index.ts shouldReconnect), so the next attempt reaches it.
 * - UnavailableError: gRPC UNAVAILABLE/INTERNAL/DATA_LOSS, or a node still electing a leader
 *   (client utils/CommandError.ts convertToCommandError); the client drops the channel and rediscovers.
 * - DeadlineExceededError: the call's deadline passed (client defaultDeadline, 10 s), or the server
 *   answered a batch append with Timeout (client streams/appendToStream/unpackError.ts). A duplicate
 *   of an append not yet replicated is DROPPED by the server, with no answer at all
 *   (StorageWriterService.cs, CommitDecision.IdempotentNotReady): the client sees exactly this.
 * - TimeoutError: gRPC ABORTED with status details (other than a transaction size), the server's
 *   own commit or forward timeout (client utils/CommandError.ts).
 */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof NotLeaderError ||
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError
  );
}

/**
 * A client error of an append as the port's typed error; anything unknown is returned as is.
 * (Retryable errors that outlast the retries become EventStoreUnavailable in the store.)
 */
export function translateAppendError(error: unknown, stream: string, expected: ExpectedRevision, bytes: number, limit: number): unknown {
  if (error instanceof WrongExpectedVersionError) {
    // actualState is the stream's revision, or 'no_stream' (client utils/CommandError.ts).
    const actual = error.actualState;
    return new WrongExpectedRevision(stream, expected, typeof actual === 'bigint' ? actual : 'no_stream');
  }
  if (error instanceof StreamDeletedError || error instanceof StreamTombstonedError) return new StreamDeleted(stream);
  // The server's limit when it says it (MaximumAppendSizeExceeded carries it), else ours.
  if (error instanceof MaxAppendSizeExceededError) return new AppendTooLargeError(stream, bytes, error.maxAppendSize || limit);
  if (error instanceof TransactionMaxSizeExceededError) return new AppendTooLargeError(stream, error.size, error.maxSize);
  if (error instanceof AppendRecordSizeExceededError) return new AppendTooLargeError(stream, error.size, error.maxSize);
  return error;
}

/** Bounded retries with exponential backoff and full jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 2_000 };

/**
 * The wait before retry number `retry` (1 for the first retry): a random point below
 * min(max, initial * 2^(retry-1)), so processes that failed together do not retry together.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
