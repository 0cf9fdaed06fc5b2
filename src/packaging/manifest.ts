import { SETTINGS_TABLE, type FormField } from '../config/config.js';
import { PROMPTS } from '../prompts/prompts.js';
import { allTools } from '../tools/registry.js';

/** What package.json says of the package, which the manifest and server.json repeat. */
export interface PackageInfo {
  name: string;
  version: string;
  description: string;
  license: string;
  mcpName: string;
  author?: string;
  keywords?: string[];
}

export const BUNDLE_ENTRY = 'server/classic-models-mcp.js';

/** The settings in the extension form, each with the variable the server reads it from. */
export const formSettings = () =>
  SETTINGS_TABLE.filter((s) => 'key' in s.form).map((s) => ({ env: s.env[0], field: s.form as FormField, secret: Boolean(s.secret) }));

/**
 * The MCP Bundle manifest (manifest_version 0.3) for Claude Desktop, derived: the form from the
 * settings table, the tools and prompts from the registry, so it lists exactly what the server
 * offers. Claude Desktop runs the one-file server with the Node it ships.
 */
export function bundleManifest(pkg: PackageInfo) {
  const form = formSettings();
  return {
    manifest_version: '0.3',
    name: pkg.name,
    display_name: 'Classic Models',
    version: pkg.version,
    description: pkg.description,
    long_description: [
      'Gives Claude safe, compact access to the Classic Models API: product lines, products, offices, employees, customers, orders, payments and order lines.',
      'List, get, create, update and delete tools for each, a read-only SQL tool (classic_models_query) that answers as MySQL would, resources, prompts and completions.',
      'Sign in with your API username and password (kept in your keychain), or an API key; or turn on demo mode to try it with the built-in sample data and no backend.',
    ].join('\n\n'),
    author: { name: pkg.author ?? 'The classic-models-mcp authors' },
    license: pkg.license,
    keywords: pkg.keywords ?? [],
    icon: 'icon.png',
    server: {
      type: 'node',
      entry_point: BUNDLE_ENTRY,
      mcp_config: {
        command: 'node',
        args: [`\${__dirname}/${BUNDLE_ENTRY}`, 'serve-stdio'],
        env: { ...Object.fromEntries(form.map((f) => [f.env, `\${user_config.${f.field.key}}`])), CLASSIC_MODELS_SETTINGS_FORM: 'true' },
      },
    },
    tools: allTools().map((t) => ({ name: t.name, description: t.title })),
    prompts: PROMPTS.map((p) => ({ name: p.name, description: p.description, arguments: p.arguments.map((a) => a.name), text: `${p.title}: ${p.arguments.map((a) => `${a.name} \${arguments.${a.name}}`).join(', ') || p.description}` })),
    compatibility: { platforms: ['darwin', 'win32', 'linux'], runtimes: { node: '>=20.0.0' } },
    user_config: Object.fromEntries(
      form.map(({ field }) => [
        field.key,
        { type: field.type, title: field.title, description: field.description, ...(field.required ? { required: true } : { required: false }), ...(field.sensitive ? { sensitive: true } : {}), default: field.default },
      ]),
    ),
  };
}

/**
 * The MCP Registry's server.json (schema 2025-12-11): the npm package run with npx over stdio,
 * and the same settings as environment variables.
 */
export function registryServer(pkg: PackageInfo) {
  // The registry refuses a longer description; cutting it would publish half a sentence.
  if (pkg.description.length > 100) throw new Error(`package.json description is ${pkg.description.length} characters; the MCP Registry takes at most 100`);
  return {
    $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
    name: pkg.mcpName,
    title: 'Classic Models',
    description: pkg.description,
    version: pkg.version,
    packages: [
      {
        registryType: 'npm',
        identifier: pkg.name,
        version: pkg.version,
        runtimeHint: 'npx',
        transport: { type: 'stdio' },
        packageArguments: [{ type: 'positional', value: 'serve-stdio' }],
        environmentVariables: formSettings().map(({ env, field, secret }) => ({
          name: env,
          description: field.description,
          isRequired: Boolean(field.required),
          isSecret: secret,
          ...(field.default !== '' ? { default: String(field.default) } : {}),
          format: field.type === 'boolean' ? 'boolean' : field.type === 'number' ? 'number' : 'string',
        })),
      },
    ],
  };
}
