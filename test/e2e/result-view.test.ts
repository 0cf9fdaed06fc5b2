import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica } from '../../src/demo/server.js';
import { ARTIFACTS, HAVE_CHROMIUM, launchBrowser } from '../helpers/browser.js';
import { BUNDLE } from '../helpers/bundle.js';
import { connectStdio } from '../helpers/mcp.js';
import { envFor, KIT_PRESENT, startRealApi } from '../real-api/kit.js';
import { VIEW_HOST as HOST } from '../helpers/view-host.js';

/**
 * The result view (MCP Apps) as a host shows it: the host reads ui://classic-models/result from
 * the bundle through the SDK client, puts it in a sandboxed iframe (allow-scripts only), answers
 * ui/initialize with its context, and sends the tool input and the result of a real call. The
 * checks are what a person sees, in Debian's Chromium: on the replica, and on the real API
 * too when the kit is there (CI).
 */
if (!HAVE_CHROMIUM && process.env.CI) throw new Error('Chromium (/usr/bin/chromium) is missing: .ci/run installs it');

const UI = { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } };


const BACKENDS = KIT_PRESENT ? (['replica', 'real API'] as const) : (['replica'] as const);

describe.skipIf(!HAVE_CHROMIUM).each(BACKENDS)('the result view in a host (MCP Apps), on the %s', (backend) => {
  let browser: Browser;
  let client: Client;
  let html: string;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    let env: Record<string, string>;
    if (backend === 'real API') {
      const api = await startRealApi({ readRate: '1000000/min' });
      stops.push(() => api.stop());
      env = envFor(api);
    } else {
      const replica = await startReplica({ throttles: { read: null } });
      stops.push(() => replica.stop());
      env = { CLASSIC_MODELS_API_URL: replica.url, API_USERNAME: 'demo', API_PASSWORD: 'demo123' };
    }
    client = new Client({ name: 'test-host', version: '1.0.0' }, { capabilities: { extensions: UI } as never });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BUNDLE, 'serve-stdio'], env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'pipe' }));
    const read = await client.readResource({ uri: 'ui://classic-models/result' });
    expect(read.contents[0].mimeType).toBe('text/html;profile=mcp-app');
    html = (read.contents[0] as { text: string }).text;
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await client?.close();
    for (const stop of stops) await stop();
  });

  async function show(name: string, args: Record<string, unknown>, context: Record<string, unknown> = { theme: 'light' }) {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    const page = await browser.newPage({ viewport: { width: 840, height: 660 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(HOST);
    await page.evaluate(([h, a, r, c]) => (window as any).startHost(h, a, r, c), [html, args, result, context] as const);
    const view = page.frameLocator('#view');
    await view.locator('body[data-rendered]').waitFor();
    return { page, view, result, problems, requests, data: result.structuredContent as any };
  }

  const done = async (s: { page: Page; problems: string[]; requests: string[] }, shot: string) => {
    await s.page.screenshot({ path: join(ARTIFACTS, `view-${shot}${backend === 'replica' ? '' : '-real-api'}.png`) });
    expect(s.problems).toEqual([]);
    // Nothing but the host page itself: the view fetches no script, font, image or data.
    expect(s.requests.filter((u) => /^https?:/.test(u))).toEqual([]);
    await s.page.close();
  };

  it('tools/list names the view only for hosts that render it', async () => {
    const tools = (await client.listTools()).tools;
    expect(tools.find((t) => t.name === 'classic_models_query')?._meta).toEqual({ ui: { resourceUri: 'ui://classic-models/result' } });
    expect(tools.find((t) => t.name === 'classic_models_list_customers')?._meta).toEqual({ ui: { resourceUri: 'ui://classic-models/result' } });
    expect(tools.find((t) => t.name === 'classic_models_get_customer')?._meta).toBeUndefined();
    const plain = await connectStdio(['serve-stdio', '--demo']);
    const listed = (await plain.client.listTools()).tools;
    expect(listed.some((t) => t._meta)).toBe(false);
    expect((await plain.client.listResources()).resources.some((r) => r.uri.startsWith('ui://'))).toBe(false);
    await plain.close();
  });

  it('revenue per product line: bars with one per row and their labels, a sortable table, the switch', async () => {
    const s = await show('classic_models_query', { sql: 'SELECT p.productLine, SUM(od.quantityOrdered * od.priceEach) AS revenue FROM orderdetails od JOIN products p USING (productCode) GROUP BY p.productLine ORDER BY revenue DESC' });
    const rows: unknown[][] = s.data.rows;
    expect(await s.view.locator('svg .bar').count()).toBe(rows.length);
    expect(await s.view.locator('svg .label').allTextContents()).toEqual(rows.map((r) => String(r[0])));
    expect(await s.view.locator('#count').textContent()).toMatch(new RegExp(`^${rows.length} rows · as of `));
    await s.page.screenshot({ path: join(ARTIFACTS, 'view-bars.png') });
    await s.view.getByRole('button', { name: 'Table' }).click();
    expect(await s.view.getByRole('button', { name: 'Table' }).getAttribute('aria-pressed')).toBe('true');
    const cells = async () => (await s.view.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))));
    const first = await cells();
    expect(first.map((r) => r[0])).toEqual(rows.map((r) => String(r[0])));
    expect(first[0][1]).toBe(new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(Number(rows[0][1])));
    expect(await s.view.locator('td.num').first().evaluate((td) => getComputedStyle(td).textAlign)).toBe('right');
    await s.view.getByRole('button', { name: 'productLine' }).click();
    expect((await cells()).map((r) => r[0])).toEqual(rows.map((r) => String(r[0])).sort());
    await s.view.getByRole('button', { name: /productLine/ }).click();
    expect((await cells()).map((r) => r[0])).toEqual(rows.map((r) => String(r[0])).sort().reverse());
    await done(s, 'table');
  });

  it('revenue per month of 2004: a line with one point per month, dates shown as dates; the dark theme applies', async () => {
    const s = await show('classic_models_query', { sql: "SELECT DATE_FORMAT(orderDate, '%Y-%m') AS month, SUM(quantityOrdered * priceEach) AS revenue FROM orders JOIN orderdetails USING (orderNumber) WHERE YEAR(orderDate) = 2004 GROUP BY month ORDER BY month" }, { theme: 'dark', styles: { variables: { '--color-background-primary': 'rgb(20, 22, 28)' } } });
    expect(await s.view.locator('svg .point').count()).toBe(12);
    expect(await s.view.locator('svg .label').first().textContent()).toBe(new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date('2004-01-01T00:00:00Z')));
    expect(await s.view.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(20, 22, 28)');
    await s.page.screenshot({ path: join(ARTIFACTS, 'view-line-dark.png') });
    await s.page.evaluate(() => (window as any).changeContext({ theme: 'light', styles: { variables: { '--color-background-primary': 'rgb(250, 250, 250)' } } }));
    await expect.poll(() => s.view.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(250, 250, 250)');
    await done(s, 'line-light');
  });

  it('a list tool that aggregates: its object rows as a table and bars', async () => {
    const s = await show('classic_models_list_orders', { group_by: ['status'], metrics: [{ op: 'count' }], sort: ['-count'] });
    expect(await s.view.locator('svg .bar').count()).toBe(s.data.rows.length);
    await s.view.getByRole('button', { name: 'Table' }).click();
    expect(await s.view.locator('thead th').allTextContents()).toEqual(Object.keys(s.data.rows[0]));
    await done(s, 'list-aggregate');
  });

  it('an empty result, a truncated one, a value holding HTML', async () => {
    const empty = await show('classic_models_query', { sql: 'SELECT customerName FROM customers WHERE 1 = 0' });
    expect(await empty.view.locator('.empty').textContent()).toBe('No rows.');
    await done(empty, 'empty');
    const cut = await show('classic_models_query', { sql: 'SELECT orderNumber, productCode FROM orderdetails ORDER BY orderNumber, productCode', max_rows: 40 });
    expect(cut.data.truncated).toBe(true);
    expect(await cut.view.locator('.note').textContent()).toBe(cut.data.note);
    await cut.view.getByRole('button', { name: 'Table' }).click();
    expect(await cut.view.locator('tbody tr').count()).toBe(40);
    await done(cut, 'truncated');
    const evil = '<img src=x onerror="parent.postMessage(\'pwned\',\'*\')"><script>alert(1)</script>';
    const html = await show('classic_models_query', { sql: `SELECT '${evil.replace(/'/g, "''")}' AS name, 1 AS n` });
    expect(await html.view.locator('svg .label').first().textContent()).toBe(evil.slice(0, 24));
    await html.view.getByRole('button', { name: 'Table' }).click();
    expect(await html.view.locator('td').first().textContent()).toBe(evil);
    expect(await html.view.locator('img, tbody script').count()).toBe(0);
    expect(await html.page.evaluate(() => (window as any).hostLog)).not.toContain('text:pwned');
    await done(html, 'html-value');
  });

  it('2,000 rows: every one in the table', async () => {
    const s = await show('classic_models_query', { sql: 'SELECT orderNumber, orderLineNumber, quantityOrdered FROM orderdetails ORDER BY orderNumber, orderLineNumber', max_rows: 2000 });
    expect(await s.view.locator('tbody tr').count()).toBe(s.data.rows.length);
    expect(s.data.rows.length).toBeGreaterThan(1000);
    await done(s, 'many-rows');
  });
});
