import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica } from '../../src/demo/server.js';
import { ARTIFACTS, HAVE_CHROMIUM, launchBrowser } from '../helpers/browser.js';
import { startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { authorizeUrl, pkce, registered, tokenRequest } from '../helpers/oauth.js';
import { KIT_PRESENT, signUp, startRealApi } from '../real-api/kit.js';

/**
 * The sign-in page in a real browser (Debian's Chromium), as a person uses it: open the link a
 * client made, type the username and password, and land on the client's callback with code,
 * state and iss. Chromium applies the page's CSP form-action to the redirect after the POST too,
 * so this is where a CSP that is too strict shows. Against the real API when the kit is beside
 * the clone (CI), the replica otherwise.
 */
if (!HAVE_CHROMIUM && process.env.CI) throw new Error('Chromium (/usr/bin/chromium) is missing: .ci/run installs it');

describe.skipIf(!HAVE_CHROMIUM)('the sign-in page in Chromium', () => {
  let browser: Browser;
  let srv: HttpServerProcess;
  let callback: http.Server;
  let callbackUrl: string;
  let person: { username: string; password: string };
  const stops: (() => Promise<void>)[] = [];
  const arrived: URL[] = [];

  beforeAll(async () => {
    let apiUrl: string;
    if (KIT_PRESENT) {
      const api = await startRealApi();
      stops.push(() => api.stop());
      person = await signUp(api, 'br');
      apiUrl = api.url;
    } else {
      const replica = await startReplica();
      stops.push(() => replica.stop());
      person = { username: 'analyst', password: 'analyst123' };
      apiUrl = replica.url;
    }
    srv = await startHttpServer(['--oauth'], { CLASSIC_MODELS_API_URL: apiUrl, OAUTH_SECRET: 'browser-test-secret-0123456789abcdefghij' });
    // The client's callback: what an app's loopback listener would see.
    callback = http.createServer((req, res) => {
      arrived.push(new URL(req.url ?? '/', callbackUrl));
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
    });
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', () => r()));
    callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
    callback?.close();
    for (const stop of stops) await stop();
  });

  async function openSignIn(scope = 'classic-models:read classic-models:write') {
    const client = await registered(srv.url, { client_name: 'Browser <Test> App', redirect_uris: [callbackUrl] });
    const { verifier, challenge } = pkce();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(authorizeUrl(srv.url, { client_id: client.client_id, redirect_uri: callbackUrl, state: 'browser-state', code_challenge: challenge, scope, resource: `${srv.url}/mcp` }));
    return { client, verifier, page, problems };
  }

  const submit = async (page: Page, username: string, password: string) => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('signs in and lands on the callback with code, state and iss; the read-only choice is the default', async () => {
    const { client, verifier, page, problems } = await openSignIn();
    await expect(page.title()).resolves.toBe('Sign in to Classic Models');
    expect(await page.locator('main').innerText()).toContain('Browser <Test> App wants to use the Classic Models API as you.');
    expect(await page.getByRole('checkbox').isChecked()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'oauth-sign-in.png'), fullPage: true });
    // As most people do: type, then Enter in the password field.
    await page.getByLabel('Username').fill(person.username);
    await page.getByLabel('Password').fill(person.password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL((u) => u.href.startsWith(callbackUrl));
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('browser-state');
    expect(back.searchParams.get('iss')).toBe(srv.url);
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^cmc_/);
    expect(problems).toEqual([]);
    const t = await tokenRequest(srv.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: callbackUrl });
    expect(t.body.scope).toBe('classic-models:read');
    await page.close();
  });

  it('a wrong password shows the page again with one line, then "allow changes" grants write', async () => {
    const { client, verifier, page, problems } = await openSignIn();
    await submit(page, person.username, 'not-the-password');
    await expect(page.getByRole('alert').innerText()).resolves.toBe('The username or password is wrong.');
    expect(await page.getByLabel('Username').inputValue()).toBe(person.username);
    await page.screenshot({ path: join(ARTIFACTS, 'oauth-wrong-password.png'), fullPage: true });
    await page.getByRole('checkbox').check();
    await submit(page, person.username, person.password);
    await page.waitForURL((u) => u.href.startsWith(callbackUrl));
    const code = new URL(page.url()).searchParams.get('code')!;
    const t = await tokenRequest(srv.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: callbackUrl });
    expect(t.body.scope).toBe('classic-models:read classic-models:write');
    // The page shown again answers 400, which Chromium notes; nothing else may appear.
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    expect(arrived.length).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('the page cannot be framed by another site', async () => {
    const { page } = await openSignIn();
    const target = page.url();
    const framer = await browser.newPage();
    const blocked: string[] = [];
    framer.on('console', (m) => blocked.push(m.text()));
    await framer.setContent(`<iframe src="${target}" width="400" height="400"></iframe>`);
    await framer.waitForTimeout(500);
    const frame = framer.frames().find((f) => f !== framer.mainFrame());
    const inside = frame ? await frame.locator('input[name=password]').count().catch(() => 0) : 0;
    expect(inside).toBe(0);
    await framer.close();
    await page.close();
  });
});
