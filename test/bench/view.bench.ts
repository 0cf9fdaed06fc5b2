import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchBrowser } from '../helpers/browser.js';
import { connectStdio, type Connected } from '../helpers/mcp.js';
import { VIEW_HOST } from '../helpers/view-host.js';
import { median, ms, percentile, report } from './lib.js';

/** The result view drawing a query's rows in Debian's Chromium: from the tool result sent to the view drawn. */
let mcp: Connected;
beforeAll(async () => {
  mcp = await connectStdio(['serve-stdio', '--demo']);
});
afterAll(() => mcp?.close());

it.runIf(HAVE_CHROMIUM)('result view: time to draw 12, 200 and 2,000 rows', async () => {
  const html = ((await mcp.client.readResource({ uri: 'ui://classic-models/result' })).contents[0] as { text: string }).text;
  const browser = await launchBrowser();
  const rows: (string | number)[][] = [];
  try {
    for (const [label, sql, max] of [
      ['12 rows (a line chart)', "SELECT DATE_FORMAT(orderDate, '%Y-%m') AS month, SUM(quantityOrdered * priceEach) AS revenue FROM orders JOIN orderdetails USING (orderNumber) WHERE YEAR(orderDate) = 2004 GROUP BY month ORDER BY month", 200],
      ['200 rows (a table)', 'SELECT orderNumber, productCode, quantityOrdered, priceEach FROM orderdetails ORDER BY orderNumber, productCode', 200],
      ['2,000 rows (a table)', 'SELECT orderNumber, orderLineNumber, quantityOrdered FROM orderdetails ORDER BY orderNumber, orderLineNumber', 2000],
    ] as const) {
      const result = (await mcp.client.callTool({ name: 'classic_models_query', arguments: { sql, max_rows: max } })) as CallToolResult;
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const page = await browser.newPage();
        await page.setContent(VIEW_HOST);
        await page.evaluate(([h, r]) => (window as any).startHost(h, {}, r, { theme: 'light' }), [html, result] as const);
        if (i > 0) times.push(await page.evaluate(() => (window as any).renderedIn as number));
        await page.close();
      }
      rows.push([label, (result.structuredContent as { row_count: number }).row_count, ms(median(times)), ms(percentile(times, 95))]);
    }
  } finally {
    await browser.close();
  }
  report('Result view (MCP Apps) in Chromium: from the tool result sent to the view drawn', ['result', 'rows', 'p50 ms', 'p95 ms'], rows, ['Target: 2,000 rows within a second. 7 fresh pages each, after one to warm up.']);
  expect(rows.length).toBe(3);
});
