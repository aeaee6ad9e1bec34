// In-memory state of the fake Kite Connect service: one API key and secret, one user, the request
// tokens its login page hands out and the access tokens exchanged for them. It is a stand-in for
// an external service, so nothing here is persisted.
import { randomBytes, randomInt } from 'node:crypto';
import { kiteSessionExpiry } from '../../core/domain/market-hours';
import { checksumMatches, kiteChecksum } from './checksum';

export interface FakeKiteUser {
  userId: string;
  userName: string;
  userShortname: string;
  email: string;
  userType: string;
  exchanges: string[];
  products: string[];
  orderTypes: string[];
  avatarUrl: string | null;
}

export interface FakeKiteStateOptions {
  apiKey: string;
  apiSecret: string;
  user?: Partial<FakeKiteUser>;
  /** How long a request token can be exchanged after login; Kite allows a few minutes. */
  requestTokenTtlMs?: number;
  /** The fake's clock; tests pass a controllable one. */
  now?: () => Date;
}

export const DEFAULT_REQUEST_TOKEN_TTL_MS = 5 * 60_000;

export const DEFAULT_USER: FakeKiteUser = {
  userId: 'ZX1234',
  userName: 'Fake Kite User',
  userShortname: 'Fake',
  email: 'fake.user@example.com',
  userType: 'individual',
  exchanges: ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'MCX'],
  products: ['CNC', 'NRML', 'MIS', 'BO', 'CO'],
  orderTypes: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
  avatarUrl: null,
};

interface RequestTokenRecord {
  loginAt: Date;
  used: boolean;
}

export interface AccessTokenRecord {
  readonly accessToken: string;
  readonly publicToken: string;
  readonly enctoken: string;
  readonly loginAt: Date;
  readonly expiresAt: Date;
  endedBy: 'logout' | 'expired' | null;
}

/** A refusal in Kite's vocabulary: HTTP status, `error_type` and a message. */
export interface KiteRefusal {
  status: 400 | 403;
  errorType: 'InputException' | 'TokenException';
  message: string;
}

export type Outcome<T> = ({ ok: true } & T) | ({ ok: false } & KiteRefusal);

export const INVALID_REQUEST_TOKEN = 'Token is invalid or has expired.';
export const INVALID_ACCESS_TOKEN = 'Incorrect `api_key` or `access_token`.';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A token in the shape Kite uses: 32 alphanumeric characters. */
export function randomToken(length = 32): string {
  let token = '';
  for (let i = 0; i < length; i++) token += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return token;
}

export class FakeKiteState {
  readonly apiKey: string;
  readonly user: FakeKiteUser;
  readonly now: () => Date;
  private readonly apiSecret: string;
  private readonly requestTokenTtlMs: number;
  private readonly requestTokens = new Map<string, RequestTokenRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly callCounts = new Map<string, number>();
  private readonly endedListeners: Array<() => void> = [];

  constructor(options: FakeKiteStateOptions) {
    this.apiKey = options.apiKey;
    this.apiSecret = options.apiSecret;
    this.user = { ...DEFAULT_USER, ...options.user };
    this.requestTokenTtlMs = options.requestTokenTtlMs ?? DEFAULT_REQUEST_TOKEN_TTL_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** What a successful login on Kite's page produces. */
  issueRequestToken(): string {
    const token = randomToken();
    this.requestTokens.set(token, { loginAt: this.now(), used: false });
    return token;
  }

  exchangeRequestToken(input: { apiKey: string; requestToken: string; checksum: string }): Outcome<{
    session: AccessTokenRecord;
  }> {
    if (input.apiKey !== this.apiKey) return tokenRefusal('Invalid `api_key`.');
    const record = this.requestTokens.get(input.requestToken);
    const expired = record !== undefined && this.now().getTime() - record.loginAt.getTime() > this.requestTokenTtlMs;
    if (!record || record.used || expired) return tokenRefusal(INVALID_REQUEST_TOKEN);
    // A wrong checksum leaves the request token usable: only a successful exchange spends it.
    const expected = kiteChecksum(this.apiKey, input.requestToken, this.apiSecret);
    if (!checksumMatches(expected, input.checksum)) return tokenRefusal('Invalid `checksum`.');
    record.used = true;
    const session: AccessTokenRecord = {
      accessToken: randomToken(),
      publicToken: randomToken(),
      enctoken: randomBytes(48).toString('base64'),
      loginAt: record.loginAt,
      expiresAt: kiteSessionExpiry(record.loginAt),
      endedBy: null,
    };
    this.accessTokens.set(session.accessToken, session);
    return { ok: true, session };
  }

  /** The session behind an `Authorization: token api_key:access_token` pair, if it still works. */
  authorize(apiKey: string, accessToken: string): Outcome<{ session: AccessTokenRecord }> {
    const session = this.accessTokens.get(accessToken);
    if (apiKey !== this.apiKey || !session || !this.isActive(session)) return tokenRefusal(INVALID_ACCESS_TOKEN);
    return { ok: true, session };
  }

  /** Logout: the token stops working at once. */
  invalidateAccessToken(apiKey: string, accessToken: string): Outcome<object> {
    const authorized = this.authorize(apiKey, accessToken);
    if (!authorized.ok) return authorized;
    authorized.session.endedBy = 'logout';
    this.notifyEnded();
    return { ok: true };
  }

  /** Simulates the daily 06:00 IST expiry: every live access token stops working. */
  expireAccessTokens(): number {
    let expired = 0;
    for (const session of this.accessTokens.values()) {
      if (!this.isActive(session)) continue;
      session.endedBy = 'expired';
      expired++;
    }
    if (expired > 0) this.notifyEnded();
    return expired;
  }

  /** Called whenever access tokens stop working (logout, expiry), so live connections can end too. */
  onAccessTokensEnded(listener: () => void): void {
    this.endedListeners.push(listener);
  }

  private notifyEnded(): void {
    for (const listener of this.endedListeners) listener();
  }

  isAccessTokenActive(accessToken: string): boolean {
    const session = this.accessTokens.get(accessToken);
    return session !== undefined && this.isActive(session);
  }

  /** Every access token issued so far, for tests that need to know what Kite handed out. */
  issuedAccessTokens(): string[] {
    return [...this.accessTokens.keys()];
  }

  recordCall(route: string): void {
    this.callCounts.set(route, (this.callCounts.get(route) ?? 0) + 1);
  }

  /** Calls per route, keyed like `POST /session/token`. */
  calls(): Record<string, number> {
    return Object.fromEntries(this.callCounts);
  }

  callCount(route: string): number {
    return this.callCounts.get(route) ?? 0;
  }

  private isActive(session: AccessTokenRecord): boolean {
    return session.endedBy === null && this.now().getTime() < session.expiresAt.getTime();
  }
}

function tokenRefusal(message: string): KiteRefusal & { ok: false } {
  return { ok: false, status: 403, errorType: 'TokenException', message };
}
