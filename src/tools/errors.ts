import { ApiError } from '../api/errors.js';
import type { Logger } from '../log/logger.js';
import { QueryError } from '../query/errors.js';

/** The arguments are wrong; nothing was sent to the API. */
export class UserInputError extends Error {
  override name = 'UserInputError';
}

/** The record does not exist (a 404 from an item or parent route). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The database refused a delete because other records point at this one. */
export class StillReferencedError extends Error {
  override name = 'StillReferencedError';
}

/**
 * The one place where failures become the text the model reads: a single line saying what
 * went wrong and, where there is one, what to do next. Never a stack trace, never HTML.
 * Unexpected errors are logged (stderr) since they are bugs, not user mistakes.
 */
export function formatToolError(err: unknown, tool: string, logger: Logger): string {
  if (err instanceof UserInputError) return `Invalid arguments: ${err.message}`;
  if (err instanceof NotFoundError || err instanceof StillReferencedError) return err.message;
  if (err instanceof QueryError) return `Query failed: ${err.message}`;
  if (err instanceof ApiError) {
    switch (err.kind) {
      case 'throttled':
        return /retry in/i.test(err.message)
          ? err.message
          : `The API is throttling requests${err.info.retryAfter !== undefined ? `; retry in ${err.info.retryAfter} s` : ''}: ${err.message}`;
      case 'auth':
        return `Cannot sign in to the Classic Models API: ${err.message}`;
      case 'aborted':
        return 'The call was cancelled.';
      case 'http':
        if (err.status === 400) return `The API rejected the request: ${err.message}`;
        if (err.status === 401) return `The API refused the credentials: ${err.message}`;
        if (err.status === 403) return `The API user lacks permission for ${err.info.method} ${err.info.path}: ${err.message}`;
        return `The API failed (HTTP ${err.status}) on ${err.info.method} ${err.info.path}: ${err.message.replace(/^HTTP \d+ from \S+ \S+: /, '')}`;
      default:
        return err.message;
    }
  }
  logger.error(`${tool} failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`);
  return `Internal error in ${tool}: ${(err as Error)?.message ?? String(err)}`;
}
