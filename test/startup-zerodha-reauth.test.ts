// Token expiry while the zerodha namespace runs, on the real dev server, broker, Postgres and Redis
// against the fake Kite through the real kiteconnect client: the fake expires every access token
// (its control, as Kite does at 06:00 IST), the services see the TokenException, the SAME startup
// run goes back to awaiting-auth with the login URL in its status and search attribute, refuses a
// wrong request_token while it keeps waiting, and on a new one through the path `alpha-panda auth`
// takes returns to running: the feed reconnects with the new token and the engine places again,
// with no service restarted.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServices, readStatus, startNamespace, stopNamespace, submitRequestToken } from '../api/operations';
import { kiteTagFor } from '../core/broker/kite-order-model';
import { loadValidSession } from '../core/broker/session-store';
import { createEvent } from '../core/domain/events';
import { paise } from '../core/domain/money';
import { ALL_SERVICES } from '../core/domain/namespace';
import { namespaceTopics, strategyInstrumentKey } from '../core/domain/topics';
import { makeSignal, makeValidated } from '../core/domain/trading/testing';
import { createKafka } from '../core/kafka/client';
import { createEventProducer } from '../core/kafka/producer';
import type { FakeKite } from '../scripts/fake-kite/server';
import { orderIdFor } from '../services/trading-engine/service';
import { phaseSearchAttribute, startupWorkflowId } from '../workflows/definitions';
import { createZerodhaTestApp, waitForPhase, type ZerodhaTestApp } from './support/kite';
import { waitFor } from './support/temporal';

const API_KEY = 'zerodhareauthkey01';
const API_SECRET = 'zerodhareauthsecret0123456789';
const INFY = 408065;

describe('zerodha namespace: the session expires while running', () => {
  let app: ZerodhaTestApp;
  let fake: FakeKite;

  beforeAll(async () => {
    app = await createZerodhaTestApp({ apiKey: API_KEY, apiSecret: API_SECRET, fake: { tickerIntervalMs: 200 }, activateStrategy: true });
    fake = app.fake;
    await app.startWorker();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('goes back to awaiting-auth in the same run, refuses a wrong token, and resumes feed and orders on a new one', async () => {
    const { client } = app.temporal;
    const handle = client.workflow.getHandle(startupWorkflowId('zerodha'));
    const { runId } = await startNamespace(client, 'zerodha');
    await waitForPhase(client, 'zerodha', 'awaiting-auth');
    expect((await submitRequestToken(client, 'zerodha', fake.issueRequestToken())).accepted).toBe(true);
    await waitForPhase(client, 'zerodha', 'running');
    await waitFor(async () => {
      const services = await readServices(client, 'zerodha');
      return services.length === ALL_SERVICES.length && services.every((service) => service.state === 'running');
    }, 'every zerodha service running');
    await waitFor(async () => fake.ticker.stats().open === 1, 'the feed connected to the ticker');
    const [firstToken] = fake.state.issuedAccessTokens();

    // Kite's daily expiry, through the fake's control.
    const expired = (await (await fetch(`${fake.url}/_fake/access-tokens/expire`, { method: 'POST' })).json()) as { expired: number };
    expect(expired.expired).toBe(1);

    const waiting = await waitForPhase(client, 'zerodha', 'awaiting-auth');
    expect(waiting.loginUrl).toBe(`${fake.loginUrl}?v=3&api_key=${API_KEY}`);
    // No deadline: the 06:00 expiry comes hours before anyone logs in, and the workflow must not fail.
    expect(waiting.authDeadline).toBeNull();
    expect(waiting.checks.find((check) => check.name === 'broker-api')?.outcome).toBe('pending');
    const described = await handle.describe();
    expect(described.runId).toBe(runId);
    expect(described.status.name).toBe('RUNNING');
    expect(described.typedSearchAttributes.get(phaseSearchAttribute)).toBe('awaiting-auth');
    // The services say why they wait, in their supervisors' status, still running.
    const feed = await waitFor(async () => {
      const service = (await readServices(client, 'zerodha')).find((report) => report.service === 'market-feed');
      return service?.needsAuth ? service : false;
    }, 'the feed to say it waits for a login');
    expect(feed).toMatchObject({ state: 'running', needsAuth: expect.stringMatching(/TokenException|no valid Zerodha session/) });
    // The refused session is marked invalid where every service reads it from.
    const db = new pg.Client({ connectionString: app.config.database.postgresUrl });
    await db.connect();
    try {
      expect(await loadValidSession(db, app.config, new Date())).toBeNull();
    } finally {
      await db.end();
    }

    // A wrong token: refused with Kite's reason, and the run keeps waiting.
    const wrong = await submitRequestToken(client, 'zerodha', 'NeverIssuedToken0123456789abcdef');
    expect(wrong.accepted).toBe(false);
    expect(wrong.message).toContain('Zerodha rejected the request token');
    const stillWaiting = await readStatus(client, 'zerodha');
    expect(stillWaiting.phase).toBe('awaiting-auth');
    expect(stillWaiting.authError).toBe(wrong.message);

    // A new login through what `alpha-panda auth` calls.
    const accepted = await submitRequestToken(client, 'zerodha', fake.issueRequestToken());
    expect(accepted).toMatchObject({ accepted: true });
    const back = await waitForPhase(client, 'zerodha', 'running');
    expect(back.loginUrl).toBeNull();
    expect(back.authError).toBeNull();
    expect((await handle.describe()).runId).toBe(runId);

    // The feed reconnects with the new token.
    const newToken = fake.state.issuedAccessTokens().find((token) => token !== firstToken)!;
    expect(fake.isAccessTokenActive(newToken)).toBe(true);
    await waitFor(async () => fake.ticker.stats().open === 1, 'the feed reconnected with the new session');

    // The engine places again: a validated signal becomes an order at Kite.
    const prefix = app.env.REDPANDA__TOPIC_PREFIX!;
    const kafka = createKafka(app.config);
    const producer = createEventProducer(kafka);
    await producer.connect();
    const validated = makeValidated(makeSignal({ strategyId: 'reauth-1', instrumentToken: INFY, tradingsymbol: 'INFY', product: 'MIS', orderType: 'MARKET', quantity: 3, referencePrice: paise(150_000) }));
    const envelope = createEvent({ type: 'signal_validated', source: 'risk-manager', namespace: 'zerodha', data: validated });
    try {
      await producer.sendBatch([{ topic: namespaceTopics('zerodha', prefix).signalsValidated, key: strategyInstrumentKey('reauth-1', INFY), envelope }]);
    } finally {
      await producer.disconnect();
    }
    const tag = kiteTagFor(orderIdFor(envelope.id));
    const order = await waitFor(async () => fake.orders.listOrders().find((placed) => placed.tag === tag) ?? false, 'the order placed after the new login', 60_000);
    expect(fake.orders.orderJson(order)).toMatchObject({ tag, tradingsymbol: 'INFY', quantity: 3 });

    // Nothing crash-looped: every service ran on through the expiry.
    const services = await readServices(client, 'zerodha');
    expect(services.map((service) => [service.service, service.state, service.restarts])).toEqual(
      services.map((service) => [service.service, 'running', 0]),
    );

    await stopNamespace(client, 'zerodha');
    expect((await handle.result()).phase).toBe('stopped');
  });
});
