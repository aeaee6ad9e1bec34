// The zerodha namespace on the real dev server, broker, Postgres and Redis, logging in to the fake
// Kite through the real kiteconnect client: startup waits for the request_token, refuses wrong
// and malformed ones while it keeps waiting, unblocks on the right one, keeps the access token
// and the API secret out of Postgres plaintext and out of workflow history, stores even the
// request_token in history only encrypted (the payload codec), reuses a stored
// session on the next start, gives up after AUTH__TIMEOUT_SECONDS, and one login unblocks both
// namespaces.
import { WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServices, readStatus, startNamespace, stopNamespace, submitRequestToken } from '../api/operations';
import { loadValidSession } from '../core/broker/session-store';
import { parseConfig } from '../core/config/load';
import { ALL_SERVICES, type BrokerNamespace } from '../core/domain/namespace';
import { payloadCodecs } from '../core/temporal/codec';
import type { FakeKite } from '../scripts/fake-kite/server';
import {
  requestTokenSignal,
  startupWorkflowId,
  submitRequestTokenUpdate,
  supervisorWorkflowId,
} from '../workflows/definitions';
import { createZerodhaTestApp, waitForPhase, type ZerodhaTestApp } from './support/kite';
import { waitFor } from './support/temporal';

const API_KEY = 'zerodhastartupkey01';
const API_SECRET = 'zerodhastartupsecret0123456789';
const USER = { userId: 'ZS4242', userName: 'Startup Tester' };
const EXCHANGE_ROUTE = 'POST /session/token';

/**
 * A run's history as text to search: the JSON form (payloads in base64) followed by every payload's
 * bytes, so a secret is found whether it sits in an event field or inside a payload. The history
 * is fetched as the server stores it; `codecs` (the app's) decode the payloads first, as a worker
 * would see them.
 */
async function historyText(client: Client, namespace: BrokerNamespace, runId?: string, codecs: PayloadCodec[] = []): Promise<string> {
  const history = await client.workflow.getHandle(startupWorkflowId(namespace), runId).fetchHistory();
  const json = historyToJSON(history);
  const payloads: Payload[] = [];
  const walk = (node: unknown): void => {
    if (node instanceof Uint8Array || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const candidate = node as Payload;
    if (candidate.data instanceof Uint8Array && candidate.metadata && typeof candidate.metadata === 'object') payloads.push(candidate);
    else Object.values(node).forEach(walk);
  };
  walk(history);
  let decoded = payloads;
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  return `${json}\n${decoded.map((payload) => Buffer.from(payload.data!).toString('utf8')).join('\n')}`;
}

/** Names of the activities a run scheduled, in order. */
async function scheduledActivities(client: Client, namespace: BrokerNamespace, runId?: string): Promise<string[]> {
  const history = await client.workflow.getHandle(startupWorkflowId(namespace), runId).fetchHistory();
  return (history.events ?? [])
    .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => typeof name === 'string');
}

/** The phases a run published through its search attribute, in order. */
async function publishedPhases(client: Client, namespace: BrokerNamespace, runId?: string): Promise<string[]> {
  const history = await client.workflow.getHandle(startupWorkflowId(namespace), runId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.AlphaPandaPhase;
    if (!payload?.data) return [];
    const value: unknown = JSON.parse(Buffer.from(payload.data).toString('utf8'));
    return Array.isArray(value) ? value.map(String) : [String(value)];
  });
}

describe('startup workflow, zerodha namespace against the fake Kite', () => {
  let app: ZerodhaTestApp;
  let fake: FakeKite;
  let workerStarted = false;

  const ensureWorker = async () => {
    if (workerStarted) return;
    await app.startWorker();
    workerStarted = true;
  };

  beforeAll(async () => {
    app = await createZerodhaTestApp({ apiKey: API_KEY, apiSecret: API_SECRET, fake: { user: USER }, activateStrategy: true });
    fake = app.fake;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('waits 300 seconds for a login by default', () => {
    expect(parseConfig({}).auth.timeoutSeconds).toBe(300);
  });

  it('fails naming the timeout when no request_token arrives within AUTH__TIMEOUT_SECONDS', async () => {
    const { running, done } = await app.startWorker({ AUTH__TIMEOUT_SECONDS: '3' });
    const { client } = app.temporal;
    try {
      await startNamespace(client, 'zerodha');
      const failure = await client.workflow.getHandle(startupWorkflowId('zerodha')).result().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const message = String((failure as WorkflowFailedError).cause?.message);
      expect(message).toMatch(/^Zerodha authentication timed out after 3 seconds: no valid request_token arrived for 'zerodha'\./);
      expect(message).toContain('alpha-panda auth --namespace zerodha --request-token');

      const status = await readStatus(client, 'zerodha');
      expect(status.phase).toBe('failed');
      expect(status.failure).toBe(message);
      expect(await publishedPhases(client, 'zerodha')).toContain('awaiting-auth');
      for (const service of ALL_SERVICES) {
        await expect(client.workflow.getHandle(supervisorWorkflowId('zerodha', service)).describe()).rejects.toThrow(/not found/i);
      }
    } finally {
      running.worker.shutdown();
      await done;
    }
  });

  it('waits for the request_token, refuses wrong ones, unblocks on the right one and keeps secrets out', async () => {
    await ensureWorker();
    const { client } = app.temporal;
    const handle = client.workflow.getHandle(startupWorkflowId('zerodha'));
    const { runId } = await startNamespace(client, 'zerodha');
    const wrongToken = 'NeverIssuedToken0123456789abcdef';

    const waiting = await waitForPhase(client, 'zerodha', 'awaiting-auth');
    expect(waiting.loginUrl).toBe(`${fake.loginUrl}?v=3&api_key=${API_KEY}`);
    expect(Date.parse(waiting.authDeadline!)).toBeGreaterThan(Date.now());
    expect(waiting.checks.find((check) => check.name === 'broker-api')?.outcome).toBe('pending');

    // A well-formed token Kite never issued: refused with a reason, and the workflow keeps waiting.
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const wrong = await submitRequestToken(client, 'zerodha', wrongToken);
    expect(wrong.accepted).toBe(false);
    expect(wrong.message).toContain('Zerodha rejected the request token: Token is invalid or has expired.');
    expect(wrong.message).toContain(`${fake.loginUrl}?v=3&api_key=${API_KEY}`);
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore + 1);
    const afterWrong = await readStatus(client, 'zerodha');
    expect(afterWrong.phase).toBe('awaiting-auth');
    expect(afterWrong.authError).toBe(wrong.message);

    // A malformed token never gets past the update's validator, so it never reaches Kite.
    const malformed = await handle.executeUpdate(submitRequestTokenUpdate, { args: ['not a token!'] }).catch((error: unknown) => error);
    expect(malformed).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((malformed as WorkflowUpdateFailedError).cause?.message).toMatch(/malformed request_token/);
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore + 1);
    expect((await readStatus(client, 'zerodha')).phase).toBe('awaiting-auth');

    // The right token through the fire-and-forget signal.
    const requestToken = fake.issueRequestToken();
    await handle.signal(requestTokenSignal, requestToken);
    const running = await waitForPhase(client, 'zerodha', 'running');
    expect(running.loginUrl).toBeNull();
    expect(running.authError).toBeNull();
    expect(running.checks.find((check) => check.name === 'broker-api')).toMatchObject({ outcome: 'passed' });
    expect(fake.isAccessTokenActive(fake.state.issuedAccessTokens()[0]!)).toBe(true);
    const [accessToken, ...moreTokens] = fake.state.issuedAccessTokens();
    expect(moreTokens).toEqual([]);

    // Postgres holds the session only encrypted: it decrypts to Kite's token, yet no column holds its bytes.
    const db = new pg.Client({ connectionString: app.config.database.postgresUrl });
    await db.connect();
    try {
      const { rows } = await db.query<Record<string, unknown>>('select * from trading_sessions');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ api_key: API_KEY, user_id: USER.userId, invalidated_at: null });
      expect((await loadValidSession(db, app.config, new Date()))?.accessToken).toBe(accessToken);
      const tokenBytes = Buffer.from(accessToken!, 'utf8');
      for (const [column, value] of Object.entries(rows[0]!)) {
        const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value instanceof Date ? value.toISOString() : String(value), 'utf8');
        expect(bytes.includes(tokenBytes), `column ${column} holds the access token`).toBe(false);
      }
    } finally {
      await db.end();
    }

    // The server's history holds no request_token in plain text, neither the signal's nor the
    // refused update's: payloads are encrypted. Decoded with the app's codec it holds the
    // request_token (the signal's input, proving payloads are searched), but neither the access
    // token nor the API secret.
    const stored = await historyText(client, 'zerodha', runId);
    for (const secret of [requestToken, wrongToken, accessToken!, API_SECRET]) expect(stored).not.toContain(secret);
    const codecs = payloadCodecs(app.config);
    expect(codecs).toHaveLength(1);
    const history = await historyText(client, 'zerodha', runId, codecs);
    expect(history).toContain(requestToken);
    expect(history).toContain(wrongToken);
    expect(history).not.toContain(accessToken);
    expect(history).not.toContain(API_SECRET);
    expect(await scheduledActivities(client, 'zerodha', runId)).toContain('getLoginUrl');
    expect(await publishedPhases(client, 'zerodha', runId)).toContain('awaiting-auth');

    const services = await waitFor(async () => {
      const reports = await readServices(client, 'zerodha');
      return reports.length === ALL_SERVICES.length && reports.every((report) => report.state === 'running') && reports;
    }, 'every zerodha supervisor running');
    expect(services.map((service) => service.workflowId).sort()).toEqual(
      ALL_SERVICES.map((service) => supervisorWorkflowId('zerodha', service)).sort(),
    );

    const { feedStopped } = await stopNamespace(client, 'zerodha');
    expect(feedStopped).toBe(true);
    expect((await handle.result()).phase).toBe('stopped');
  });

  it('reuses the stored session on the next start without waiting for a login', async () => {
    await ensureWorker();
    const { client } = app.temporal;
    const issuedBefore = fake.state.issuedAccessTokens().length;
    const exchangesBefore = fake.callCount(EXCHANGE_ROUTE);
    const profileChecksBefore = fake.callCount('GET /user/profile');

    const start = await startNamespace(client, 'zerodha');
    expect(start.started).toBe(true);
    const running = await waitForPhase(client, 'zerodha', 'running');
    expect(running.checks.find((check) => check.name === 'broker-api')).toMatchObject({
      outcome: 'passed',
      detail: expect.stringContaining(`Zerodha session valid for ${USER.userId}`),
    });

    const activities = await scheduledActivities(client, 'zerodha', start.runId);
    expect(activities).toContain('checkBrokerApi');
    expect(activities).not.toContain('getLoginUrl');
    expect(activities).not.toContain('exchangeRequestToken');
    const phases = await publishedPhases(client, 'zerodha', start.runId);
    expect(phases).toContain('running');
    expect(phases).not.toContain('awaiting-auth');
    // The stored session was verified with Kite, not replaced by a new login.
    expect(fake.callCount('GET /user/profile')).toBeGreaterThan(profileChecksBefore);
    expect(fake.callCount(EXCHANGE_ROUTE)).toBe(exchangesBefore);
    expect(fake.state.issuedAccessTokens()).toHaveLength(issuedBefore);

    await stopNamespace(client, 'zerodha');
    expect((await client.workflow.getHandle(startupWorkflowId('zerodha')).result()).phase).toBe('stopped');
  });

  it('unblocks a waiting paper namespace with the token sent to zerodha', async () => {
    await ensureWorker();
    const { client } = app.temporal;
    // Kite's daily expiry: the stored session stops working, so both namespaces need a new login.
    expect(fake.expireAccessTokens()).toBeGreaterThanOrEqual(1);

    const paperStart = await startNamespace(client, 'paper');
    const zerodhaStart = await startNamespace(client, 'zerodha');
    await waitForPhase(client, 'paper', 'awaiting-auth');
    await waitForPhase(client, 'zerodha', 'awaiting-auth');

    await client.workflow.getHandle(startupWorkflowId('zerodha')).signal(requestTokenSignal, fake.issueRequestToken());
    await waitForPhase(client, 'zerodha', 'running');
    const paper = await waitForPhase(client, 'paper', 'running');
    expect(paper.checks.find((check) => check.name === 'broker-api')).toMatchObject({ outcome: 'passed' });

    // Paper found the session zerodha stored; it never exchanged a token itself.
    const paperActivities = await scheduledActivities(client, 'paper', paperStart.runId);
    expect(paperActivities).toContain('hasValidSession');
    expect(paperActivities).not.toContain('exchangeRequestToken');
    expect(await scheduledActivities(client, 'zerodha', zerodhaStart.runId)).toContain('exchangeRequestToken');

    expect((await stopNamespace(client, 'paper')).feedStopped).toBe(false);
    expect((await stopNamespace(client, 'zerodha')).feedStopped).toBe(true);
  });
});
