import { z } from 'zod';
import { RESOURCES } from '../catalog/resources.js';
import { MYSQL_FUNCTIONS } from '../query/functions.js';
import { hints, lazySchemas, type ToolDef } from './definitions.js';

export const DEFAULT_MAX_ROWS = 200;
const MAX_ROWS = 2_000;

/**
 * The schema in the fewest bytes a model reads right: each table with its columns, the key
 * starred, a foreign key as →table. From the catalog, like everything else.
 */
function compactSchema(): string {
  return RESOURCES.map((r) => `${r.name}(${r.fields.filter((f) => !f.readOnly).map((f) => `${f.name}${r.key.includes(f.name) ? '*' : ''}${f.fk ? `→${f.fk}` : ''}`).join(', ')})`).join('\n');
}

export const QUERY_TOOL = 'classic_models_query';

/** Read-only SQL over the eight tables: any question that joins or aggregates, in one call. */
export function queryTool(): ToolDef {
  return {
    name: QUERY_TOOL,
    title: 'SQL query',
    description: `One read-only SELECT (or WITH … SELECT) over the Classic Models data, for anything that joins or aggregates across tables. SQLite with MySQL's functions; names match in any case (customerNumber).
Tables (* key, → joins that table's key):
${compactSchema()}
Dates are 'YYYY-MM-DD'; money is decimal; a line is worth quantityordered*priceeach. MySQL functions such as ${MYSQL_FUNCTIONS.filter((f) => ['YEAR', 'MONTH', 'DATE_FORMAT', 'DATEDIFF', 'CONCAT', 'IF', 'IFNULL'].includes(f)).join(', ')} work.
E.g. SELECT productline, SUM(quantityordered*priceeach) AS revenue FROM orderdetails JOIN products USING (productcode) GROUP BY productline ORDER BY revenue DESC`,
    kind: 'query',
    toolset: 'query',
    schemas: lazySchemas(
      () =>
        z.strictObject({
          sql: z
            .string({ error: 'expected the SQL text' })
            .refine((s) => s.trim() !== '', { error: 'may not be blank' })
            .refine((s) => s.length <= 20_000, { error: 'at most 20000 characters' })
            .describe('one SELECT'),
          max_rows: z.number().int().min(1).max(MAX_ROWS).optional().describe(`default ${DEFAULT_MAX_ROWS}`),
        }),
      () =>
        z.object({
          columns: z.array(z.string()),
          rows: z.array(z.array(z.unknown())),
          row_count: z.number().int(),
          as_of: z.string(),
          age_s: z.number().int(),
          truncated: z.boolean().optional(),
          note: z.string().optional(),
        }),
    ),
    annotations: hints('query'),
    async run(args, cx) {
      if (!cx.query) throw new Error('the query engine is not available in this context');
      const result = await cx.query().run(cx.api, args.sql as string, { maxRows: (args.max_rows as number | undefined) ?? DEFAULT_MAX_ROWS, maxBytes: cx.maxResultBytes, signal: cx.signal });
      return { ...result };
    },
  };
}
