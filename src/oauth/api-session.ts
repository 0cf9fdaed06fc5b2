import type { Api } from '../api/client.js';
import type { ApiPair } from './grants.js';

/**
 * The API's own auth endpoints, called for a person: login with their password, refresh and
 * logout with their tokens. Errors cross from the main bundle, so they are read by shape
 * (status, retryAfter), not by class.
 */
export type AuthOutcome<T> = { ok: T } | { refused: true; status: number; message: string } | { throttled: number } | { unavailable: string };

interface ErrorShape {
  status?: number;
  message?: string;
  info?: { retryAfter?: number; kind?: string };
}

function outcome<T>(err: unknown): AuthOutcome<T> {
  const e = err as ErrorShape;
  const status = e?.status ?? 0;
  if (status === 429) return { throttled: e.info?.retryAfter ?? 60 };
  if (status === 400 || status === 401 || status === 403) return { refused: true, status, message: e.message ?? `HTTP ${status}` };
  return { unavailable: e?.message ?? String(err) };
}

const forwarded = (address?: string): Record<string, string> => (address ? { 'X-Forwarded-For': address } : {});

export class ApiAuth {
  constructor(private readonly api: Api) {}

  /** The person's address goes along, so the API's login throttle counts per person (DRF reads X-Forwarded-For). */
  async login(username: string, password: string, address: string): Promise<AuthOutcome<ApiPair & { username: string }>> {
    try {
      const body = await this.api.request<{ access?: string; refresh?: string; user?: { username?: string } }>('POST', ['auth', 'login'], { auth: false, body: { username, password }, headers: forwarded(address) });
      if (typeof body?.access !== 'string' || typeof body.refresh !== 'string') return { unavailable: 'the API answered the login without tokens' };
      return { ok: { access: body.access, refresh: body.refresh, username: body.user?.username ?? username } };
    } catch (err) {
      return outcome(err);
    }
  }

  /** Rotates the session: the API blacklists `refresh`, so a second use anywhere is refused. */
  async refresh(refresh: string, address?: string): Promise<AuthOutcome<ApiPair>> {
    try {
      const body = await this.api.request<{ access?: string; refresh?: string }>('POST', ['auth', 'refresh'], { auth: false, body: { refresh }, headers: forwarded(address) });
      if (typeof body?.access !== 'string' || typeof body.refresh !== 'string') return { unavailable: 'the API answered the refresh without tokens' };
      return { ok: { access: body.access, refresh: body.refresh } };
    } catch (err) {
      return outcome(err);
    }
  }

  /** Blacklists the session's refresh token; the API wants the person's own access token for it. */
  async logout(pair: ApiPair): Promise<AuthOutcome<true>> {
    try {
      await this.api.request('POST', ['auth', 'logout'], { auth: false, body: { refresh: pair.refresh }, headers: { Authorization: `Bearer ${pair.access}` } });
      return { ok: true };
    } catch (err) {
      return outcome(err);
    }
  }
}
