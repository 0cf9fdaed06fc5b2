// Bundles the CLI and everything it imports into one executable file, so the published
// package carries no runtime dependencies and `npx classic-models-mcp` starts with no install.
import { build } from 'esbuild';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

const outfile = 'dist/classic-models-mcp.js';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const require = createRequire(import.meta.url);

/**
 * Start-up time is mostly V8 compiling the bundle, so code that can never run here stays out:
 * - raw-body (and its 480 KB of iconv-lite): the SDK's SSE transport reads bodies with it only
 *   when not handed a parsed body, and our HTTP server always hands one over;
 * - zod's 40-odd message locales: only English is used (it stays the default).
 * And the replica's 200 KB sample data is embedded as a JSON string, which V8 scans far faster
 * than the same data as an object literal.
 */
const trim = {
  name: 'trim',
  setup(b) {
    b.onResolve({ filter: /^raw-body$/ }, () => ({ path: 'raw-body', namespace: 'stub' }));
    b.onLoad({ filter: /^raw-body$/, namespace: 'stub' }, () => ({
      contents: "export default function getRawBody() { throw new Error('raw-body is not bundled: pass the parsed body to the SDK transport'); }",
      loader: 'js',
    }));
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/zod/') ? { path: require.resolve('zod/v4/locales/en.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: '.',
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]seed\.json$/ }, (args) => ({
      contents: `export default JSON.parse(${JSON.stringify(JSON.stringify(JSON.parse(readFileSync(args.path, 'utf8'))))});`,
      loader: 'js',
    }));
  },
};

/**
 * esbuild hoists every `import ... from 'node:x'` to the top of an ESM bundle, so even modules
 * that load lazily (the replica, the HTTP transports, login-check) would make Node load http,
 * https, tls, net, dns and crypto at every start. Routing built-ins through CommonJS shims makes
 * each one load with the first module that really uses it.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = /^(node:)?(http|https|http2|tls|net|dns|dns\/promises|crypto|stream|url|child_process|zlib|querystring|string_decoder)$/;
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify('node:' + args.path)});`, loader: 'js' }));
  },
};

/** The default export of a module written in TypeScript against src/, evaluated here at build time. */
async function evaluate(contents) {
  const dir = mkdtempSync(join(tmpdir(), 'cm-build-'));
  const file = join(dir, 'listing.mjs');
  try {
    await build({
      stdin: { contents, resolveDir: '.', loader: 'ts' },
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __cmCreateRequire } from 'node:module'; const require = __cmCreateRequire(import.meta.url);" },
    });
    return (await import(pathToFileURL(file).href)).default;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tools/list as the server computes it from the catalog, computed once here instead of at every start. */
export const toolListing = () => evaluate("import { buildSurface } from './src/server.ts'; export default JSON.stringify(buildSurface({}).listing);");

/** The icon, drawn once here (src/packaging/icon.ts), as base64 PNG. */
const icon = () => evaluate("import { iconPng } from './src/packaging/icon.ts'; export default iconPng().toString('base64');");

/**
 * `node build.mjs --mcpb` (npm run mcpb): the MCP Bundle for Claude Desktop, build/classic-models-mcp-<version>.mcpb:
 * the derived manifest, this same one-file server and the icon; and build/server.json for the MCP Registry.
 */
async function mcpb(iconBase64) {
  const info = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, mcpName: pkg.mcpName, author: pkg.author, keywords: pkg.keywords };
  const { manifest, server } = await evaluate(`import { bundleManifest, registryServer } from './src/packaging/manifest.ts'; const info = ${JSON.stringify(info)}; export default { manifest: bundleManifest(info), server: registryServer(info) };`);
  const dir = 'build/mcpb';
  rmSync('build', { recursive: true, force: true });
  mkdirSync(join(dir, 'server'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  copyFileSync(outfile, join(dir, manifest.server.entry_point));
  writeFileSync(join(dir, 'icon.png'), Buffer.from(iconBase64, 'base64'));
  writeFileSync('build/server.json', JSON.stringify(server, null, 2) + '\n');
  const { packExtension } = await import('@anthropic-ai/mcpb');
  const output = `build/${pkg.name}-${pkg.version}.mcpb`;
  if (!(await packExtension({ extensionPath: dir, outputPath: output, silent: true }))) throw new Error('mcpb: packing the bundle failed (see mcpb validate build/mcpb/manifest.json)');
  console.log(`built ${output} (${(statSync(output).size / 1024).toFixed(1)} KB) and build/server.json`);
}

/**
 * The esbuild options of every bundle this project makes: the CLI, and the benchmark's minimal
 * SDK server, which must be built the same way for the start-up comparison to be fair.
 */
export function bundleOptions(entry, outfile, define = {}) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [trim, lazyBuiltins],
    define,
    // CommonJS packages inside an ESM bundle call require() for node built-ins; without a real
    // require the bundle dies at start with "Dynamic require of node:events is not supported".
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __cmCreateRequire } from 'node:module';",
        'const require = __cmCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  };
}

/** The modules src/lazy.ts loads on demand, each bundled on its own and embedded as text. */
const CHUNKS = { demo: 'src/demo/server.ts', diagnose: 'src/diagnose/login-check.ts', http: 'src/transports/http.ts' };
/** The query worker runs on a worker thread from its text: a CommonJS script, not a module. */
const WORKER = 'src/query/worker.ts';

async function chunkTexts(define) {
  const out = {};
  for (const [name, entry] of Object.entries(CHUNKS)) {
    const options = bundleOptions(entry, `${name}.mjs`, define);
    // Loaded from a data: URL, so it resolves built-ins against an absolute path of its own.
    options.banner = { js: "import { createRequire as __cmCreateRequire } from 'node:module'; const require = __cmCreateRequire(process.execPath);" };
    options.plugins = [trim];
    const result = await build({ ...options, write: false });
    // Compressed and base64: a short string with nothing to unescape is what V8 scans fastest.
    out[name] = deflateRawSync(result.outputFiles[0].contents, { level: 9 }).toString('base64');
  }
  const worker = await build({ ...bundleOptions(WORKER, 'query.cjs', define), format: 'cjs', banner: {}, plugins: [trim], write: false });
  out.query = deflateRawSync(worker.outputFiles[0].contents, { level: 9 }).toString('base64');
  out.sqlwasm = deflateRawSync(readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')), { level: 9 }).toString('base64');
  return out;
}

async function main() {
  const [listing, iconBase64] = await Promise.all([toolListing(), icon()]);
  const define = { __VERSION__: JSON.stringify(pkg.version), __TOOL_LISTING__: JSON.stringify(listing), __ICON_PNG__: JSON.stringify(iconBase64) };
  const chunks = await chunkTexts(define);
  rmSync('dist', { recursive: true, force: true });
  const result = await build({
    ...bundleOptions('src/cli.ts', outfile, { ...define, __BUNDLED__: 'true' }),
    metafile: true,
  });
  // src/lazy.ts reads them from here, at first need: base64 and JSON never contain "*/".
  appendFileSync(outfile, `\n/*__CM_CHUNKS__${JSON.stringify(chunks)}*/\n`);
  // The point of the chunks is that the bundle does not also carry them as code.
  const inputs = Object.keys(Object.values(result.metafile.outputs)[0].inputs);
  const leaked = [...Object.values(CHUNKS), WORKER, 'node_modules/sql.js/dist/sql-wasm.js'].filter((entry) => inputs.includes(entry));
  if (leaked.length) throw new Error(`build: ${leaked.join(', ')} ended up in the bundle as code; load them through src/lazy.ts`);
  chmodSync(outfile, 0o755);
  const kb = (statSync(outfile).size / 1024).toFixed(1);
  console.log(`built ${outfile} (${kb} KB)`);
  if (process.argv.includes('--mcpb')) await mcpb(iconBase64);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // --package-only: the bundle from the dist/ already built (tests use it while others run dist/).
  if (process.argv.includes('--package-only')) await mcpb(await icon());
  else await main();
}
