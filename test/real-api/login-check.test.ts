import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/bundle.js';
import { API_KEY, KIT_PRESENT, signUp, sql, startRealApi, type RealApi } from './kit.js';

/** login-check's verdicts, hints and exit codes against real instances (runserver, no proxy). */
const failedLine = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('✗')) ?? '';

async function check(env: Record<string, string>) {
  const r = await runCliAsync(['login-check'], { env: { LOG_LEVEL: 'debug', ...env } });
  expect(r.stdout + r.stderr).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\./);
  return r;
}

describe.skipIf(!KIT_PRESENT)('real API: login-check', () => {
  let api: RealApi;
  let throttled: RealApi;
  beforeAll(async () => {
    [api, throttled] = await Promise.all([startRealApi(), startRealApi({ loginRate: '2/hour' })]);
  });
  afterAll(async () => {
    await Promise.all([api?.stop(), throttled?.stop()]);
  });

  it('ok: every check passes, with one login, one refresh and a logout', async () => {
    const user = await signUp(api, 'lc');
    const before = { logins: api.logins(), refreshes: api.refreshes(), logouts: api.count('POST', 'auth/logout/') };
    const res = await check({ CLASSIC_MODELS_API_URL: api.url, API_USERNAME: user.username, API_PASSWORD: user.password });
    expect(res.status, res.stdout).toBe(0);
    for (const name of ['Configuration', 'Reach', 'Login', 'Tokens', 'auth\\/me\\/', 'Refresh', 'Data', 'Logout']) expect(res.stdout).toMatch(new RegExp(`✓ ${name}`));
    expect(res.stdout).toContain('orderdetails: 2996 rows');
    expect(res.stdout).not.toContain(user.password);
    expect({ logins: api.logins(), refreshes: api.refreshes(), logouts: api.count('POST', 'auth/logout/') }).toEqual({ logins: before.logins + 1, refreshes: before.refreshes + 1, logouts: before.logouts + 1 });
  });

  it('wrong password (and a disabled account, which the API answers the same way): exit 1 with the hint', async () => {
    const wrong = await check({ CLASSIC_MODELS_API_URL: api.url, API_PASSWORD: 'not-the-password' });
    expect(wrong.status).toBe(1);
    expect(failedLine(wrong.stdout)).toMatch(/^✗ Login \(\d+ ms\): the API rejected the credentials of user "demo" \(Invalid credentials\)$/);
    expect(wrong.stdout).toContain('hint: check API_USERNAME and API_PASSWORD; the API answers a disabled account the same way');
    const user = await signUp(api, 'off');
    await sql(`UPDATE auth_user SET is_active = 0 WHERE username = '${user.username}'`);
    const disabled = await check({ CLASSIC_MODELS_API_URL: api.url, API_USERNAME: user.username, API_PASSWORD: user.password });
    expect(disabled.status).toBe(1);
    expect(failedLine(disabled.stdout)).toContain(`the API rejected the credentials of user "${user.username}" (Invalid credentials)`);
  });

  it('API key: the right one skips the login, a wrong one is named', async () => {
    const logins = api.logins();
    const ok = await check({ CLASSIC_MODELS_API_URL: api.url, API_KEY });
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('acting as system_api_key');
    expect(api.logins()).toBe(logins);
    const bad = await check({ CLASSIC_MODELS_API_URL: api.url, API_KEY: 'not-the-key' });
    expect(bad.status).toBe(1);
    expect(failedLine(bad.stdout)).toContain('the API rejected API_KEY');
    expect(bad.stdout).toContain('hint: check API_KEY');
  });

  it('wrong base path: the HTML 404 of Django says this is not the API', async () => {
    const res = await check({ CLASSIC_MODELS_API_URL: `${api.url}/wrong-prefix` });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toContain('answered an HTML 404: this is not the Classic Models API');
    expect(res.stdout).toContain('hint: wrong base URL or path prefix');
  });

  it('nothing listening (the instance stopped): connection refused, with the hint', async () => {
    const gone = await startRealApi();
    await gone.stop();
    const res = await check({ CLASSIC_MODELS_API_URL: gone.url });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toContain(`cannot connect to 127.0.0.1:${gone.port} (ECONNREFUSED)`);
    expect(res.stdout).toContain('hint: nothing listens there');
  });

  it('throttled login: how long to wait', async () => {
    for (let i = 0; i < 2; i++) await fetch(`${throttled.url}/classic-models/api/auth/login/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"demo","password":"x"}' });
    const res = await check({ CLASSIC_MODELS_API_URL: throttled.url });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toMatch(/the API throttled the login \(429\): retry in \d+ s/);
    expect(throttled.logins()).toBe(3);
  });
});
