import { ErrorCode, McpError, type GetPromptResult, type Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { ResourceName } from '../catalog/resources.js';
import { resource } from '../catalog/resources.js';
import { recordUri, type ResourceContext } from '../resources/resources.js';

/**
 * Prompts a person picks from a client's menu. Each names the tools that answer it in a few
 * calls and the arguments to pass, and embeds the record it is about (read through the API),
 * so the model starts from facts and an unknown customer or order is refused at once.
 */
export interface PromptDef {
  name: string;
  title: string;
  description: string;
  arguments: { name: string; description: string; required: boolean }[];
  /** The resources whose tools it steers to: offered only where the toolsets include them all. */
  needs: ResourceName[];
  build(args: Record<string, string>, cx: ResourceContext): Promise<GetPromptResult>;
}

const tool = (table: ResourceName) => `classic_models_list_${table}`;
const getTool = (table: ResourceName) => `classic_models_get_${resource(table).singular}`;

function integer(args: Record<string, string>, name: string): number {
  const v = (args[name] ?? '').trim();
  if (!/^\d+$/.test(v)) throw new McpError(ErrorCode.InvalidParams, `${name}: expected a number, got ${JSON.stringify(args[name] ?? '')}`);
  return Number(v);
}

/** The record as an embedded resource, or a refusal naming what does not exist. */
async function embed(cx: ResourceContext, table: ResourceName, key: Record<string, unknown>) {
  const def = resource(table);
  try {
    const row = await cx.getTool(table).run(key, { api: cx.api, signal: cx.signal, maxResultBytes: cx.maxResultBytes });
    return { type: 'resource' as const, resource: { uri: recordUri(def, row), mimeType: 'application/json', text: JSON.stringify(row) } };
  } catch (err) {
    if ((err as Error).name === 'NotFoundError') throw new McpError(ErrorCode.InvalidParams, `${(err as Error).message}`);
    throw err;
  }
}

const user = (text: string) => ({ role: 'user' as const, content: { type: 'text' as const, text } });

export const PROMPTS: PromptDef[] = [
  {
    name: 'customer_overview',
    title: 'Customer overview',
    description: "A customer's details, orders, payments and what is still owed.",
    arguments: [{ name: 'customernumber', description: 'the customer, e.g. 103', required: true }],
    needs: ['customers', 'orders', 'payments', 'orderdetails'],
    async build(args, cx) {
      const n = integer(args, 'customernumber');
      const customer = await embed(cx, 'customers', { customernumber: n });
      return {
        description: `Overview of customer ${n}`,
        messages: [
          { role: 'user', content: customer },
          user(
            [
              `Give an overview of customer ${n} (its record is attached): who they are, their sales rep, their orders and payments, and what they still owe.`,
              `- Orders: ${tool('orders')} {"customernumber": ${n}, "fields": ["ordernumber", "orderdate", "status"], "sort": ["-orderdate"]}.`,
              `- Value ordered: ${tool('orderdetails')} {"where": [{"field": "ordernumber", "op": "in", "value": [<those order numbers>]}], "metrics": [{"op": "sum", "field": "linetotal"}]} (cancelled orders aside).`,
              `- Paid: ${tool('payments')} {"customernumber": ${n}, "metrics": [{"op": "sum", "field": "amount"}, {"op": "count"}]}.`,
              `- Still owed = value ordered − paid. Compare it with the credit limit. Be brief; use a small table for the orders.`,
            ].join('\n'),
          ),
        ],
      };
    },
  },
  {
    name: 'sales_report',
    title: 'Sales report',
    description: 'Revenue for a year by product line (or, given one, by product within it) and by month.',
    arguments: [
      { name: 'year', description: 'e.g. 2004 (the sample data covers 2003 to 2005)', required: true },
      { name: 'productline', description: 'optional: one product line, e.g. Classic Cars', required: false },
    ],
    needs: ['orders', 'orderdetails', 'products'],
    async build(args, cx) {
      const year = integer(args, 'year');
      const line = args.productline?.trim() || undefined;
      const messages: GetPromptResult['messages'] = [];
      if (line && cx.names.includes('productlines')) messages.push({ role: 'user', content: await embed(cx, 'productlines', { productline: line }) });
      const period = `[{"field": "orderdate", "op": "gte", "value": "${year}-01-01"}, {"field": "orderdate", "op": "lt", "value": "${year + 1}-01-01"}, {"field": "status", "op": "ne", "value": "Cancelled"}]`;
      messages.push(
        user(
          [
            `Write a sales report for ${year}${line ? ` for the product line "${line}"` : ''}: total revenue, revenue by ${line ? 'product' : 'product line'} (largest first) and by month, and the three best-selling products.`,
            `- The year's orders: ${tool('orders')} {"where": ${period}, "fields": ["ordernumber", "orderdate"], "limit": 500}.`,
            line
              ? `- The line's products: ${tool('products')} {"productline": "${line}", "fields": ["productcode", "productname"], "limit": 500}.`
              : `- Products and their lines: ${tool('products')} {"fields": ["productcode", "productname", "productline"], "limit": 500}.`,
            `- Revenue: ${tool('orderdetails')} {"where": [{"field": "ordernumber", "op": "in", "value": [<the order numbers>]}${line ? ', {"field": "productcode", "op": "in", "value": [<the line\'s product codes>]}' : ''}], "group_by": ["productcode"], "metrics": [{"op": "sum", "field": "linetotal"}, {"op": "sum", "field": "quantityordered"}], "sort": ["-sum_linetotal"], "limit": 500}; revenue = quantityordered × priceeach.`,
            `Report amounts in dollars with two decimals, in short tables.`,
          ].join('\n'),
        ),
      );
      return { description: `Sales report ${year}${line ? `, ${line}` : ''}`, messages };
    },
  },
  {
    name: 'order_status',
    title: 'Order status',
    description: 'Where an order stands: status, dates, lines and value, the customer, and their payments.',
    arguments: [{ name: 'ordernumber', description: 'the order, e.g. 10100', required: true }],
    needs: ['orders', 'orderdetails', 'customers'],
    async build(args, cx) {
      const n = integer(args, 'ordernumber');
      const order = await embed(cx, 'orders', { ordernumber: n });
      const customer = JSON.parse(order.resource.text).customernumber;
      return {
        description: `Status of order ${n}`,
        messages: [
          { role: 'user', content: order },
          user(
            [
              `Say where order ${n} stands (its record is attached): its status, whether it shipped on time (shippeddate against requireddate), what it holds and is worth, and who ordered it.`,
              `- Lines and value: ${tool('orderdetails')} {"ordernumber": ${n}, "fields": ["productcode", "quantityordered", "priceeach", "linetotal"], "sort": ["orderlinenumber"]} and the same with {"metrics": [{"op": "sum", "field": "linetotal"}]}.`,
              `- The customer: ${getTool('customers')} {"customernumber": ${customer}}.`,
              `Answer in a few lines; mention any comments on the order.`,
            ].join('\n'),
          ),
        ],
      };
    },
  },
];

export const promptsFor = (names: ResourceName[]) => PROMPTS.filter((p) => p.needs.every((n) => names.includes(n)));

export const describePrompt = (p: PromptDef): Prompt => ({ name: p.name, title: p.title, description: p.description, arguments: p.arguments });
