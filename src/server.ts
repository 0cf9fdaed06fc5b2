import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Api } from './api/client.js';
import type { Outcome } from './audit/audit.js';
import type { AppContext } from './context.js';
import { parseArguments } from './tools/arguments.js';
import { coerceArguments, type InputSchema } from './tools/coerce.js';
import type { ToolDef } from './tools/definitions.js';
import { ApiError } from './api/errors.js';
import { formatToolError, UserInputError } from './tools/errors.js';
import { selectTools } from './tools/registry.js';
import { jsonSchema } from './tools/schemas.js';
import type { Inflight } from './transports/inflight.js';

const INSTRUCTIONS = `Tools for the Classic Models sample business database (product lines, products, offices, employees, customers, orders, payments, order lines).
List tools shape results in the server; ask for just what answers the question:
- where: [{field, op, value}] AND-ed; ops eq ne lt lte gt gte contains in; {op:"eq", value:null} finds empty fields.
- fields: columns to return; sort: ["-creditlimit"]; limit (default 50, max 500) and offset; results give total and next_offset.
- group_by + metrics [{op:"sum", field:"quantityordered"}] aggregate (count, sum, avg, min, max); metrics alone give one total row.
Example, top 5 products by quantity ordered: classic_models_list_orderdetails {group_by:["productcode"], metrics:[{op:"sum",field:"quantityordered"}], sort:["-sum_quantityordered"], limit:5}.`;

/** The tools a server offers, with their JSON Schemas computed once and shared by every session. */
export interface ToolSurface {
  tools: ToolDef[];
  listing: Tool[];
  byName: Map<string, ToolDef>;
  /** Each tool's input JSON Schema, which also drives the leniency pass in front of validation. */
  inputs: Map<string, InputSchema>;
  /**
   * The SDK gives every Server its own Ajv (to check elicitation answers, which this server never
   * asks for): ~150 KB and 3 ms each. One shared instance, made on first use, serves all sessions.
   */
  validator: jsonSchemaValidator;
}

function sharedValidator(): jsonSchemaValidator {
  let ajv: AjvJsonSchemaValidator | undefined;
  return { getValidator: (schema) => (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema) };
}

/** What tools/list says of a tool. */
export function describeTool(t: ToolDef): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: jsonSchema(t.schemas.input, 'input') as Tool['inputSchema'],
    outputSchema: jsonSchema(t.schemas.output, 'output') as Tool['outputSchema'],
    annotations: t.annotations,
  };
}

/**
 * build.mjs runs describeTool over every tool at build time and embeds the result, so a start
 * skips converting 82 zod schemas to JSON Schema. Running from source (tests), it is computed;
 * a test checks both give the same tools/list.
 */
declare const __TOOL_LISTING__: string;
const prebuilt = () => (typeof __TOOL_LISTING__ === 'string' ? new Map((JSON.parse(__TOOL_LISTING__) as Tool[]).map((t) => [t.name, t])) : undefined);

export function buildSurface(filter: { readOnly?: boolean; toolsets?: string[] }): ToolSurface {
  const tools = selectTools(filter);
  const known = prebuilt();
  const listing = tools.map((t) => known?.get(t.name) ?? describeTool(t));
  return { tools, listing, byName: new Map(tools.map((t) => [t.name, t])), inputs: new Map(listing.map((t) => [t.name, t.inputSchema as InputSchema])), validator: sharedValidator() };
}

export interface ServerOptions {
  maxResultBytes: number;
  /** Counts tool calls under way, so a shutdown can let them finish. */
  inflight?: Inflight;
  /** The API identity this session acts as (serve-sse with a users file); the context's by default. */
  api?: Api;
  hooks?: CallHooks;
}

/** What a transport can add around every tool call: fair-use admission and an audit record. */
export interface CallHooks {
  /** Refuses a call before it runs: the isError text, or undefined to go ahead. */
  admit?(tool: string): string | undefined;
  record?(e: { tool: string; outcome: Outcome; apiStatus?: number; ms: number; args: Record<string, unknown> }): void;
}

/**
 * One MCP server over the shared context. Transports create one per session; sessions share
 * the context's API client (one login, one token session for everyone) unless a users file
 * gives a session its own identity's client.
 */
export function createMcpServer(ctx: AppContext, surface: ToolSurface, opts: ServerOptions): Server {
  const server = new Server(
    { name: 'classic-models-mcp', title: 'Classic Models', version: ctx.version },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: surface.validator },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: surface.listing }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const name = req.params.name;
    const tool = surface.byName.get(name);
    const started = performance.now();
    const rawArgs = (req.params.arguments ?? {}) as Record<string, unknown>;
    let apiStatus: number | undefined;
    const record = (outcome: Outcome) => opts.hooks?.record?.({ tool: name, outcome, apiStatus, ms: Math.round(performance.now() - started), args: rawArgs });
    if (!tool) {
      record('invalid');
      const filtered = /^classic_models_(list|get|create|update|delete)_\w+$/.test(name) ? ' (it may be disabled here by --read-only or --toolsets)' : '';
      return failure(`Unknown tool "${name}"${filtered}; tools/list shows the ${surface.tools.length} available.`);
    }
    const refused = opts.hooks?.admit?.(name);
    if (refused) {
      record('rate_limited');
      return failure(refused);
    }
    const base = opts.api ?? ctx.api;
    // Every API answer's status is noted for the audit line (the last one is the call's).
    const api: Api = { baseUrl: base.baseUrl, usesApiKey: base.usesApiKey, request: (m, p, o = {}) => base.request(m, p, { ...o, onStatus: (s) => (apiStatus = s) }) };
    try {
      const args = parseArguments(tool, coerceArguments(rawArgs, surface.inputs.get(name)!));
      const running = tool.run(args, { api, signal: extra.signal, maxResultBytes: opts.maxResultBytes });
      const result = await (opts.inflight ? opts.inflight.track(running) : running);
      ctx.logger.debug(`${name} ok in ${(performance.now() - started).toFixed(0)} ms`);
      record('ok');
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (err) {
      const text = formatToolError(err, name, ctx.logger);
      ctx.logger.debug(`${name} failed in ${(performance.now() - started).toFixed(0)} ms${err instanceof UserInputError ? ' (arguments)' : ''}`);
      if (err instanceof ApiError && err.status) apiStatus = err.status;
      record(err instanceof UserInputError ? 'invalid' : 'error');
      return failure(text);
    }
  });
  return server;
}

const failure = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });
