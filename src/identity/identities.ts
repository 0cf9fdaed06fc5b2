import type { ApiClient } from '../api/client.js';
import { rereadSecretFiles } from '../config/config.js';
import { apiClientFor, type AppContext } from '../context.js';
import { Lru } from '../limits/lru.js';
import { Throttle } from '../limits/throttle.js';
import { canWrite } from '../oauth/scopes.js';
import type { OAuthServer, VerifiedGrant } from '../oauth/server.js';
import { bearerOf, TokenDirectory, tokenLabel, type Identity } from './tokens.js';
import { readUsersFile, type UserEntry } from './users.js';

/** The answer to "who is this bearer?": an identity and whether it may only read, or why not. */
export type Resolution = { identity: Identity; readOnly: boolean } | { refused: string | undefined };

/**
 * A person signed in through OAuth, acting with the API token their newest access token carries.
 * Every session of the person shares this object (fair use, the query tool's table cache).
 */
class Person implements Identity {
  readonly id: string;
  readonly api: ApiClient;
  private token = '';
  private exp = 0;

  constructor(sub: string, make: (bearer: () => string) => ApiClient) {
    this.id = `oauth:${sub}`;
    this.api = make(() => this.token);
  }

  /** Takes the API token of a grant that lasts at least as long as the one in use. */
  offer(token: string, exp: number) {
    if (exp >= this.exp) {
      this.token = token;
      this.exp = exp;
    }
  }

  renew(newer: Identity) {
    if (newer instanceof Person) this.offer(newer.token, newer.exp);
  }
}

/**
 * Everything serve-sse knows about who may call it: the shared bearer tokens (SSE_BEARER_TOKEN,
 * acting as the configured API user) and, with --users, each person's token and API identity,
 * each with its own JWT session. Rebuilt in place on SIGHUP: sessions keep their identity
 * objects, so an unchanged user keeps its API session too.
 */
export class Identities {
  readonly directory = new TokenDirectory();
  private users = new Map<string, { entry: UserEntry; identity: Identity }>();
  private readonly limiter?: Throttle;
  private oauth?: Pick<OAuthServer, 'verify' | 'rotate'>;
  /** The people seen lately; one that falls out is made again on its next request. */
  private readonly people = new Lru<string, Person>(1_000);

  constructor(private readonly ctx: AppContext) {
    if (ctx.config.rateLimit > 0) this.limiter = new Throttle({ requests: ctx.config.rateLimit, periodSeconds: 60 });
    this.build(ctx.config.bearerTokens);
  }

  /** With a users file or OAuth, the shared token counts only when it was set on purpose (not the default). */
  get sharedTokensActive() {
    return (!this.ctx.config.usersFile && !this.ctx.config.oauth) || this.ctx.sources.bearerTokens.source !== 'default';
  }

  private build(sharedTokens: string[]) {
    const entries: { token: string; identity: Identity }[] = [];
    if (this.sharedTokensActive) for (const token of sharedTokens) entries.push({ token, identity: { id: tokenLabel(token), api: this.ctx.api } });
    const next = new Map<string, { entry: UserEntry; identity: Identity }>();
    if (this.ctx.config.usersFile) {
      for (const entry of readUsersFile(this.ctx.config.usersFile)) {
        const old = this.users.get(entry.label);
        const same = old && old.entry.username === entry.username && old.entry.password === entry.password && old.entry.apiKey === entry.apiKey;
        const identity = same ? old.identity : { id: entry.label, api: this.clientFor(entry) };
        next.set(entry.label, { entry, identity });
        entries.push({ token: entry.token, identity });
        this.ctx.logger.addSecrets([entry.token, entry.password, entry.apiKey]);
      }
    }
    this.users = next;
    this.directory.replace(entries);
  }

  private clientFor(u: UserEntry): ApiClient {
    const api = apiClientFor({ ...this.ctx.config, username: u.username ?? '', password: u.password ?? '', apiKey: u.apiKey }, this.ctx.logger);
    this.ctx.onClose.push(() => api.close());
    return api;
  }

  /** With --oauth: access tokens are opened by the OAuth server, and each names a person. */
  useOAuth(oauth: Pick<OAuthServer, 'verify' | 'rotate'>) {
    this.oauth = oauth;
  }

  /** Who a request's bearer is (a shared token, a users-file token, or an OAuth access token), or why it is refused. */
  resolve(req: import('node:http').IncomingMessage): Resolution {
    const token = bearerOf(req);
    if (token === undefined) return { refused: undefined };
    const readOnly = this.ctx.config.readOnly;
    if (this.oauth && token.startsWith('cma_')) {
      const grant = this.oauth.verify(token, req);
      if ('error' in grant) return { refused: grant.error };
      return { identity: this.person(grant), readOnly: readOnly || !canWrite(grant.scope) };
    }
    const identity = this.directory.resolveToken(token);
    return identity ? { identity, readOnly } : { refused: 'The bearer token is not valid.' };
  }

  private person(g: VerifiedGrant): Person {
    let p = this.people.get(g.sub);
    if (!p) {
      p = new Person(g.sub, (bearer) => apiClientFor({ ...this.ctx.config, username: g.sub, password: '', apiKey: undefined }, this.ctx.logger, { bearer }));
      this.people.set(g.sub, p);
    }
    p.offer(g.apiToken, g.exp);
    return p;
  }

  /** Fair use: the isError text when this identity made too many calls this minute. */
  admit(identity: Identity): string | undefined {
    const wait = this.limiter?.hit(identity.id, Date.now());
    if (wait === undefined) return undefined;
    return `Rate limit: each client may make ${this.ctx.config.rateLimit} tool calls a minute here; retry in ${wait} s.`;
  }

  /**
   * SIGHUP: read the secret files and the users file again. Either everything new applies or,
   * if anything is wrong, nothing does (the error says what), so a typo never locks people out.
   */
  reload(): string {
    const fresh = rereadSecretFiles({ config: this.ctx.config, sources: this.ctx.sources, files: this.ctx.files });
    const usersBefore = this.users;
    const previous = this.ctx.config.bearerTokens;
    try {
      this.build(fresh.bearerTokens ?? previous);
    } catch (err) {
      this.users = usersBefore;
      throw err;
    }
    if (fresh.bearerTokens) this.ctx.config.bearerTokens = fresh.bearerTokens;
    if (fresh.oauthSecrets && this.oauth) {
      this.oauth.rotate(fresh.oauthSecrets);
      this.ctx.config.oauthSecrets = fresh.oauthSecrets;
    }
    // Always: a SIGHUP also ends the back-off after refused credentials (someone fixed the account).
    this.ctx.api.updateCredentials({ password: fresh.password, apiKey: fresh.apiKey });
    this.ctx.logger.addSecrets([...(fresh.bearerTokens ?? []), ...(fresh.oauthSecrets ?? []), fresh.password, fresh.apiKey]);
    const read = Object.keys(fresh).map((k) => ({ bearerTokens: 'SSE_BEARER_TOKEN_FILE', password: 'API_PASSWORD_FILE', apiKey: 'API_KEY_FILE', oauthSecrets: 'OAUTH_SECRET_FILE' })[k as 'password'] ?? k);
    if (this.ctx.config.usersFile) read.push(`users file (${this.users.size} users)`);
    return read.length ? `re-read ${read.join(', ')}; ${this.directory.size} tokens valid; sessions kept` : 'no secret files or users file to re-read';
  }
}
