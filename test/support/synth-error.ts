/**
 * The message of the error `fn` throws (building a construct, or synthesizing
 * an app, that must be refused), for the test to assert in full. Throws, and so
 * fails the test, when `fn` throws nothing.
 */
export function synthErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, but nothing was thrown');
}
