import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

/**
 * The MCP surface beyond tools (resources, prompts, completions), checked the same way against
 * the replica and the real API, over any transport. Expectations are the sample data's.
 */
export async function checkSurface(client: Client, o: { exact?: boolean } = {}) {
  // The real API's database is shared with suites that add records for a moment: counts there
  // are at least the sample's.
  const count = (n: number) => (o.exact === false ? expect.any(Number) : n);
  // resources/list: the schema, three reference tables and their 37 records, in pages of 25.
  const first = await client.listResources();
  expect(first.resources[0]).toMatchObject({ uri: 'classicmodels://schema', mimeType: 'application/json' });
  expect(first.resources).toHaveLength(25);
  expect(first.nextCursor).toBeTypeOf('string');
  const second = await client.listResources({ cursor: first.nextCursor });
  expect(second.nextCursor).toBeUndefined();
  const uris = [...first.resources, ...second.resources].map((r) => r.uri);
  expect(new Set(uris).size).toBe(uris.length);
  expect(uris.length).toEqual(count(1 + 3 + 7 + 7 + 23));
  expect(uris.length).toBeGreaterThanOrEqual(1 + 3 + 7 + 7 + 23);
  expect(uris).toContain('classicmodels://productlines/Classic%20Cars');
  expect(uris).toContain('classicmodels://employees/1002');
  expect(uris.some((u) => u.startsWith('classicmodels://orderdetails'))).toBe(false);
  await expect(client.listResources({ cursor: 'not-a-cursor' })).rejects.toThrow(/invalid cursor/);

  const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  expect(templates).toContain('classicmodels://payments/{customernumber}/{checknumber}');
  expect(templates).toHaveLength(8);

  const read = async (uri: string) => JSON.parse(((await client.readResource({ uri })).contents[0] as { text: string }).text);
  const schema = await read('classicmodels://schema');
  expect(schema.tables.map((t: { name: string }) => t.name)).toEqual(['productlines', 'products', 'offices', 'employees', 'customers', 'orders', 'payments', 'orderdetails']);
  expect(schema.joins).toContain('orders.customernumber = customers.customernumber');
  expect(await read('classicmodels://customers/103')).toMatchObject({ customernumber: 103, customername: 'Atelier graphique' });
  expect(await read('classicmodels://payments/103/HQ336336')).toMatchObject({ amount: '6066.78' });
  expect(await read('classicmodels://orderdetails/10100/S18_1749')).toMatchObject({ quantityordered: 30 });
  expect(await read('classicmodels://productlines/Classic%20Cars')).toMatchObject({ productline: 'Classic Cars' });
  expect((await read('classicmodels://offices')).length).toEqual(count(7));
  await expect(client.readResource({ uri: 'classicmodels://customers/1' })).rejects.toMatchObject({ code: -32002, message: expect.stringContaining('no customer 1') });
  await expect(client.readResource({ uri: 'classicmodels://orderdetails' })).rejects.toMatchObject({ code: -32002 });

  // prompts: listed with their arguments; each embeds its record and names the tools to call.
  const prompts = (await client.listPrompts()).prompts;
  expect(prompts.map((p) => p.name)).toEqual(['customer_overview', 'sales_report', 'order_status']);
  const overview = await client.getPrompt({ name: 'customer_overview', arguments: { customernumber: '103' } });
  expect(overview.messages[0].content).toMatchObject({ type: 'resource', resource: { uri: 'classicmodels://customers/103' } });
  expect(JSON.stringify(overview.messages[1].content)).toContain('classic_models_list_payments');
  const report = await client.getPrompt({ name: 'sales_report', arguments: { year: '2004' } });
  expect(JSON.stringify(report.messages)).toContain('2004-01-01');
  const status = await client.getPrompt({ name: 'order_status', arguments: { ordernumber: '10100' } });
  expect(JSON.stringify(status.messages)).toContain('classic_models_get_customer');
  await expect(client.getPrompt({ name: 'order_status', arguments: { ordernumber: '1' } })).rejects.toThrow(/no order 1/);
  await expect(client.getPrompt({ name: 'customer_overview', arguments: {} })).rejects.toThrow(/missing argument: customernumber/);

  // completion/complete: keys by prefix (or by name), at most 100, with total and hasMore.
  const done = async (ref: any, name: string, value: string, context?: Record<string, string>) => (await client.complete({ ref, argument: { name, value }, context: context && { arguments: context } })).completion;
  expect(await done({ type: 'ref/prompt', name: 'customer_overview' }, 'customernumber', '11')).toEqual({ values: ['112', '114', '119'], total: 3, hasMore: false });
  expect((await done({ type: 'ref/prompt', name: 'customer_overview' }, 'customernumber', 'atel')).values).toEqual(['103']);
  expect((await done({ type: 'ref/prompt', name: 'sales_report' }, 'year', '')).values).toEqual(['2003', '2004', '2005']);
  expect((await done({ type: 'ref/prompt', name: 'sales_report' }, 'productline', 'cl')).values).toEqual(['Classic Cars']);
  expect((await done({ type: 'ref/resource', uri: 'classicmodels://payments/{customernumber}/{checknumber}' }, 'checknumber', '', { customernumber: '103' })).values).toEqual(['HQ336336', 'JM555205', 'OM314933']);
  const many = await done({ type: 'ref/resource', uri: 'classicmodels://orderdetails/{ordernumber}/{productcode}' }, 'ordernumber', '');
  expect(many).toMatchObject({ total: count(326), hasMore: true });
  expect(many.values).toHaveLength(100);
  expect(await done({ type: 'ref/resource', uri: 'classicmodels://nope/{x}' }, 'x', '')).toEqual({ values: [], total: 0, hasMore: false });
  expect(await done({ type: 'ref/prompt', name: 'nope' }, 'x', '')).toEqual({ values: [], total: 0, hasMore: false });
}

/** Collects the session's log notifications, for waiting on one. */
export function notifications(client: Client) {
  const seen: LoggingMessageNotification['params'][] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.push(n.params));
  return {
    seen,
    async next(match: RegExp, timeoutMs = 3_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((m) => match.test(String(m.data)));
        if (found) return found;
        if (Date.now() > until) throw new Error(`no notification like ${match} (got: ${seen.map((m) => m.data).join(' | ')})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
