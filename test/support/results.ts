// Mutations answer a union: their success type or a typed error. These narrow
// a result to the member a test expects, and fail the test (showing the
// actual member and its message) when it is another one.
import { expect } from 'vitest';

type Typed = { __typename?: string };

/** The result as the given union member; fails when it is any other. */
export function resultAs<T extends Typed, N extends NonNullable<T['__typename']>>(
  result: T | null | undefined,
  typename: N,
): Extract<T, { __typename?: N }> {
  expect(result, `expected ${typename}`).toMatchObject({ __typename: typename });
  return result as Extract<T, { __typename?: N }>;
}
