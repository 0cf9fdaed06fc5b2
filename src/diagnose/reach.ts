import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { CheckFailure } from './report.js';

/** Name resolution of the API host. */
export async function resolveHost(host: string): Promise<string[]> {
  if (net.isIP(host.replace(/^\[|\]$/g, ''))) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckFailure(`cannot resolve "${host}" (${code})`, 'check the host name in CLASSIC_MODELS_API_URL, and this machine\'s DNS');
  }
}

/** A TCP connection to the API's port. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const fail = (f: CheckFailure) => {
      socket.destroy();
      reject(f);
    };
    socket.setTimeout(timeoutMs, () => fail(new CheckFailure(`no answer from ${host}:${port} within ${timeoutMs} ms`, 'a firewall may drop the traffic, or the host is down; check the port in CLASSIC_MODELS_API_URL')));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'ECONNREFUSED'
          ? 'nothing listens there: is the API running, and is the port in CLASSIC_MODELS_API_URL right? (no backend? try --demo)'
          : 'check the network path to the API';
      fail(new CheckFailure(`cannot connect to ${host}:${port} (${err.code ?? err.message})`, hint));
    });
  });
}

/** The TLS handshake, as the client will do it (SSL_VERIFY decides whether the chain must verify). */
export function handshake(host: string, port: number, verify: boolean, timeoutMs: number): Promise<{ subject: string; issuer: string; validTo: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const servername = net.isIP(host) ? undefined : host;
    const socket = tls.connect({ host, port, servername, rejectUnauthorized: verify });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new CheckFailure(`TLS handshake with ${host}:${port} took over ${timeoutMs} ms`, 'is this port really HTTPS?'));
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const name = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);
      const result = { subject: name(cert?.subject?.CN) ?? '?', issuer: name(cert?.issuer?.CN) ?? name(cert?.issuer?.O) ?? '?', validTo: cert?.valid_to ?? '?', authorized: socket.authorized };
      socket.end();
      resolve(result);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      const code = err.code ?? err.message;
      const certProblem = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/i.test(code);
      reject(
        new CheckFailure(
          `TLS handshake with ${host}:${port} failed (${code})`,
          certProblem
            ? 'the certificate is self-signed or from an unknown CA: trust its CA with NODE_EXTRA_CA_CERTS=/path/ca.pem, or (test setups only) set SSL_VERIFY=false'
            : 'is this port really HTTPS? a plain-HTTP API needs an http:// URL',
        ),
      );
    });
  });
}
