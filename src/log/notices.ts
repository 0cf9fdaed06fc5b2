import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { Api } from '../api/client.js';
import type { ApiEvent } from '../api/session.js';
import type { Logger } from './logger.js';

/** The same kind of notice at most this often per session: an API that flaps must not flood a client. */
const QUIET_MS = 10_000;

function describe(e: ApiEvent): { level: LoggingLevel; text: string } {
  switch (e.kind) {
    case 'signed_in':
      return e.again
        ? { level: 'warning', text: `signed in again to the Classic Models API as ${e.username}: the API refused the refresh token (${e.again})` }
        : { level: 'info', text: `signed in to the Classic Models API as ${e.username}` };
    case 'login_refused':
      return { level: 'error', text: `${e.message}; no new login attempt for ${e.retryInSeconds} s` };
    case 'login_throttled':
      return { level: 'warning', text: `the API throttles logins; retry in ${e.retryInSeconds} s` };
    case 'unreachable':
      return { level: 'error', text: e.message };
    case 'reachable':
      return { level: 'notice', text: 'the Classic Models API answers again' };
    case 'slow':
      return { level: 'warning', text: `the Classic Models API took ${(e.ms / 1000).toFixed(1)} s to answer ${e.method} ${e.path}` };
  }
}

/**
 * Tells one MCP session what a person watching its client would want to know about the API
 * (MCP logging: notifications/message, at the level the client set with logging/setLevel),
 * never a secret. Returns the function that stops it. stderr logging is separate and unchanged.
 */
export function forwardApiEvents(server: Server, api: Api, logger: Logger): () => void {
  const last = new Map<string, number>();
  return (
    api.subscribe?.((e) => {
      const now = Date.now();
      const key = e.kind === 'signed_in' && e.again ? 'signed_in_again' : e.kind;
      if ((last.get(key) ?? -Infinity) > now - QUIET_MS) return;
      last.set(key, now);
      const { level, text } = describe(e);
      server.sendLoggingMessage({ level, logger: 'classic-models-api', data: logger.scrub(text) }, server.transport?.sessionId).catch(() => {});
    }) ?? (() => {})
  );
}
