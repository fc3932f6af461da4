/**
 * A small retry for throttling and server-side errors of AWS API calls.
 *
 * The SDK retries by itself, but the handlers' tests mock clients with
 * aws-sdk-client-mock, which bypasses the SDK middleware; retrying here keeps the
 * behaviour explicit and tested. Pure: no SDK imports, errors are recognized by
 * their `name` and `$metadata.httpStatusCode`.
 */

/** Error names AWS services use for throttling or temporary failure. */
const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'TooManyUpdates',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** How {@link withTransientRetry} retries. */
export interface RetryOptions {
  /** Total tries, the first included (at least 1). */
  readonly attempts: number;
  /** Delay before the second try; doubles for each further one. */
  readonly baseDelayMs: number;
  /** Upper bound of one delay. Default: 20 seconds. */
  readonly maxDelayMs?: number;
  /** Waits `ms` milliseconds; tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Returns a number in [0, 1); tests pass a constant. */
  readonly random?: () => number;
}

/** Whether `error` is throttling or a server-side (5xx) failure worth retrying. */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof name === 'string' && TRANSIENT_ERROR_NAMES.has(name)) {
    return true;
  }
  const status = $metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/**
 * Delay before try number `attempt + 1` (attempt counts from 1): exponential, with
 * "equal jitter" (half fixed, half random) so retries of parallel callers spread out
 * but never collapse to zero.
 */
export function backoffDelayMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const cap = options.maxDelayMs ?? 20_000;
  const exponential = Math.min(cap, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying it while it throws a transient error, up to
 * `options.attempts` tries in all. Any other error, or the last transient one, is
 * rethrown unchanged.
 */
export async function withTransientRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) {
    throw new Error(`attempts must be a positive integer, got ${options.attempts}`);
  }
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts || !isTransientError(error)) {
        throw error;
      }
      await sleep(backoffDelayMs(attempt, options, random));
    }
  }
}
