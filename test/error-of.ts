/** The error `fn` throws, for tests that assert on its whole message; fails the test when nothing is thrown. */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
