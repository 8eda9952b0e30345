import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  AccessDeniedError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  convertToCommandError,
} from '@kurrent/kurrentdb-client';
import fc from 'fast-check';
import { AppendTooLargeError, StreamDeleted, WrongExpectedRevision } from '../event-store.port';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs, translateAppendError } from './kurrentdb-errors';

/** A gRPC error as grpc-js hands it to the client, which turns it into its own error classes. */
function serviceError(code: status, entries: Record<string, string> = {}, details = 'from the server'): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

/** The client's own conversion of a server error (utils/CommandError.ts convertToCommandError). */
const fromServer = (code: status, entries?: Record<string, string>) => convertToCommandError(serviceError(code, entries));

describe('KurrentDB client errors, as the client builds them', () => {
  it('are the classes the mapping expects (a client upgrade that renames them fails here)', () => {
    expect(fromServer(status.DEADLINE_EXCEEDED)).toBeInstanceOf(DeadlineExceededError);
    expect(fromServer(status.UNAVAILABLE)).toBeInstanceOf(UnavailableError);
    // ABORTED with status details is the server's own timeout: the client builds it as below.
    expect(new TimeoutError(serviceError(status.ABORTED))).toBeInstanceOf(TimeoutError);
    expect(
      fromServer(status.UNKNOWN, { exception: 'not-leader', 'leader-endpoint-host': '10.0.0.2', 'leader-endpoint-port': '2113' }),
    ).toMatchObject({
      leader: { address: '10.0.0.2', port: 2113 },
    });
    expect(fromServer(status.UNKNOWN, { exception: 'stream-deleted', 'stream-name': 'case-1' })).toBeInstanceOf(StreamDeletedError);
    expect(fromServer(status.UNKNOWN, { exception: 'maximum-append-size-exceeded', 'maximum-append-size': '1048576' })).toBeInstanceOf(
      MaxAppendSizeExceededError,
    );
  });
});

describe('translateAppendError', () => {
  const translate = (error: unknown) => translateAppendError(error, 'case-1', 3n, 2_000_000, 1_048_576);

  it('turns a wrong expected version into WrongExpectedRevision with the actual revision', () => {
    // As streams/appendToStream/append.ts builds it from the append response.
    const error = new WrongExpectedVersionError(undefined, { streamName: 'case-1', expected: 3n, current: 5n });
    expect(translate(error)).toEqual(new WrongExpectedRevision('case-1', 3n, 5n));
    // As convertToCommandError builds it from the trailers.
    const fromTrailers = fromServer(status.UNKNOWN, {
      exception: 'wrong-expected-version',
      'stream-name': 'case-1',
      'expected-version': '3',
      'actual-version': '7',
    });
    expect(translate(fromTrailers)).toMatchObject({ name: 'WrongExpectedRevision', stream: 'case-1', expected: 3n, actual: 7n });
  });

  it("keeps 'no_stream' when the stream does not exist", () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: 'case-1', expected: 3n, current: 'no_stream' });
    expect(translate(error)).toMatchObject({ actual: 'no_stream' });
  });

  it('turns a deleted stream into StreamDeleted, from the batch-append path and from trailers', () => {
    expect(translate(StreamDeletedError.fromStreamName('case-1'))).toEqual(new StreamDeleted('case-1'));
    expect(translate(fromServer(status.UNKNOWN, { exception: 'stream-deleted', 'stream-name': 'case-1' }))).toBeInstanceOf(StreamDeleted);
  });

  it("turns the server's size refusal into AppendTooLargeError with the server's limit", () => {
    const error = MaxAppendSizeExceededError.fromMaxAppendSize(524_288);
    expect(translate(error)).toEqual(new AppendTooLargeError('case-1', 2_000_000, 524_288));
  });

  it('returns what it does not know as it is', () => {
    const denied = fromServer(status.UNAUTHENTICATED);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(translate(denied)).toBe(denied);
  });
});

describe('retry policy', () => {
  it('retries NotLeader, Unavailable and timeouts, and nothing else', () => {
    const retried = [
      fromServer(status.UNKNOWN, { exception: 'not-leader', 'leader-endpoint-host': 'b', 'leader-endpoint-port': '2113' }),
      fromServer(status.UNAVAILABLE),
      fromServer(status.DEADLINE_EXCEEDED),
      new DeadlineExceededError(), // the batch append's server Timeout (streams/appendToStream/unpackError.ts)
      new TimeoutError(serviceError(status.ABORTED)),
    ];
    for (const error of retried) expect(isRetryable(error)).toBe(true);
    const final = [
      new WrongExpectedVersionError(undefined, { streamName: 's', expected: 0n, current: 1n }),
      StreamDeletedError.fromStreamName('s'),
      MaxAppendSizeExceededError.fromMaxAppendSize(1),
      fromServer(status.UNAUTHENTICATED),
      new Error('anything else'),
    ];
    for (const error of final) expect(isRetryable(error)).toBe(false);
  });

  it('waits a random time below a doubling ceiling, capped', () => {
    const policy = { attempts: 8, initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(retryDelayMs(3, policy, () => 0)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const delay = retryDelayMs(retry, DEFAULT_RETRY_POLICY, () => r);
        const ceiling = Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.initialDelayMs * 2 ** (retry - 1));
        return Number.isInteger(delay) && delay >= 0 && delay < ceiling;
      }),
    );
  });
});
