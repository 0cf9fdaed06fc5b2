import { expect, it } from 'vitest';
import { cancelledCall, expiringTokens, malformedCalls, outage, slowApi } from '../helpers/faults.js';
import { report } from './lib.js';

it('fault runs (full length)', async () => {
  const tokens = await expiringTokens({ seconds: 30, callers: 20, lifetimeSeconds: 2 });
  const down = await outage({ downMs: 2000 });
  const slow = await slowApi({ timeoutMs: 1000, delayMs: 3000 });
  const cancel = await cancelledCall({ delayMs: 3000, cancelAfterMs: 300 });
  const junk = await malformedCalls({ count: 1000 });
  const yes = (b: boolean) => (b ? 'yes' : '**NO**');
  report(
    'Fault runs',
    ['run', 'expectation', 'observed', 'holds'],
    [
      ['access lifetime 2 s, 20 callers, 30 s', 'no failed call, 1 login, ≈15–25 refreshes (exp has 1 s resolution)', `${tokens.calls} calls, ${tokens.failures} failed, ${tokens.logins} login, ${tokens.refreshes} refreshes`, yes(tokens.failures === 0 && tokens.logins === 1 && tokens.refreshes >= 10 && tokens.refreshes <= 30)],
      ['API stopped 2 s, then restarted', '"cannot reach" while down, fine after, no restart', `down: "${down.duringText}"; after: ${down.after ? 'ok' : down.afterText}`, yes(down.duringError && /cannot reach/.test(down.duringText) && down.after)],
      ['API slower than API_TIMEOUT_MS (1 s vs 3 s)', 'isError with a timeout message, no socket left open', `"${slow.text}" after ${slow.ms} ms; ${slow.openConnectionsAfter} open connection(s) after`, yes(slow.isError && /did not answer/.test(slow.text) && slow.openConnectionsAfter <= 1)],
      ['call cancelled by the client after 300 ms', 'its API request is aborted', `${cancel.outcome}; ${cancel.abortedAtApi} request aborted at the API`, yes(cancel.abortedAtApi === 1)],
      ['1,000 malformed calls', 'all isError, memory steady, nothing reaches the API', `${junk.errors} isError, ${junk.requestsAtApi} API requests, RSS after each 250: ${junk.rss.map((r) => r.toFixed(1)).join(' → ')} MB`, yes(junk.errors === 1000 && junk.requestsAtApi === 0 && junk.rss[3] - junk.rss[1] < 10)],
    ],
  );
  expect(tokens.failures).toBe(0);
  expect(tokens.logins).toBe(1);
  expect(junk.requestsAtApi).toBe(0);
});
