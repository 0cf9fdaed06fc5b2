import type { ApiClient } from '../api/client.js';
import { rereadSecretFiles } from '../config/config.js';
import { apiClientFor, type AppContext } from '../context.js';
import { Throttle } from '../limits/throttle.js';
import { TokenDirectory, tokenLabel, type Identity } from './tokens.js';
import { readUsersFile, type UserEntry } from './users.js';

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

  constructor(private readonly ctx: AppContext) {
    if (ctx.config.rateLimit > 0) this.limiter = new Throttle({ requests: ctx.config.rateLimit, periodSeconds: 60 });
    this.build(ctx.config.bearerTokens);
  }

  /** With a users file, the shared token counts only when it was set on purpose (not the default). */
  get sharedTokensActive() {
    return !this.ctx.config.usersFile || this.ctx.sources.bearerTokens.source !== 'default';
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
    // Always: a SIGHUP also ends the back-off after refused credentials (someone fixed the account).
    this.ctx.api.updateCredentials({ password: fresh.password, apiKey: fresh.apiKey });
    this.ctx.logger.addSecrets([...(fresh.bearerTokens ?? []), fresh.password, fresh.apiKey]);
    const read = Object.keys(fresh).map((k) => ({ bearerTokens: 'SSE_BEARER_TOKEN_FILE', password: 'API_PASSWORD_FILE', apiKey: 'API_KEY_FILE' })[k as 'password'] ?? k);
    if (this.ctx.config.usersFile) read.push(`users file (${this.users.size} users)`);
    return read.length ? `re-read ${read.join(', ')}; ${this.directory.size} tokens valid; sessions kept` : 'no secret files or users file to re-read';
  }
}
