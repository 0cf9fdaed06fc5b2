import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE } from '../helpers/bundle.js';
import { inspector } from '../helpers/inspector.js';
import { startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';

/** The calls that failed for a new user: the Inspector sends `officecode=1` as a JSON number. */
describe('MCP Inspector CLI', () => {
  let sse: HttpServerProcess;
  beforeAll(async () => {
    sse = await startHttpServer(['--demo', '--audit-log', 'off'], { SSE_BEARER_TOKEN: 'insp-token', LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await sse?.stop();
  });

  const calls: [string, string, Record<string, unknown>][] = [
    ['classic_models_get_office', 'officecode=1', { officecode: '1', city: 'San Francisco' }],
    ['classic_models_get_customer', 'customernumber=103', { customernumber: 103, customername: 'Atelier graphique' }],
  ];

  for (const [tool, arg, expected] of calls) {
    it(`stdio: --tool-arg ${arg}`, async () => {
      const r = await inspector([process.execPath, BUNDLE, 'serve-stdio', '--demo', '--method', 'tools/call', '--tool-name', tool, '--tool-arg', arg]);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.json.isError).toBeUndefined();
      expect(r.json.structuredContent).toMatchObject(expected);
    });

    it(`/mcp: --tool-arg ${arg}`, async () => {
      const r = await inspector([`${sse.url}/mcp`, '--transport', 'http', '--header', 'Authorization: Bearer insp-token', '--method', 'tools/call', '--tool-name', tool, '--tool-arg', arg]);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.json.structuredContent).toMatchObject(expected);
    });
  }

  it('/sse: --tool-arg limit=2 and a sort written as plain text', async () => {
    const r = await inspector([`${sse.url}/sse`, '--transport', 'sse', '--header', 'Authorization: Bearer insp-token', '--method', 'tools/call', '--tool-name', 'classic_models_list_customers', '--tool-arg', 'limit=2', 'sort=-creditLimit', 'fields=customerNumber,creditLimit']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.json.structuredContent.rows).toEqual([
      { customernumber: 141, creditlimit: '227600.00' },
      { customernumber: 124, creditlimit: '210500.00' },
    ]);
  });
});

describe('MCP Inspector CLI with an OAuth access token', () => {
  it('calls tools on a --oauth server as the person who signed in', async () => {
    const { signedIn } = await import('../helpers/oauth.js');
    const srv = await startHttpServer(['--demo', '--oauth', '--audit-log', 'off'], { OAUTH_SECRET: 'inspector-oauth-secret-0123456789abcdef' });
    try {
      const { tokens } = await signedIn(srv.url, { username: 'analyst', password: 'analyst123' });
      const r = await inspector([`${srv.url}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${tokens.access_token}`, '--method', 'tools/call', '--tool-name', 'classic_models_whoami']);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.json.structuredContent.username).toBe('analyst');
      const list = await inspector([`${srv.url}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${tokens.access_token}`, '--method', 'tools/list']);
      expect(list.json.tools).toHaveLength(18);
    } finally {
      await srv.stop();
    }
  });
});
