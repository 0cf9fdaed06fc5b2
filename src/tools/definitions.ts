import { z } from 'zod';
import type { Api } from '../api/client.js';
import { ApiError } from '../api/errors.js';
import { RESOURCES, referencesTo, resource, writableFields, type ResourceDef, type ResourceName } from '../catalog/resources.js';
import { fitList, fitRecord } from './budget.js';
import { NotFoundError, StillReferencedError, UserInputError } from './errors.js';
import { deleteOutput, fieldInput, keyInput, listOutput, recordOutput, shapeInput, columnsOf, userOutput } from './schemas.js';
import type { QueryEngine } from '../query/engine.js';
import { applyShape, resolveShape, type Condition, type Row, type Shape } from './shaping.js';

export type ToolKind = 'list' | 'get' | 'create' | 'update' | 'delete' | 'whoami' | 'query';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What a handler gets for one call: the shared API client, the call's cancel signal, the budget. */
export interface CallContext {
  api: Api;
  signal?: AbortSignal;
  maxResultBytes: number;
  /** The SQL engine of classic_models_query, started on first use. */
  query?(): QueryEngine;
}

/** A tool as data: the registry filters these, the server registers what remains. */
export interface ToolDef {
  name: string;
  title: string;
  description: string;
  kind: ToolKind;
  /** The resource it reads or writes; also its toolset. */
  resource?: ResourceName;
  /** A toolset that is no resource (query); whoami, with neither, belongs to all. */
  toolset?: string;
  /** zod input (the parser) and output schemas, built on first use. */
  schemas: { readonly input: z.ZodObject; readonly output: z.ZodType };
  annotations: ToolAnnotations;
  run(args: Record<string, unknown>, cx: CallContext): Promise<Record<string, unknown>>;
}

/**
 * zod schemas are built on first use: a server start needs only the tool names and the JSON
 * Schemas (prebuilt into the bundle), and building 80 schemas costs start-up time for nothing.
 */
export function lazySchemas<I extends z.ZodObject, O extends z.ZodType>(input: () => I, output: () => O): { readonly input: I; readonly output: O } {
  let i: I | undefined;
  let o: O | undefined;
  return {
    get input() {
      return (i ??= input());
    },
    get output() {
      return (o ??= output());
    },
  };
}

export const hints = (kind: ToolKind): ToolAnnotations => ({
  readOnlyHint: kind === 'list' || kind === 'get' || kind === 'whoami' || kind === 'query',
  destructiveHint: kind === 'delete',
  idempotentHint: kind === 'update' || kind === 'delete',
  openWorldHint: false,
});

/** The parameters naming one record: its key fields, as the API spells them. */
const keyParams = (def: ResourceDef) => Object.fromEntries(def.key.map((k) => [k, keyInput(def.fields.find((f) => f.name === k)!)]));

const keyText = (def: ResourceDef, key: Record<string, unknown>) =>
  def.key.length === 1 ? String(key[def.key[0]]) : `(${def.key.map((k) => `${k} ${key[k]}`).join(', ')})`;

const pick = (args: Record<string, unknown>, names: string[]) => Object.fromEntries(names.filter((n) => args[n] !== undefined).map((n) => [n, args[n]]));

/** Runs an API call, turning its 404 into "Not found: no <label> <key>". */
async function orNotFound<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new NotFoundError(`Not found: no ${what}`);
    throw err;
  }
}

// ---------------------------------------------------------------- list

function listTool(def: ResourceDef): ToolDef {
  const columns = columnsOf(def);
  const parentParams = () =>
    Object.fromEntries(
      def.relations.map((rel) => {
        const f = def.fields.find((x) => x.name === rel.field)!;
        return [rel.field, keyInput(f).optional()];
      }),
    );
  const parentNote = def.relations.length ? ` Filter by parent: ${def.relations.map((r) => r.field).join(' or ')}.` : '';
  const derivedNote = def.derived?.length ? ` ${def.derived.map((d) => `${d.name} = ${d.hint}`).join('; ')}.` : '';
  return {
    name: `classic_models_list_${def.name}`,
    title: `List ${def.label}s`,
    description: `${def.summary}. Columns: ${Object.keys(columns).join(', ')}.${parentNote}${derivedNote}`,
    kind: 'list',
    resource: def.name,
    schemas: lazySchemas(() => z.strictObject({ ...parentParams(), ...shapeInput() }), () => listOutput),
    annotations: hints('list'),
    async run(args, cx) {
      const shape = resolveShape(args as Shape, columns);
      const where: Condition[] = [...(shape.where ?? [])];

      // A parent filter reads v1/{parent}/{value}/{segment}/ instead of the whole table: given
      // as a parameter, or recognised as an eq condition in where.
      const given = def.relations.filter((r) => args[r.field] !== undefined);
      for (const rel of given.slice(1)) where.push({ field: rel.field, op: 'eq', value: args[rel.field] as string | number });
      let rows: Row[];
      if (given.length) {
        const rel = given[0];
        const value = args[rel.field];
        rows = await orNotFound(cx.api.request<Row[]>('GET', ['v1', rel.parent, String(value), rel.segment], { signal: cx.signal }), `${resource(rel.parent).label} ${value}`);
      } else {
        const cond = where.find((c) => c.op === 'eq' && c.value !== null && !Array.isArray(c.value) && def.relations.some((r) => r.field === c.field));
        const rel = cond && def.relations.find((r) => r.field === cond.field)!;
        if (rel && cond) {
          try {
            rows = await cx.api.request<Row[]>('GET', ['v1', rel.parent, String(cond.value), rel.segment], { signal: cx.signal });
          } catch (err) {
            // No such parent: nothing can match the condition.
            if (err instanceof ApiError && err.status === 404) rows = [];
            else throw err;
          }
        } else rows = await cx.api.request<Row[]>('GET', ['v1', def.name], { signal: cx.signal });
      }
      if (!Array.isArray(rows)) throw new Error(`the API answered GET v1/${def.name}/ with a ${typeof rows}, not a list`);
      if (def.derived?.length) rows = rows.map((r) => ({ ...r, ...Object.fromEntries(def.derived!.map((d) => [d.name, d.compute(r)])) }));
      return { ...fitList(applyShape(rows, { ...shape, where }, columns), cx.maxResultBytes) };
    },
  };
}

// ---------------------------------------------------------------- get

function getTool(def: ResourceDef): ToolDef {
  return {
    name: `classic_models_get_${def.singular}`,
    title: `Get a ${def.label}`,
    description: `One ${def.label} by ${def.key.join(' + ')}.`,
    kind: 'get',
    resource: def.name,
    schemas: lazySchemas(() => z.strictObject(keyParams(def)), () => recordOutput(def)),
    annotations: hints('get'),
    async run(args, cx) {
      const what = `${def.label} ${keyText(def, args)}`;
      if (def.noItemGet) {
        // The API has no GET for one order line: read the order's lines and pick the product.
        const [parentKey, childKey] = def.key;
        const lines = await orNotFound(cx.api.request<Row[]>('GET', ['v1', def.name, String(args[parentKey])], { signal: cx.signal }), what);
        const line = lines.find((l) => String(l[childKey]) === String(args[childKey]));
        if (!line) throw new NotFoundError(`Not found: no ${what}`);
        return fitRecord(line, cx.maxResultBytes);
      }
      const row = await orNotFound(cx.api.request<Row>('GET', ['v1', def.name, ...def.key.map((k) => String(args[k]))], { signal: cx.signal }), what);
      return fitRecord(row, cx.maxResultBytes);
    },
  };
}

// ---------------------------------------------------------------- writes

function createTool(def: ResourceDef): ToolDef {
  const fields = writableFields(def);
  return {
    name: `classic_models_create_${def.singular}`,
    title: `Create a ${def.label}`,
    description: `Create one ${def.label}; returns it.`,
    kind: 'create',
    resource: def.name,
    schemas: lazySchemas(() => z.strictObject(Object.fromEntries(fields.map((f) => [f.name, f.required ? fieldInput(f) : fieldInput(f).optional()]))), () => recordOutput(def)),
    annotations: hints('create'),
    async run(args, cx) {
      return cx.api.request<Row>('POST', ['v1', def.name], { body: pick(args, fields.map((f) => f.name)), signal: cx.signal });
    },
  };
}

function updateTool(def: ResourceDef): ToolDef {
  const changeable = writableFields(def).filter((f) => !def.key.includes(f.name));
  return {
    name: `classic_models_update_${def.singular}`,
    title: `Update a ${def.label}`,
    description: `Change the given fields of one ${def.label}; returns it.`,
    kind: 'update',
    resource: def.name,
    schemas: lazySchemas(
      () =>
        z.strictObject({
          ...keyParams(def),
          ...Object.fromEntries(changeable.map((f) => [f.name, fieldInput(f).optional()])),
        }),
      () => recordOutput(def),
    ),
    annotations: hints('update'),
    async run(args, cx) {
      const body = pick(args, changeable.map((f) => f.name));
      if (!Object.keys(body).length) throw new UserInputError(`nothing to change: give at least one of ${changeable.map((f) => f.name).join(', ')}`);
      return orNotFound(
        cx.api.request<Row>('PATCH', ['v1', def.name, ...def.key.map((k) => String(args[k]))], { body, signal: cx.signal }),
        `${def.label} ${keyText(def, args)}`,
      );
    },
  };
}

function deleteTool(def: ResourceDef): ToolDef {
  const refs = referencesTo(def).map(({ child, rel }) => `${child.name}.${rel.field}`);
  return {
    name: `classic_models_delete_${def.singular}`,
    title: `Delete a ${def.label}`,
    description: `Delete one ${def.label}.${refs.length ? ` Refused while ${refs.join(', ')} point at it.` : ''}`,
    kind: 'delete',
    resource: def.name,
    schemas: lazySchemas(() => z.strictObject(keyParams(def)), () => deleteOutput(def)),
    annotations: hints('delete'),
    async run(args, cx) {
      const what = `${def.label} ${keyText(def, args)}`;
      try {
        await orNotFound(cx.api.request('DELETE', ['v1', def.name, ...def.key.map((k) => String(args[k]))], { signal: cx.signal }), what);
      } catch (err) {
        // MySQL refuses (1451) and the API answers with an HTML IntegrityError page; nothing was deleted.
        if (err instanceof ApiError && err.status === 500 && (err.info.exception === 'IntegrityError' || /1451|foreign key/i.test(err.message))) {
          throw new StillReferencedError(`Cannot delete ${what}: other records still reference it (${refs.join(', ') || 'a foreign key'}). Delete or reassign those first; nothing was deleted.`);
        }
        throw err;
      }
      return { deleted: pick(args, def.key) };
    },
  };
}

const whoami: ToolDef = {
  name: 'classic_models_whoami',
  title: 'Who am I',
  description: 'The API user this server acts as.',
  kind: 'whoami',
  schemas: lazySchemas(() => z.strictObject({}), () => userOutput),
  annotations: hints('whoami'),
  async run(_args, cx) {
    return cx.api.request<Row>('GET', ['auth', 'me'], { signal: cx.signal });
  },
};

/** The catalog's tools: five per resource, plus whoami (41). */
export function catalogTools(): ToolDef[] {
  return [...RESOURCES.flatMap((def) => [listTool(def), getTool(def), createTool(def), updateTool(def), deleteTool(def)]), whoami];
}
