// The fake's order routes and their controls over HTTP, with fetch: Kite's envelopes and codes.
import { KiteConnect } from 'kiteconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKite, type FakeKite } from './server';

const apiKey = 'routeskey01';
const apiSecret = 'routessecret0123';
let fake: FakeKite;
let headers: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeKite({ apiKey, apiSecret, port: 0 });
  const session = await new KiteConnect({ api_key: apiKey, root: fake.url }).generateSession(fake.issueRequestToken(), apiSecret);
  headers = { 'X-Kite-Version': '3', Authorization: `token ${apiKey}:${session.access_token}`, 'Content-Type': 'application/x-www-form-urlencoded' };
});
afterAll(() => fake.close());

const json = (body: unknown) => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('fake Kite order routes', () => {
  it('answers without a session with 403 TokenException', async () => {
    const response = await fetch(`${fake.url}/orders`, { headers: { 'X-Kite-Version': '3' } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ status: 'error', error_type: 'TokenException', data: null });
  });

  it('places through the controls: price, rejection, outside position', async () => {
    expect((await fetch(`${fake.url}/_fake/prices/NSE:INFY`, { method: 'PUT', ...json({ price_paise: 150_010 }) })).status).toBe(200);
    expect(fake.orders.priceOf('INFY')).toBe(150_010);
    expect((await fetch(`${fake.url}/_fake/prices/408065`, { method: 'PUT', ...json({ price_paise: 1.5 }) })).status).toBe(400);

    const placed = await fetch(`${fake.url}/orders/regular`, {
      method: 'POST',
      headers,
      body: new URLSearchParams({ exchange: 'NSE', tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: '2', product: 'CNC', order_type: 'MARKET', market_protection: '-1' }),
    });
    const { data } = (await placed.json()) as { data: { order_id: string } };
    const history = (await (await fetch(`${fake.url}/orders/${data.order_id}`, { headers })).json()) as { status: string; data: { status: string; average_price: number }[] };
    expect(history).toMatchObject({ status: 'success' });
    expect(history.data.at(-1)).toMatchObject({ status: 'COMPLETE', average_price: 1500.1 });

    await fetch(`${fake.url}/_fake/orders/reject-next`, { method: 'POST', ...json({ message: 'RMS: blocked' }) });
    expect(fake.orders.place('regular', { exchange: 'NSE', tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: '1', product: 'CNC', order_type: 'LIMIT', price: '1400' })).toMatchObject({ ok: true });
    expect(fake.orders.listOrders().at(-1)).toMatchObject({ status: 'REJECTED', statusMessage: 'RMS: blocked' });

    expect((await fetch(`${fake.url}/_fake/positions`, { method: 'POST', ...json({ instrument: 'SBIN', quantity: 3, average_price_paise: 80_000 }) })).status).toBe(200);
    const positions = (await (await fetch(`${fake.url}/portfolio/positions`, { headers })).json()) as { data: { net: { tradingsymbol: string; quantity: number }[] } };
    expect(positions.data.net).toEqual(expect.arrayContaining([expect.objectContaining({ tradingsymbol: 'SBIN', quantity: 3 }), expect.objectContaining({ tradingsymbol: 'INFY', quantity: 2 })]));
  });

  it("refuses an unknown order with an OrderException and an unknown variety's order with an InputException", async () => {
    const missing = await fetch(`${fake.url}/orders/regular/123`, { method: 'DELETE', headers });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error_type: 'OrderException' });
    const badVariety = await fetch(`${fake.url}/orders/normal`, { method: 'POST', headers, body: 'exchange=NSE' });
    expect(await badVariety.json()).toMatchObject({ error_type: 'InputException', message: 'Invalid `variety`.' });
  });

  it('answers 429 over 10 order requests a second, and counts those answers for the controls', async () => {
    const place = () =>
      fetch(`${fake.url}/orders/regular`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ exchange: 'NSE', tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: '1', product: 'MIS', order_type: 'LIMIT', price: '1400' }),
      });
    const before = (await (await fetch(`${fake.url}/_fake/orders/requests`)).json()) as { admitted: number; rate_limited: number };
    const statuses = (await Promise.all(Array.from({ length: 12 }, place))).map((response) => response.status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(2);
    const after = (await (await fetch(`${fake.url}/_fake/orders/requests`)).json()) as { admitted: number; rate_limited: number };
    expect(after.rate_limited - before.rate_limited).toBe(statuses.filter((status) => status === 429).length);
    expect(after.admitted - before.admitted).toBe(statuses.filter((status) => status === 200).length);
  });
});
