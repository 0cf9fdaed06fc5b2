import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { failure } from '../helpers/failure.js';
import { createLogger } from '../../src/log/logger.js';

/**
 * Kept-alive sockets, on real sockets: nock (in api-client.test.ts) replaces node:http's
 * requests, and with them the agent's socket reuse these tests are about.
 */
const apiKeyClient = (o: { baseUrl: string }) =>
  new ApiClient({ baseUrl: o.baseUrl, username: 'demo', password: 'x', apiKey: 'key-abc', timeoutMs: 2_000, sslVerify: true, logger: createLogger('error', []), sleep: async () => {} });


describe('kept-alive sockets', () => {
  /**
   * A raw server that answers each connection's first request and then drops the connection at
   * the next one without answering: what a kept-alive socket looks like when the server closed
   * it while idle (runserver restarted, a proxy's keep-alive timeout). It counts requests seen.
   */
  async function oneRequestPerSocket(extra = '') {
    const seen: string[] = [];
    const server = net.createServer((socket) => {
      let served = 0;
      socket.on('data', (d) => {
        const line = String(d).split('\r\n')[0];
        seen.push(line);
        if (served++ > 0) return socket.destroy();
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]`);
        // runserver writes its error page once it has read the bad line, after the answer.
        if (extra) setTimeout(() => socket.write(extra), 10);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, seen, close: () => new Promise((r) => server.close(r)) };
  }

  it('a read on a kept-alive socket the server had closed goes again, once, on a fresh socket', async () => {
    const s = await oneRequestPerSocket();
    const api = apiKeyClient({ baseUrl: s.url });
    await api.request('GET', ['v1', 'offices']);
    await new Promise((r) => setTimeout(r, 20));
    expect(await api.request('GET', ['v1', 'offices'])).toEqual([]);
    expect(s.seen).toEqual(['GET /classic-models/api/v1/offices/ HTTP/1.1', 'GET /classic-models/api/v1/offices/ HTTP/1.1', 'GET /classic-models/api/v1/offices/ HTTP/1.1']);
    api.close();
    await s.close();
  });

  it('a write on such a socket is never sent again: it may have been processed', async () => {
    const s = await oneRequestPerSocket();
    const api = apiKeyClient({ baseUrl: s.url });
    await api.request('GET', ['v1', 'offices']);
    await new Promise((r) => setTimeout(r, 20));
    const err = await failure(api.request('POST', ['v1', 'offices'], { body: { city: 'x' } }));
    expect(err.kind).toBe('unreachable');
    expect(s.seen.filter((l) => l.startsWith('POST'))).toHaveLength(1);
    api.close();
    await s.close();
  });

  it('a socket that saw a protocol error (bytes after the answer, as runserver sends for a bad request line) is not used again', async () => {
    const s = await oneRequestPerSocket('<!DOCTYPE HTML><title>Error response</title>');
    const api = apiKeyClient({ baseUrl: s.url });
    await api.request('GET', ['v1', 'offices']);
    await new Promise((r) => setTimeout(r, 50));
    // The write goes out on a new connection, which answers it (the server's first request there).
    expect(await api.request('POST', ['v1', 'offices'], { body: { city: 'x' } })).toEqual([]);
    api.close();
    await s.close();
  });

  /**
   * A raw server that answers every request and keeps connections open, except after a request
   * that says `Connection: close`: then it closes the connection without saying so in the answer,
   * as runserver does. It records each request's connection and Connection header.
   */
  async function keepAliveServer(serverHeader?: string) {
    const seen: { line: string; socket: number; connection?: string }[] = [];
    let sockets = 0;
    const server = net.createServer((socket) => {
      const id = ++sockets;
      socket.on('data', (d) => {
        for (const head of String(d).split('\r\n\r\n').filter((h) => /^[A-Z]+ /.test(h))) {
          const connection = /\r\nconnection: ([^\r]*)/i.exec(head)?.[1];
          seen.push({ line: head.split('\r\n')[0], socket: id, connection });
          socket.write(`HTTP/1.1 200 OK\r\n${serverHeader ? `Server: ${serverHeader}\r\n` : ''}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]`);
          if (connection?.toLowerCase() === 'close') socket.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, seen, close: () => new Promise((r) => server.close(r)) };
  }

  it("against Python's development server (Server: WSGIServer/…, runserver) every request after the first gets a connection of its own, writes too", async () => {
    const s = await keepAliveServer('WSGIServer/0.2 CPython/3.11.2');
    const api = apiKeyClient({ baseUrl: s.url });
    for (let i = 0; i < 3; i++) await api.request('GET', ['v1', 'offices']);
    // A write right after the switch: were the socket of the last answer pooled, this would go into a closed connection.
    expect(await api.request('POST', ['v1', 'offices'], { body: { city: 'x' } })).toEqual([]);
    await api.request('DELETE', ['v1', 'offices', 'X']);
    expect(s.seen.slice(1).map((r) => r.connection)).toEqual(['close', 'close', 'close', 'close']);
    expect(new Set(s.seen.map((r) => r.socket)).size).toBe(5);
    api.close();
    await s.close();
  });

  it('against any other server the connection is kept alive and reused', async () => {
    const s = await keepAliveServer('nginx/1.22.1');
    const api = apiKeyClient({ baseUrl: s.url });
    for (let i = 0; i < 4; i++) await api.request('GET', ['v1', 'offices']);
    expect(s.seen.map((r) => r.connection)).toEqual(['keep-alive', 'keep-alive', 'keep-alive', 'keep-alive']);
    expect(new Set(s.seen.map((r) => r.socket)).size).toBe(1);
    api.close();
    await s.close();
  });

  it.runIf(existsSync('/usr/bin/openssl'))('over https the same header changes nothing: runserver speaks no TLS, so a proxy is in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    let connections = 0;
    const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { Server: 'WSGIServer/0.2 CPython/3.11.2', 'Content-Type': 'application/json' });
      res.end('[]');
    });
    server.on('secureConnection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const api = new ApiClient({ baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, username: 'demo', password: 'x', apiKey: 'key-abc', timeoutMs: 2_000, sslVerify: false, logger: createLogger('error', []) });
    for (let i = 0; i < 4; i++) await api.request('GET', ['v1', 'offices']);
    expect(connections).toBe(1);
    api.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
});
