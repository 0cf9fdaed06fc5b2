import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, displayValue, loadConfig, secretsOf } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'cm-config-'));
const withDotenv = (text: string) => {
  const dir = emptyDir();
  writeFileSync(join(dir, '.env'), text);
  return dir;
};

describe('configuration', () => {
  it("takes an empty variable, a blank one and Claude Desktop's ${user_config.x} placeholder as unset", () => {
    const { config, sources } = loadConfig({ env: { API_KEY: '', API_USERNAME: '${user_config.username}', TOOLSETS: '   ', CLASSIC_MODELS_DEMO: 'true' }, cwd: emptyDir() });
    expect(config.apiKey).toBeUndefined();
    expect(config.username).toBe('demo');
    expect(sources.username.source).toBe('default');
    expect(config.toolsets).toBeUndefined();
    expect(config.demo).toBe(true);
  });

  it('has the documented defaults', () => {
    const { config, sources } = loadConfig({ env: {}, cwd: emptyDir() });
    expect(config).toEqual({
      apiUrl: 'http://localhost:8000',
      username: 'demo',
      password: 'demo123',
      apiKey: undefined,
      bearerTokens: ['demo-token'],
      ssePort: 3000,
      sseHost: '127.0.0.1',
      transport: 'stdio',
      timeoutMs: 30000,
      sslVerify: true,
      logLevel: 'info',
      readOnly: false,
      toolsets: undefined,
      maxResultBytes: 80000,
      maxSessions: 100,
      sessionIdleTimeoutMs: 1_800_000,
      allowedHosts: [],
      allowedOrigins: [],
      stateless: false,
      usersFile: undefined,
      rateLimit: 300,
      auditLog: undefined,
      auditArgs: false,
      queryTimeoutMs: 5000,
      queryCacheSeconds: 30,
      queryMemoryMb: 256,
      oauth: false,
      oauthSecrets: undefined,
      publicUrl: undefined,
      oauthAllowPrivateClientUrls: false,
      demo: false,
      settingsForm: false,
    });
    expect(sources.apiUrl.source).toBe('default');
  });

  it('flags override the environment, which overrides .env, which overrides defaults', () => {
    const cwd = withDotenv('CLASSIC_MODELS_API_URL=http://dotenv:1\nAPI_USERNAME=fromfile\nAPI_TIMEOUT_MS=500\nLOG_LEVEL=warn\n');
    const env = { CLASSIC_MODELS_API_URL: 'https://env.example/', API_USERNAME: 'fromenv' };
    const { config, sources } = loadConfig({ env, cwd, flags: { apiUrl: 'http://flag:9' } });
    expect(config.apiUrl).toBe('http://flag:9');
    expect(sources.apiUrl).toEqual({ source: 'flag', name: '--api-url' });
    expect(config.username).toBe('fromenv');
    expect(sources.username).toEqual({ source: 'env', name: 'API_USERNAME' });
    expect(config.timeoutMs).toBe(500);
    expect(sources.timeoutMs).toEqual({ source: '.env', name: 'API_TIMEOUT_MS' });
    expect(config.logLevel).toBe('warn');
  });

  it('reads the .env file without touching process.env', () => {
    const cwd = withDotenv('API_KEY=from-dotenv-key\n');
    const before = process.env.API_KEY;
    expect(loadConfig({ env: {}, cwd }).config.apiKey).toBe('from-dotenv-key');
    expect(process.env.API_KEY).toBe(before);
  });

  it('understands the HTTP_ aliases of the SSE settings', () => {
    const { config, sources } = loadConfig({ env: { HTTP_PORT: '8080', HTTP_BEARER_TOKEN: 'tok-123' }, cwd: emptyDir() });
    expect(config.ssePort).toBe(8080);
    expect(config.bearerTokens).toEqual(['tok-123']);
    expect(sources.ssePort.name).toBe('HTTP_PORT');
  });

  it('reads durations and origin lists', () => {
    const { config } = loadConfig({ env: { SESSION_IDLE_TIMEOUT: '90s', ALLOWED_ORIGINS: 'https://a.example.com/, http://b.example:8080' }, cwd: emptyDir(), flags: { allowedHosts: 'mcp.example.com' } });
    expect(config.sessionIdleTimeoutMs).toBe(90_000);
    expect(config.allowedOrigins).toEqual(['https://a.example.com', 'http://b.example:8080']);
    expect(config.allowedHosts).toEqual(['mcp.example.com']);
    expect(loadConfig({ env: { SESSION_IDLE_TIMEOUT: '2h' }, cwd: emptyDir() }).config.sessionIdleTimeoutMs).toBe(7_200_000);
  });

  it('normalises the API URL and reads booleans and lists', () => {
    const { config } = loadConfig({ env: { CLASSIC_MODELS_API_URL: 'https://api.example.com/base/', SSL_VERIFY: 'false', READ_ONLY: 'yes', TOOLSETS: 'Products, customers' }, cwd: emptyDir() });
    expect(config.apiUrl).toBe('https://api.example.com/base');
    expect(config.sslVerify).toBe(false);
    expect(config.readOnly).toBe(true);
    expect(config.toolsets).toEqual(['products', 'customers']);
  });

  it.each([
    [{ SSE_PORT: 'abc' }, {}, 'SSE_PORT: expected a whole number from 0 to 65535, got "abc"'],
    [{ CLASSIC_MODELS_API_URL: 'localhost:8000' }, {}, 'CLASSIC_MODELS_API_URL: expected a URL starting with http:// or https://, got "localhost:8000"'],
    [{ API_TIMEOUT_MS: '-5' }, {}, 'API_TIMEOUT_MS: expected a whole number from 1 to 3600000, got "-5"'],
    [{ TRANSPORT: 'websocket' }, {}, 'TRANSPORT: expected one of stdio, sse, got "websocket"'],
    [{ SSL_VERIFY: 'maybe' }, {}, 'SSL_VERIFY: expected true or false, got "maybe"'],
    [{ TOOLSETS: 'products,widgets' }, {}, 'TOOLSETS: unknown toolset widgets; valid: productlines, products, offices, employees, customers, orders, payments, orderdetails, query'],
    [{}, { port: '99999' }, '--port: expected a whole number from 0 to 65535, got "99999"'],
    [{}, { sessionIdleTimeout: 'soon' }, '--session-idle-timeout: expected a duration such as 90s, 30m or 2h, got "soon"'],
    [{ ALLOWED_ORIGINS: 'example.com' }, {}, 'ALLOWED_ORIGINS: "example.com" is not an origin such as https://app.example.com'],
    [{}, { apiUrl: 'ftp://x' }, '--api-url: expected a URL starting with http:// or https://, got "ftp://x"'],
  ])('rejects a bad value naming where it came from: %j %j', (env, flags, message) => {
    expect(() => loadConfig({ env, flags, cwd: emptyDir() })).toThrowError(new ConfigError(message));
  });

  it('names the .env file when the bad value is there', () => {
    expect(() => loadConfig({ env: {}, cwd: withDotenv('SSE_PORT=nope\n') })).toThrow('SSE_PORT (in .env): expected a whole number');
  });

  it('masks secrets wherever settings are shown', () => {
    const { config } = loadConfig({ env: { API_PASSWORD: 'hunter2-pass', API_KEY: 'key-0123456789' }, cwd: emptyDir() });
    expect(displayValue('password', config)).toBe('***** (set, 12 chars)');
    expect(displayValue('apiKey', config)).not.toContain('key-0123456789');
    expect(displayValue('username', config)).toBe('demo');
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['hunter2-pass', 'key-0123456789', 'demo-token']));
  });

  it('the logger scrubs configured secrets and anything shaped like a JWT, at every level', () => {
    const lines: string[] = [];
    const log = createLogger('debug', ['hunter2-pass'], (l) => lines.push(l));
    log.debug('password hunter2-pass token eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl');
    log.error('again hunter2-pass');
    expect(lines.join('')).not.toContain('hunter2-pass');
    expect(lines.join('')).not.toContain('eyJhbGci');
    const quiet: string[] = [];
    createLogger('warn', [], (l) => quiet.push(l)).info('hidden');
    expect(quiet).toEqual([]);
  });
});
