import { backoffDelayMs, isTransientError, withTransientRetry } from '../src/blue-green-efs-deploy/transient-retry';

function awsError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });
}

/** A function failing with `errors` in turn, then returning 'ok'. */
function failing(...errors: Error[]): jest.Mock<Promise<string>, []> {
  const fn = jest.fn<Promise<string>, []>();
  for (const e of errors) {
    fn.mockRejectedValueOnce(e);
  }
  fn.mockResolvedValue('ok');
  return fn;
}

describe('isTransientError', () => {
  test.each(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'TooManyUpdates'])('%s is transient', (name) => {
    expect(isTransientError(awsError(name))).toBe(true);
  });

  test.each([500, 502, 503, 429])('HTTP %s is transient', (status) => {
    expect(isTransientError(awsError('SomethingOdd', status))).toBe(true);
  });

  test.each([
    awsError('ValidationError'),
    awsError('AccessDeniedException', 403),
    awsError('DeploymentGroupDoesNotExistException'),
    new Error('plain'),
  ])('%s is not transient', (error) => {
    expect(isTransientError(error)).toBe(false);
  });

  test('non-objects are not transient', () => {
    expect(isTransientError(undefined)).toBe(false);
    expect(isTransientError('ThrottlingException')).toBe(false);
  });
});

describe('withTransientRetry', () => {
  test('throttling then success returns the result after backing off', async () => {
    const sleep = jest.fn(async (_ms: number) => undefined);
    const fn = failing(awsError('ThrottlingException'), awsError('Internal', 503));
    await expect(withTransientRetry(fn, { attempts: 5, baseDelayMs: 100, sleep, random: () => 0.5 })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
    // equal jitter with random 0.5: 3/4 of 100, then of 200
    expect(sleep.mock.calls).toEqual([[75], [150]]);
  });

  test('gives up after `attempts` tries with the original error', async () => {
    const sleep = jest.fn(async (_ms: number) => undefined);
    const last = awsError('Throttling');
    const fn = failing(awsError('Throttling'), awsError('Throttling'), last, awsError('Throttling'));
    const promise = withTransientRetry(fn, { attempts: 3, baseDelayMs: 10, sleep });
    await expect(promise).rejects.toBe(last);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  test('other errors fail at once', async () => {
    const sleep = jest.fn(async (_ms: number) => undefined);
    const error = awsError('AccessDeniedException', 403);
    const fn = failing(error);
    await expect(withTransientRetry(fn, { attempts: 5, baseDelayMs: 10, sleep })).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  test('attempts must be a positive integer', async () => {
    await expect(withTransientRetry(async () => 1, { attempts: 0, baseDelayMs: 1 })).rejects.toThrow(/attempts must be a positive integer/);
  });

  test('the real sleep is used when none is injected', async () => {
    const fn = failing(awsError('Throttling'));
    await expect(withTransientRetry(fn, { attempts: 2, baseDelayMs: 2 })).resolves.toBe('ok');
  });
});

describe('backoffDelayMs', () => {
  test('doubles, stays between half and all of the step, and is capped', () => {
    const options = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, options, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, options, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
  });
});
