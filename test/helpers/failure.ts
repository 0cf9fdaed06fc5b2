import type { ApiError } from '../../src/api/errors.js';

/** The error a call failed with (the test fails if it succeeded). */
export async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected the call to fail');
}
