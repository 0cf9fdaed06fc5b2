import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { TableCache } from './api/tables.js';
import { iconPng } from './packaging/icon.js';
import { RESULT_VIEW_MIME, RESULT_VIEW_URI, resultViewHtml, UI_EXTENSION } from './views/result-view.js';
import { loadQueryWorker } from './lazy.js';
import { QueryEngine, type QueryOptions } from './query/engine.js';
import { RESOURCES, type ResourceName } from './catalog/resources.js';
import { complete, type CompleteRequest } from './completions/completions.js';
import { forwardApiEvents } from './log/notices.js';
import { describePrompt, promptsFor } from './prompts/prompts.js';
import { listResources, readResource, resourceTemplates, type ResourceContext } from './resources/resources.js';
import { allTools } from './tools/registry.js';
import { QUERY_TOOL } from './tools/query.js';
import type { Api } from './api/client.js';
import type { Outcome } from './audit/audit.js';
import type { AppContext } from './context.js';
import type { Config } from './config/config.js';
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

const QUERY_INSTRUCTIONS = `
For anything that joins or aggregates across tables (revenue per product line, the best sales rep of a year, what a customer still owes), use classic_models_query: one SQL SELECT as MySQL tutorials write it, answered in one call. Use the list and get tools for plain lookups and the create, update and delete tools to change data.`;

const instructionsFor = (surface: ToolSurface) => INSTRUCTIONS + (surface.byName.has(QUERY_TOOL) ? QUERY_INSTRUCTIONS : '');

/** The tools a server offers, with their JSON Schemas computed once and shared by every session. */
export interface ToolSurface {
  tools: ToolDef[];
  listing: Tool[];
  byName: Map<string, ToolDef>;
  /** Each tool's input JSON Schema, which also drives the leniency pass in front of validation. */
  inputs: Map<string, InputSchema>;
  /** The resources the toolsets cover: what resources, prompts and completions may speak of. */
  names: ResourceName[];
  /** Get tools of every resource: resources and prompts read records with them, whatever --read-only hides. */
  getTools: Map<ResourceName, ToolDef>;
  /** Whole tables read for completions and queries, kept per API identity, dropped by writes. */
  tables: TableCache;
  /** classic_models_query's engine, made on first use (its worker threads only when a query runs). */
  query(): QueryEngine;
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

/** `base`: a surface whose tables and query engine this one shares (a read-only view of the same server). */
export function buildSurface(filter: { readOnly?: boolean; toolsets?: string[]; query?: Partial<QueryOptions> }, base?: ToolSurface): ToolSurface {
  const tools = selectTools(filter);
  const known = prebuilt();
  const listing = tools.map((t) => known?.get(t.name) ?? describeTool(t));
  const names = RESOURCES.map((r) => r.name).filter((n) => !filter.toolsets?.length || filter.toolsets.includes(n));
  const tables = base?.tables ?? new TableCache();
  let engine: QueryEngine | undefined;
  return {
    tools,
    listing,
    byName: new Map(tools.map((t) => [t.name, t])),
    inputs: new Map(listing.map((t) => [t.name, t.inputSchema as InputSchema])),
    names,
    getTools: new Map(allTools().filter((t) => t.kind === 'get').map((t) => [t.resource!, t])),
    tables,
    query: base?.query ?? (() =>
      (engine ??= new QueryEngine({ timeoutMs: 5_000, cacheSeconds: 30, memoryMb: 256, ...filter.query, tables, load: loadQueryWorker }))),
    validator: base?.validator ?? sharedValidator(),
  };
}

/** The query engine's settings from the configuration. */
export const queryOptions = (c: Config): Partial<QueryOptions> => ({ timeoutMs: c.queryTimeoutMs, cacheSeconds: c.queryCacheSeconds, memoryMb: c.queryMemoryMb });

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
    { name: 'classic-models-mcp', title: 'Classic Models', version: ctx.version, icons: serverIcons() },
    { capabilities: { tools: {}, resources: {}, prompts: {}, completions: {}, logging: {} }, instructions: instructionsFor(surface), jsonSchemaValidator: surface.validator },
  );
  const base = opts.api ?? ctx.api;
  // Hosts that render MCP Apps see which tools have a view; everyone else sees the same tools as ever.
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: rendersViews(server) ? viewListing(surface) : surface.listing }));
  registerContext(server, ctx, surface, base, opts.maxResultBytes);
  const stopNotices = forwardApiEvents(server, base, ctx.logger);
  server.onclose = stopNotices;
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
    // Every API answer's status is noted for the audit line (the last one is the call's).
    const api: Api = { baseUrl: base.baseUrl, usesApiKey: base.usesApiKey, request: (m, p, o = {}) => base.request(m, p, { ...o, onStatus: (s) => (apiStatus = s) }) };
    // What a write changed must not be read back from a cached table, whether or not it answered
    // (one that timed out may well have been done).
    const dropWritten = () => tool.resource && tool.kind !== 'list' && tool.kind !== 'get' && surface.tables.drop(base, tool.resource);
    try {
      const args = parseArguments(tool, coerceArguments(rawArgs, surface.inputs.get(name)!));
      const running = tool.run(args, { api: tool.kind === 'query' ? base : api, signal: extra.signal, maxResultBytes: opts.maxResultBytes, query: surface.query });
      const result = await (opts.inflight ? opts.inflight.track(running) : running);
      dropWritten();
      ctx.logger.debug(`${name} ok in ${(performance.now() - started).toFixed(0)} ms`);
      record('ok');
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (err) {
      dropWritten();
      const text = formatToolError(err, name, ctx.logger);
      ctx.logger.debug(`${name} failed in ${(performance.now() - started).toFixed(0)} ms${err instanceof UserInputError ? ' (arguments)' : ''}`);
      if (err instanceof ApiError && err.status) apiStatus = err.status;
      record(err instanceof UserInputError ? 'invalid' : 'error');
      return failure(text);
    }
  });
  return server;
}

/** Whether the client renders MCP Apps views (it says so in initialize, SEP-1865). */
function rendersViews(server: Server): boolean {
  const ui = (server.getClientCapabilities()?.extensions as Record<string, { mimeTypes?: string[] }> | undefined)?.[UI_EXTENSION];
  return Boolean(ui && (!ui.mimeTypes || ui.mimeTypes.includes(RESULT_VIEW_MIME)));
}

const VIEW_RESOURCE = { uri: RESULT_VIEW_URI, name: 'result-view', title: 'Result view', description: 'A table and chart of a query or list result, for hosts that render MCP Apps.', mimeType: RESULT_VIEW_MIME };
const viewListings = new WeakMap<ToolSurface, Tool[]>();

/** tools/list for a host that renders views: the SQL tool and the list tools name the result view. */
function viewListing(surface: ToolSurface): Tool[] {
  let listing = viewListings.get(surface);
  if (!listing) {
    listing = surface.listing.map((t) => (t.name === QUERY_TOOL || surface.byName.get(t.name)?.kind === 'list' ? { ...t, _meta: { ...t._meta, ui: { resourceUri: RESULT_VIEW_URI } } } : t));
    viewListings.set(surface, listing);
  }
  return listing;
}

declare const __ICON_PNG__: string;
let icons: { src: string; mimeType: string; sizes: string[] }[] | undefined;
/** The icon clients show for the server (MCP 2025-11-25), the one the MCP Bundle carries; drawn at build time. */
function serverIcons() {
  if (!icons) {
    const png = typeof __ICON_PNG__ === 'string' ? __ICON_PNG__ : iconPng().toString('base64');
    icons = [{ src: `data:image/png;base64,${png}`, mimeType: 'image/png', sizes: ['512x512'] }];
  }
  return icons;
}

const failure = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/**
 * Resources, prompts and completions: the context a client attaches or a person picks, read
 * through the same API identity as the session's tools. Failures reach the client as one-line
 * JSON-RPC errors, never a stack or an HTML page.
 */
function registerContext(server: Server, ctx: AppContext, surface: ToolSurface, api: Api, maxResultBytes: number) {
  const cx = (signal?: AbortSignal): ResourceContext => ({ names: surface.names, api, tables: surface.tables, getTool: (n) => surface.getTools.get(n)!, maxResultBytes, signal });
  const guarded = <T>(what: string, run: () => Promise<T>): Promise<T> =>
    run().catch((err) => {
      if (err instanceof McpError) throw err;
      throw new McpError(ErrorCode.InternalError, formatToolError(err, what, ctx.logger));
    });
  const prompts = promptsFor(surface.names);
  server.setRequestHandler(ListResourcesRequestSchema, (req, extra) =>
    guarded('resources/list', async () => {
      const page = await listResources(cx(extra.signal), req.params?.cursor);
      return rendersViews(server) && !req.params?.cursor ? { ...page, resources: [VIEW_RESOURCE, ...page.resources] } : page;
    }),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: resourceTemplates(surface.names) }));
  server.setRequestHandler(ReadResourceRequestSchema, (req, extra) =>
    guarded('resources/read', async () => (req.params.uri === RESULT_VIEW_URI ? { contents: [{ uri: RESULT_VIEW_URI, mimeType: RESULT_VIEW_MIME, text: resultViewHtml() }] } : readResource(cx(extra.signal), req.params.uri))),
  );
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: prompts.map(describePrompt) }));
  server.setRequestHandler(GetPromptRequestSchema, (req, extra) =>
    guarded('prompts/get', async () => {
      const prompt = prompts.find((p) => p.name === req.params.name);
      if (!prompt) throw new McpError(ErrorCode.InvalidParams, `unknown prompt "${req.params.name}"; prompts: ${prompts.map((p) => p.name).join(', ')}`);
      const args = req.params.arguments ?? {};
      const missing = prompt.arguments.filter((a) => a.required && !args[a.name]?.trim()).map((a) => a.name);
      if (missing.length) throw new McpError(ErrorCode.InvalidParams, `missing argument${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
      return prompt.build(args, cx(extra.signal));
    }),
  );
  server.setRequestHandler(CompleteRequestSchema, (req) =>
    guarded('completion/complete', async () => ({ completion: await complete({ names: surface.names, api, tables: surface.tables }, req.params as CompleteRequest) })),
  );
}
