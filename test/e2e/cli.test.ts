import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE, runCli } from '../helpers/bundle.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'cm-cli-'));

describe('the bundled CLI', () => {
  it('is one file under dist/', () => {
    expect(readdirSync(join(BUNDLE, '..'))).toEqual(['classic-models-mcp.js']);
  });

  it('runs from a folder with no node_modules and lists its commands', () => {
    const dir = emptyDir();
    const copy = join(dir, 'cm.js');
    copyFileSync(BUNDLE, copy);
    const r = runCli(['--help'], { cwd: dir });
    expect(r.status).toBe(0);
    for (const cmd of ['serve-stdio', 'serve-sse', 'login-check', 'demo-api']) expect(r.stdout).toContain(cmd);
    const v = runCli(['--version'], { cwd: dir });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [{ SSE_PORT: 'abc' }, ['serve-sse'], 'SSE_PORT: expected a whole number'],
    [{ CLASSIC_MODELS_API_URL: 'localhost:8000' }, ['serve-stdio'], 'CLASSIC_MODELS_API_URL: expected a URL starting with http:// or https://'],
    [{ API_TIMEOUT_MS: '-1' }, ['login-check'], 'API_TIMEOUT_MS: expected a whole number'],
    [{ TRANSPORT: 'carrier-pigeon' }, [], 'TRANSPORT: expected one of stdio, sse'],
  ])('a bad setting exits 2 with one line naming it (%j)', (env, args, message) => {
    const r = runCli(args, { env, cwd: emptyDir() });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('an unknown flag is a usage error (exit 2) that names the flag', () => {
    const r = runCli(['login-check', '--bogus'], { cwd: emptyDir() });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });
});

describe('the npm package', () => {
  it('packs only the bundle (plus package.json, README and LICENSE) and has no runtime dependencies', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const root = join(BUNDLE, '..', '..');
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    const files = (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path).sort();
    expect(files).toEqual(['LICENSE', 'README.md', 'dist/classic-models-mcp.js', 'package.json']);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.bin).toEqual({ 'classic-models-mcp': 'dist/classic-models-mcp.js' });
  });
});

describe('serve-stdio started by hand in a terminal', () => {
  it('says in one line on stderr what it is and what to try, instead of waiting in silence', async () => {
    const { spawnSync } = await import('node:child_process');
    // script(1) gives the server a terminal for stdin, as a person's shell would.
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BUNDLE} serve-stdio --demo`, '/dev/null'], { encoding: 'utf8', timeout: 4_000, env: { PATH: process.env.PATH ?? '' } });
    expect(r.stdout).toContain('this is an MCP server for a client to start');
    expect(r.stdout).toMatch(/--help, login-check .* or --demo/);
    const piped = runCli(['serve-stdio', '--demo'], { input: '' });
    expect(piped.stderr).not.toContain('this is an MCP server for a client to start');
  });
});
