import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { call, connectStdio, type Connected } from '../helpers/mcp.js';
import { report } from './lib.js';

let replica: Replica;
let mcp: Connected;

beforeAll(async () => {
  replica = await startReplica();
  mcp = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: replica.url });
});
afterAll(async () => {
  await mcp.close();
  await replica.stop();
});

type Step = [tool: string, args: Record<string, unknown>];
const once = (tool: string, args: Record<string, unknown>) => (prev: any[]): Step | null => (prev.length ? null : [tool, args]);
interface Question {
  q: string;
  /** The next call given the results so far; null when answered. */
  steps: (previous: any[]) => Step | null;
  /** The whole lists the old server returned for it. */
  naive: string[];
}

const QUESTIONS: Question[] = [
  { q: 'Which orders are on hold?', naive: ['orders'], steps: once('classic_models_list_orders', { where: [{ field: 'status', op: 'eq', value: 'On Hold' }], fields: ['ordernumber', 'customernumber', 'orderdate', 'comments'] }) },
  { q: 'Top 5 customers by credit limit', naive: ['customers'], steps: once('classic_models_list_customers', { sort: ['-creditlimit'], limit: 5, fields: ['customername', 'creditlimit'] }) },
  {
    q: 'Total payments in 2004',
    naive: ['payments'],
    steps: once('classic_models_list_payments', { where: [{ field: 'paymentdate', op: 'gte', value: '2004-01-01' }, { field: 'paymentdate', op: 'lt', value: '2005-01-01' }], metrics: [{ op: 'sum', field: 'amount' }, { op: 'count' }] }),
  },
  { q: 'The lines of order 10100', naive: ['orderdetails'], steps: once('classic_models_list_orderdetails', { ordernumber: 10100, fields: ['productcode', 'quantityordered', 'priceeach', 'linetotal'] }) },
  {
    q: 'Employees of the Paris office',
    naive: ['offices', 'employees'],
    steps: (prev) =>
      prev.length === 0
        ? ['classic_models_list_offices', { where: [{ field: 'city', op: 'eq', value: 'Paris' }], fields: ['officecode'] }]
        : prev.length === 1
          ? ['classic_models_list_employees', { officecode: prev[0].rows[0].officecode, fields: ['firstname', 'lastname', 'jobtitle'] }]
          : null,
  },
  {
    q: 'Top 5 products by quantity ordered',
    naive: ['orderdetails'],
    steps: once('classic_models_list_orderdetails', { group_by: ['productcode'], metrics: [{ op: 'sum', field: 'quantityordered' }], sort: ['-sum_quantityordered'], limit: 5 }),
  },
  {
    q: 'Revenue per product line',
    naive: ['orderdetails', 'products'],
    steps: once('classic_models_query', { sql: 'SELECT productline, SUM(quantityordered * priceeach) AS revenue FROM orderdetails JOIN products USING (productcode) GROUP BY productline ORDER BY revenue DESC' }),
  },
  {
    q: 'The sales rep who brought in the most revenue in 2004',
    naive: ['orderdetails', 'orders', 'customers', 'employees'],
    steps: once('classic_models_query', {
      sql: "SELECT CONCAT(e.firstName, ' ', e.lastName) AS rep, SUM(od.quantityOrdered * od.priceEach) AS revenue FROM employees e JOIN customers c ON c.salesRepEmployeeNumber = e.employeeNumber JOIN orders o USING (customerNumber) JOIN orderdetails od USING (orderNumber) WHERE YEAR(o.orderDate) = 2004 GROUP BY e.employeeNumber ORDER BY revenue DESC LIMIT 1",
    }),
  },
  { q: 'Customers without a sales rep', naive: ['customers'], steps: once('classic_models_list_customers', { where: [{ field: 'salesrepemployeenumber', op: 'eq', value: null }], fields: ['customername', 'country'], limit: 500 }) },
  { q: 'Customers per country, top 5', naive: ['customers'], steps: once('classic_models_list_customers', { group_by: ['country'], metrics: [{ op: 'count' }], sort: ['-count'], limit: 5 }) },
  { q: 'Average MSRP per product line', naive: ['products'], steps: once('classic_models_list_products', { group_by: ['productline'], metrics: [{ op: 'avg', field: 'msrp' }], sort: ['-avg_msrp'] }) },
  { q: 'Products with fewer than 1,000 in stock', naive: ['products'], steps: once('classic_models_list_products', { where: [{ field: 'quantityinstock', op: 'lt', value: 1000 }], fields: ['productname', 'quantityinstock'], sort: ['quantityinstock'] }) },
  { q: 'The largest single payment', naive: ['payments'], steps: once('classic_models_list_payments', { sort: ['-amount'], limit: 1, fields: ['customernumber', 'checknumber', 'amount', 'paymentdate'] }) },
  { q: 'Orders of customer 103', naive: ['orders'], steps: once('classic_models_list_orders', { customernumber: 103, fields: ['ordernumber', 'orderdate', 'status'] }) },
  { q: 'Customers per sales rep', naive: ['customers'], steps: once('classic_models_list_customers', { group_by: ['salesrepemployeenumber'], metrics: [{ op: 'count' }], sort: ['-count'], limit: 500 }) },
];

async function wholeListBytes(resource: string): Promise<number> {
  const login = await fetch(`${replica.url}/classic-models/api/auth/login/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'demo123' }) });
  const { access } = (await login.json()) as { access: string };
  const res = await fetch(`${replica.url}/classic-models/api/v1/${resource}/`, { headers: { Authorization: `Bearer ${access}` } });
  return Buffer.byteLength(await res.text());
}

it(`context economy: ${QUESTIONS.length} questions, bytes returned vs the whole tables`, async () => {
  const sizes = new Map<string, number>();
  for (const r of ['orders', 'customers', 'payments', 'orderdetails', 'offices', 'employees', 'products']) sizes.set(r, await wholeListBytes(r));
  const rows: (string | number)[][] = [];
  let ours = 0;
  let naive = 0;
  for (const question of QUESTIONS) {
    const results: any[] = [];
    let bytes = 0;
    for (let step = question.steps(results); step; step = question.steps(results)) {
      const r = await call(mcp.client, step[0], step[1]);
      expect(r.isError, `${question.q}: ${r.text}`).toBe(false);
      results.push(r.data);
      bytes += r.bytes;
    }
    const whole = question.naive.reduce((s, r) => s + sizes.get(r)!, 0);
    ours += bytes;
    naive += whole;
    rows.push([question.q, results.length, bytes, whole, (whole / bytes).toFixed(0) + '×']);
  }
  rows.push(['**total**', '', ours, naive, `**${(naive / ours).toFixed(0)}×**`]);
  const { tools } = await mcp.client.listTools();
  const full = Buffer.byteLength(JSON.stringify(tools));
  const modelFacing = Buffer.byteLength(JSON.stringify(tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }))));
  report('Context economy: bytes the server returns to answer each question, vs the whole tables', ['question', 'calls', 'bytes returned', 'whole-table bytes', 'fewer'], rows, [
    `tools/list: ${full} bytes in full; ${modelFacing} bytes of name + description + inputSchema for all ${tools.length} tools (what the model reads every turn). Target: at least 50× fewer bytes over the set.`,
  ]);
  expect(naive / ours).toBeGreaterThan(1);
});
