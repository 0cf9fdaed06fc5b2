import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { call } from './mcp.js';

/**
 * What real clients and models send, end to end: accepted when unambiguous, refused with the
 * field named otherwise. The same checks against the replica and the real API.
 */
export async function checkLeniency(client: Client) {
  const ok = async (tool: string, args: Record<string, unknown>) => {
    const r = await call(client, tool, args);
    expect(r.isError, `${tool} ${JSON.stringify(args)}: ${r.text}`).toBe(false);
    return r.data;
  };
  expect(await ok('classic_models_get_office', { officecode: 1 })).toMatchObject({ officecode: '1', city: 'San Francisco' });
  expect(await ok('classic_models_get_customer', { customernumber: '103' })).toMatchObject({ customernumber: 103 });
  expect(await ok('classic_models_get_customer', { customerNumber: 103 })).toMatchObject({ customernumber: 103 });
  expect(await ok('classic_models_get_payment', { Customer_Number: '103', checkNumber: 'HQ336336' })).toMatchObject({ amount: '6066.78' });
  const usa = await ok('classic_models_list_customers', {
    where: '[{"field":"Country","op":"EQ","value":"USA"},{"field":"creditLimit","op":"gt","value":100000}]',
    sort: '-creditLimit',
    fields: 'customerNumber,creditLimit',
    limit: '2',
  });
  expect(usa.rows).toEqual([
    { customernumber: 124, creditlimit: '210500.00' },
    { customernumber: 151, creditlimit: '138500.00' },
  ]);
  const grouped = await ok('classic_models_list_orders', { Where: { field: 'status', op: 'NE', value: 'Shipped' }, group_by: 'Status', metrics: '{"op":"COUNT"}', sort: '-count, Status' });
  expect(grouped.rows.slice(0, 2)).toEqual([{ status: 'Cancelled', count: 6 }, { status: 'In Process', count: 6 }]);

  const refused = async (tool: string, args: Record<string, unknown>, message: string) => {
    const r = await call(client, tool, args);
    expect(r.isError, tool).toBe(true);
    expect(r.text).toContain(message);
  };
  await refused('classic_models_get_customer', { customernumber: 'abc' }, 'customernumber: expected an integer');
  await refused('classic_models_get_customer', { customernumber: '103.5' }, 'customernumber: expected an integer');
  await refused('classic_models_list_customers', { limit: 'lots' }, 'limit');
  await refused('classic_models_list_customers', { where: [{ field: 'contry', op: 'eq', value: 'USA' }] }, 'unknown field "contry"; valid fields: country, ');
  await refused('classic_models_create_office', { officecode: 'Z9', cty: 'Paris' }, 'unknown parameter cty; valid: city, ');
}
