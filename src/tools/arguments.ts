import type { z } from 'zod';
import type { ToolDef } from './definitions.js';
import { UserInputError } from './errors.js';
import { closestFirst } from './names.js';

const pathText = (path: PropertyKey[]) =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Resolves a path into the arguments, to say what was actually received. */
const at = (args: unknown, path: PropertyKey[]) => path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined), args);

/** The parameter names of the object at `path` inside the tool's input (where[0] → field, op, value). */
function validAt(tool: ToolDef, path: PropertyKey[]): string[] {
  let s: z.ZodType = tool.schemas.input;
  for (const p of path) {
    const def = (s as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType } }).def;
    const unwrapped = def.innerType ?? def.in;
    if (unwrapped) s = unwrapped;
    const d = (s as unknown as { def: { shape?: Record<string, z.ZodType>; element?: z.ZodType } }).def;
    s = (typeof p === 'number' ? d.element : d.shape?.[String(p)]) ?? s;
  }
  for (let i = 0; i < 3; i++) {
    const d = (s as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType } }).def;
    s = d.innerType ?? d.in ?? s;
  }
  return Object.keys((s as unknown as { def: { shape?: Record<string, unknown> } }).def.shape ?? {});
}

/**
 * Checks a call's arguments against the tool's zod schema and says, per field, what is wrong,
 * before anything is sent to the API.
 */
export function parseArguments(tool: ToolDef, args: unknown): Record<string, unknown> {
  const parsed = tool.schemas.input.safeParse(args ?? {});
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const params = Object.keys(tool.schemas.input.shape);
  // Unknown parameters first: they usually explain the rest (a misspelt name is also "required").
  const issues = [...(parsed.error as z.ZodError).issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const messages = issues.slice(0, 8).map((issue) => {
    const where = pathText(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        return `${where ? `${where}: ` : ''}unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}; valid: ${closestFirst(issue.keys[0], where ? validAt(tool, issue.path) : params).join(', ') || 'none'}`;
      case 'invalid_type': {
        const got = at(args, issue.path);
        if (got === undefined) return `${where}: required`;
        return `${where}: ${issue.message.startsWith('Invalid input') ? `expected ${issue.expected}` : issue.message}, got ${typeName(got)}`;
      }
      case 'too_big':
      case 'too_small':
        return `${where}: ${issue.message.startsWith('Too ') ? issue.message.replace(/^Too (big|small): expected /, 'expected ') : issue.message}`;
      case 'invalid_union':
        return `${where}: ${typeName(at(args, issue.path))} is not an accepted value`;
      default:
        return `${where || 'arguments'}: ${issue.message}`;
    }
  });
  throw new UserInputError(messages.join('; '));
}
