import { startReplica, type Replica } from '../../src/demo/server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BUNDLE } from './bundle.js';

export interface Connected {
  client: Client;
  /** The server process. */
  pid?: number;
  stderr(): string;
  close(): Promise<void>;
}

/** The SDK's own Client, speaking to the built bundle over stdio, as Claude Desktop would. */
export async function connectStdio(args: string[], env: Record<string, string> = {}): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BUNDLE, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d) => (err += d));
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid ?? undefined, stderr: () => err, close: () => client.close() };
}

/** Calls a tool and returns its text and structured result, whatever the outcome. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return { isError: Boolean(r.isError), text, data: r.structuredContent as any, bytes: Buffer.byteLength(text) };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface HttpServerProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `serve-sse` from the bundle on a port of its choosing and reads its URL from stderr. */
export function startHttpServer(args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<HttpServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, BUNDLE, 'serve-sse', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[^:]+:\d+)/.exec(err);
      if (m) resolve({ url: m[1], child, stderr: () => err, stop: (sig = 'SIGTERM') => (child.kill(sig), exited) });
    });
    void exited.then((code) => reject(new Error(`serve-sse exited ${code}: ${err}`)));
  });
}

export async function connectHttp(url: string, kind: 'mcp' | 'sse', token?: string): Promise<Client> {
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  const transport = kind === 'mcp' ? new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit }) : new SSEClientTransport(new URL(`${url}/sse`), { requestInit });
  const client = new Client({ name: `e2e-${kind}`, version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** The environment of a server pointed at a replica, as the demo user. */
export const replicaEnv = (r: { url: string }, extra: Record<string, string> = {}): Record<string, string> => ({ CLASSIC_MODELS_API_URL: r.url, API_USERNAME: 'demo', API_PASSWORD: 'demo123', ...extra });

/**
 * A replica with its read and write throttles off, and the bundle's serve-stdio connected to it:
 * the setup of the suites that drive every tool against the sample data.
 */
export async function replicaOverStdio(): Promise<{ replica: Replica; mcp: Connected; close(): Promise<void> }> {
  const replica = await startReplica({ throttles: { read: null, write: null } });
  const mcp = await connectStdio(['serve-stdio'], replicaEnv(replica));
  return {
    replica,
    mcp,
    async close() {
      await mcp.close();
      await replica.stop();
    },
  };
}

/**
 * A client calling tools one after another while `going()` holds: call i is `pick(i)`, counted
 * from `from` (so concurrent callers spread over the tools), with `pauseMs` between calls. A
 * thrown call counts as failed (its transport broke), like an isError answer.
 */
export async function keepCalling(
  client: Client,
  o: { going: () => boolean; pick: (i: number) => [string, Record<string, unknown>]; pauseMs?: number; from?: number },
): Promise<{ calls: number; failures: string[] }> {
  const failures: string[] = [];
  let calls = 0;
  for (let i = o.from ?? 0; o.going(); i++) {
    try {
      const r = await call(client, ...o.pick(i));
      if (r.isError) failures.push(r.text);
    } catch (err) {
      failures.push(`transport: ${(err as Error).message}`);
    }
    calls++;
    if (o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs));
  }
  return { calls, failures };
}

/** Several callers' counts as one. */
export const together = (runs: { calls: number; failures: string[] }[]) => ({ calls: runs.reduce((n, r) => n + r.calls, 0), failures: runs.flatMap((r) => r.failures) });
