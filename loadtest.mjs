// quick load: N sessions over /mcp for S seconds against a running server
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
const [url, pid, n, s] = process.argv.slice(2);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const clients = await Promise.all(Array.from({ length: Number(n) }, async () => { const c = new Client({ name: 'l', version: '1' }); await c.connect(new StreamableHTTPClientTransport(new URL(url + '/mcp'), { requestInit: { headers: { Authorization: 'Bearer abcdefghijklmnop' } } })); return c; }));
console.log('idle with sessions', rss().toFixed(1));
let peak = 0; const t = setInterval(() => (peak = Math.max(peak, rss())), 50);
let calls = 0; const until = Date.now() + Number(s) * 1000;
await Promise.all(clients.map(async (c) => { while (Date.now() < until) { await c.callTool({ name: 'classic_models_get_customer', arguments: { customernumber: 103 } }); calls++; } }));
clearInterval(t); console.log('calls/s', (calls / Number(s)).toFixed(0), 'peak', peak.toFixed(1));
process.exit(0);
