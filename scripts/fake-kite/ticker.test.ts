// The fake's websocket ticker through a plain websocket client: the handshake, requests per
// connection, frames, order updates and the test controls.
import { KiteConnect } from 'kiteconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeKite, type FakeKite } from './server';
import { decodePacket, splitFrame } from './ticker-packets';

const apiKey = 'tickerkey01';
const apiSecret = 'tickersecret0123';
const INFY = 408065;
const NIFTY = 256265;
const USDINR = 412675;
let fake: FakeKite;

beforeAll(async () => {
  // A long interval: every frame in these tests is asked for with tickNow().
  fake = await startFakeKite({ apiKey, apiSecret, port: 0, tickerIntervalMs: 60_000 });
});
afterAll(() => fake.close());

async function login(): Promise<string> {
  const kite = new KiteConnect({ api_key: apiKey, root: fake.url });
  return (await kite.generateSession(fake.issueRequestToken(), apiSecret)).access_token;
}

interface Client {
  socket: WebSocket;
  frames: Array<Buffer | string>;
  next(): Promise<Buffer | string>;
  closed: Promise<number>;
}

async function connect(accessToken: string): Promise<Client> {
  const socket = new WebSocket(`${fake.tickerUrl}?api_key=${apiKey}&access_token=${accessToken}`);
  const frames: Array<Buffer | string> = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (data, isBinary) => {
    frames.push(isBinary ? (data as Buffer) : data.toString());
    waiter?.();
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    frames,
    closed,
    async next() {
      while (frames.length === 0) await new Promise<void>((resolve) => (waiter = resolve));
      return frames.shift()!;
    },
  };
}

const request = (client: Client, message: unknown) =>
  new Promise<void>((resolve) => client.socket.send(JSON.stringify(message), () => setTimeout(resolve, 50)));

describe('fake Kite ticker', () => {
  it('refuses the handshake with 403 for a wrong or missing access token', async () => {
    for (const query of [`api_key=${apiKey}&access_token=nope`, `api_key=${apiKey}`, `api_key=other&access_token=${await login()}`]) {
      const socket = new WebSocket(`${fake.tickerUrl}?${query}`);
      socket.on('error', () => undefined);
      const status = await new Promise<number>((resolve) =>
        socket.on('unexpected-response', (handshake, response) => {
          resolve(response.statusCode ?? 0);
          handshake.destroy();
        }),
      );
      expect(status).toBe(403);
    }
  });

  it('sends a one-byte heartbeat while nothing is subscribed, then packets in each mode asked for', async () => {
    const client = await connect(await login());
    fake.ticker.tickNow();
    expect(await client.next()).toEqual(Buffer.from([0]));

    await request(client, { a: 'subscribe', v: [INFY, NIFTY, USDINR] });
    await request(client, { a: 'mode', v: ['full', [INFY, NIFTY]] });
    await request(client, { a: 'mode', v: ['ltp', [USDINR]] });
    fake.ticker.setPricePath(USDINR, [{ price: '86.2575' }]);
    fake.ticker.tickNow();
    const packets = splitFrame((await client.next()) as Buffer).map(decodePacket);
    expect(packets.map((p) => [p.quote.instrumentToken, p.mode])).toEqual([
      [INFY, 'full'],
      [NIFTY, 'full'],
      [USDINR, 'ltp'],
    ]);
    expect(packets[2]!.quote.lastPrice).toBe(862_575_000);

    await request(client, { a: 'unsubscribe', v: [INFY, NIFTY] });
    fake.ticker.tickNow();
    expect(splitFrame((await client.next()) as Buffer).map((p) => p.length)).toEqual([8]);
    client.socket.close();
  });

  it("keeps each connection's subscriptions to itself and streams order updates as JSON text", async () => {
    const token = await login();
    const [a, b] = [await connect(token), await connect(token)];
    await request(a, { a: 'subscribe', v: [INFY] });
    fake.ticker.tickNow();
    expect(splitFrame((await a.next()) as Buffer)).toHaveLength(1);
    expect(await b.next()).toEqual(Buffer.from([0]));

    expect(fake.ticker.pushOrderUpdate({ order_id: '1001', status: 'COMPLETE' })).toBeGreaterThanOrEqual(2);
    for (const client of [a, b]) {
      expect(JSON.parse((await client.next()) as string)).toEqual({ type: 'order', id: '', data: { order_id: '1001', status: 'COMPLETE' } });
    }
    a.socket.close();
    b.socket.close();
  });

  it('drops every connection on request, and closes those whose token expired', async () => {
    const dropped = await connect(await login());
    const response = await fetch(`${fake.url}/_fake/ticker/drop`, { method: 'POST' });
    expect(((await response.json()) as { dropped: number }).dropped).toBeGreaterThanOrEqual(1);
    expect(await dropped.closed).toBe(1006);

    const expiring = await connect(await login());
    await fetch(`${fake.url}/_fake/access-tokens/expire`, { method: 'POST' });
    expect(await expiring.closed).toBe(1000);
    expect(fake.ticker.stats().open).toBe(0);
  });

  it("serves the instrument dump as Kite's CSV to kiteconnect's getInstruments", async () => {
    const kite = new KiteConnect({ api_key: apiKey, root: fake.url, access_token: await login() });
    const instruments = (await kite.getInstruments()).filter((row) => String(row.instrument_token) !== '');
    expect(instruments.find((row) => Number(row.instrument_token) === USDINR)).toMatchObject({
      tradingsymbol: 'USDINR26MARFUT',
      name: 'USDINR',
      tick_size: 0.0025,
      lot_size: 1,
      instrument_type: 'FUT',
      segment: 'CDS-FUT',
      exchange: 'CDS',
    });
    const csv = await (await fetch(`${fake.url}/instruments/CDS`, { headers: { 'X-Kite-Version': '3', Authorization: `token ${apiKey}:${await login()}` } })).text();
    expect(csv.split('\n')[0]).toBe('instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange');
    expect(csv.split('\n')[1]).toBe('412675,1612,USDINR26MARFUT,"USDINR",86.2525,2026-03-27,0,0.0025,1,FUT,CDS-FUT,CDS');
    expect((await fetch(`${fake.url}/instruments`, { headers: { 'X-Kite-Version': '3' } })).status).toBe(403);
  });
});

describe('fake Kite with orders following the ticker (as `alpha-panda fake-kite` runs it)', () => {
  it("fills at the equity's last ticked price and leaves currency futures alone", async () => {
    const following = await startFakeKite({ apiKey, apiSecret, port: 0, tickerIntervalMs: 60_000, ordersFollowTicker: true });
    try {
      const kite = new KiteConnect({ api_key: apiKey, root: following.url });
      const accessToken = (await kite.generateSession(following.issueRequestToken(), apiSecret)).access_token;
      const socket = new WebSocket(`${following.tickerUrl}?api_key=${apiKey}&access_token=${accessToken}`);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      await new Promise<void>((resolve) => socket.send(JSON.stringify({ a: 'subscribe', v: [INFY, USDINR] }), () => setTimeout(resolve, 50)));
      const usdinrBefore = following.orders.priceOf(USDINR);
      following.ticker.setPricePath(INFY, [{ price: '1432.65' }]);
      following.ticker.setPricePath(USDINR, [{ price: '86.2575' }]);
      following.ticker.tickNow();
      expect(following.orders.priceOf(INFY)).toBe(143_265);
      expect(following.orders.priceOf(USDINR)).toBe(usdinrBefore);
      socket.close();
    } finally {
      await following.close();
    }
  });
});
