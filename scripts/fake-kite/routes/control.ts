// Test controls under /_fake/: not part of Kite's API, so they live apart from it and are never
// counted as calls.
import type { FastifyInstance } from 'fastify';
import { fields } from '../kite-http';
import type { FakeKiteOrders } from '../orders-state';
import type { FakeKiteState } from '../state';
import type { FakeKiteTicker } from '../ticker';

export const CONTROL_PREFIX = '/_fake';

export function registerControlRoutes(app: FastifyInstance, state: FakeKiteState, orders?: FakeKiteOrders): void {
  app.post(`${CONTROL_PREFIX}/request-tokens`, async () => ({ request_token: state.issueRequestToken() }));
  // Also ends the ticker's connections of those tokens (see FakeKiteTicker).
  app.post(`${CONTROL_PREFIX}/access-tokens/expire`, async () => ({ expired: state.expireAccessTokens() }));
  app.get(`${CONTROL_PREFIX}/calls`, async () => ({ calls: state.calls() }));
  if (orders) registerOrderControls(app, orders);
}

/** `:instrument` is an instrument token or a tradingsymbol, optionally `EXCHANGE:SYMBOL`. */
function instrumentOf(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

function registerOrderControls(app: FastifyInstance, orders: FakeKiteOrders): void {
  // {"admitted": 12, "rate_limited": 0}: how many order requests were answered 429.
  app.get(`${CONTROL_PREFIX}/orders/requests`, async () => {
    const counts = orders.orderRequestCounts();
    return { admitted: counts.admitted, rate_limited: counts.rateLimited };
  });

  // Body: {"price_paise": 150025}. Resting orders on the instrument react to the new price.
  app.put(`${CONTROL_PREFIX}/prices/:instrument`, async (request, reply) => {
    const { instrument } = request.params as { instrument: string };
    const price = fields(request.body).price_paise;
    if (typeof price !== 'number' || !Number.isSafeInteger(price) || price <= 0) {
      return reply.code(400).send({ error: 'price_paise must be a positive whole number of paise' });
    }
    orders.setPrice(instrumentOf(instrument), price);
    return { instrument, price_paise: price };
  });

  // Body: {"message": "..."}: the next order placed is REJECTED with this status_message.
  app.post(`${CONTROL_PREFIX}/orders/reject-next`, async (request, reply) => {
    const message = fields(request.body).message;
    if (typeof message !== 'string' || message === '') return reply.code(400).send({ error: 'message is required' });
    orders.rejectNextOrder(message);
    return { queued: message };
  });

  // Body: {"instrument": "INFY", "quantity": 10, "average_price_paise": 150000, "product": "CNC",
  // "overnight": false}: a position opened outside the platform, for reconciliation tests.
  app.post(`${CONTROL_PREFIX}/positions`, async (request, reply) => {
    const body = fields(request.body);
    const instrument = typeof body.instrument === 'number' ? body.instrument : typeof body.instrument === 'string' ? instrumentOf(body.instrument) : undefined;
    const { quantity, average_price_paise: averagePrice } = body;
    if (instrument === undefined || typeof quantity !== 'number' || typeof averagePrice !== 'number') {
      return reply.code(400).send({ error: 'instrument, quantity and average_price_paise are required' });
    }
    try {
      orders.openPosition({
        instrument,
        quantity,
        averagePrice,
        product: typeof body.product === 'string' ? body.product : undefined,
        overnight: body.overnight === true,
      });
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
    return { opened: true };
  });
}

export function registerTickerControlRoutes(app: FastifyInstance, ticker: FakeKiteTicker): void {
  app.post(`${CONTROL_PREFIX}/ticker/drop`, async () => ({ dropped: ticker.dropAllConnections() }));
  app.post(`${CONTROL_PREFIX}/ticker/tick`, async () => ({ sent: ticker.tickNow() }));
  app.get(`${CONTROL_PREFIX}/ticker`, async () => ({ ...ticker.stats(), subscriptions: ticker.subscriptions() }));
}
