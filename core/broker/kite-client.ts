// The adapter over the official `kiteconnect` client for the session side of Kite Connect:
// login URL, request token exchange, profile and logout. Every failure comes out as a KiteError
// (see ./kite-error) whose message is safe to show users; every call is counted by the meter
// given, if any (./kite-calls).
import { KiteConnect, type Connect } from 'kiteconnect';
import { z } from 'zod';
import type { Config } from '../config/load';
import { IST_OFFSET_MINUTES } from '../domain/market-hours';
import { meteredCall, type KiteCallMeter, type KiteEndpoint } from './kite-calls';
import { KiteError, toKiteError } from './kite-error';

export { KiteError, toKiteError, type KiteErrorKind } from './kite-error';

export interface KiteSession {
  accessToken: string;
  userId: string;
  userName: string | null;
  /** When the user logged in on Kite's page (Kite reports it in IST; this is the instant). */
  loginTime: Date | null;
}

export interface KiteProfile {
  userId: string;
  userName: string | null;
  userShortname: string | null;
  email: string | null;
  broker: string | null;
  exchanges: string[];
  products: string[];
  orderTypes: string[];
}

const sessionResponse = z.object({
  access_token: z.string().min(1),
  user_id: z.string().min(1),
  user_name: z.string().nullish(),
  login_time: z.union([z.date(), z.string()]).nullish(),
});

const profileResponse = z.object({
  user_id: z.string().min(1),
  user_name: z.string().nullish(),
  user_shortname: z.string().nullish(),
  email: z.string().nullish(),
  broker: z.string().nullish(),
  exchanges: z.array(z.string()).nullish(),
  products: z.array(z.string()).nullish(),
  order_types: z.array(z.string()).nullish(),
});

/**
 * Kite's login page for this app. Built here because kiteconnect's getLoginURL() ignores a
 * custom login address.
 */
export function loginUrl(config: Config): string {
  const url = new URL(config.zerodha.loginRoot);
  url.searchParams.set('v', '3');
  url.searchParams.set('api_key', config.zerodha.apiKey);
  return url.toString();
}

function createClient(config: Config, accessToken?: string): Connect {
  return new KiteConnect({ api_key: config.zerodha.apiKey, root: config.zerodha.apiRoot, access_token: accessToken });
}

/**
 * Exchanges a single-use request token for an access token, then reads the profile with it to
 * prove the new session works before anyone stores it.
 */
export async function exchangeRequestToken(config: Config, requestToken: string, meter?: KiteCallMeter): Promise<KiteSession> {
  const secrets = [config.zerodha.apiSecret, requestToken];
  const client = createClient(config);
  const session = parseResponse(
    sessionResponse,
    await callKite('POST /session/token', () => client.generateSession(requestToken, config.zerodha.apiSecret), secrets, meter),
    secrets,
    'session',
  );
  secrets.push(session.access_token);
  client.setAccessToken(session.access_token);
  const profile = parseResponse(profileResponse, await callKite('GET /user/profile', () => client.getProfile(), secrets, meter), secrets, 'profile');
  if (profile.user_id !== session.user_id) {
    throw new KiteError('other', 'Zerodha returned a profile for a different user than the one who logged in.');
  }
  return {
    accessToken: session.access_token,
    userId: session.user_id,
    userName: profile.user_name ?? session.user_name ?? null,
    loginTime: kiteTimeToInstant(session.login_time),
  };
}

/** The profile of the user behind an access token; a KiteError of kind 'token' means it no longer works. */
export async function fetchProfile(config: Config, accessToken: string, meter?: KiteCallMeter): Promise<KiteProfile> {
  const secrets = [config.zerodha.apiSecret, accessToken];
  const client = createClient(config, accessToken);
  const profile = parseResponse(profileResponse, await callKite('GET /user/profile', () => client.getProfile(), secrets, meter), secrets, 'profile');
  return {
    userId: profile.user_id,
    userName: profile.user_name ?? null,
    userShortname: profile.user_shortname ?? null,
    email: profile.email ?? null,
    broker: profile.broker ?? null,
    exchanges: profile.exchanges ?? [],
    products: profile.products ?? [],
    orderTypes: profile.order_types ?? [],
  };
}

/** Logs the session out at Kite: the access token stops working at once. */
export async function invalidateAccessToken(config: Config, accessToken: string, meter?: KiteCallMeter): Promise<void> {
  const client = createClient(config, accessToken);
  await callKite('DELETE /session/token', () => client.invalidateAccessToken(accessToken), [config.zerodha.apiSecret, accessToken], meter);
}

async function callKite<T>(endpoint: KiteEndpoint, call: () => Promise<T>, secrets: readonly string[], meter: KiteCallMeter | undefined): Promise<T> {
  return meteredCall(
    meter,
    endpoint,
    async () => {
      const result = await call();
      // kiteconnect resolves, rather than rejects, with `{ error_type, message }` when a response
      // is not JSON (a proxy's error page, say).
      if (result !== null && typeof result === 'object' && 'error_type' in result) throw result;
      return result;
    },
    (error) => toKiteError(error, secrets),
  );
}

function parseResponse<T>(schema: z.ZodType<T>, value: unknown, secrets: readonly string[], what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Name the fields, never echo the values: the response may hold the access token.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))].join(', ');
    throw toKiteError({ message: `Zerodha returned an unexpected ${what} response (fields: ${fields}).` }, secrets);
  }
  return parsed.data;
}

/**
 * Kite reports times as IST wall-clock text without a zone ("2026-03-02 09:05:13"), and
 * kiteconnect turns that text into a Date in the process's local zone. Both are read back here as
 * IST, so the instant is right whatever zone the process runs in.
 */
export function kiteTimeToInstant(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  let wallClockAsUtc: number;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    wallClockAsUtc = Date.UTC(
      value.getFullYear(),
      value.getMonth(),
      value.getDate(),
      value.getHours(),
      value.getMinutes(),
      value.getSeconds(),
    );
  } else {
    const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(value);
    if (!match) return null;
    const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    wallClockAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  }
  return new Date(wallClockAsUtc - IST_OFFSET_MINUTES * 60_000);
}
