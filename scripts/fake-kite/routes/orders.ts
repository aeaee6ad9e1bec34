// Kite's order API: place, modify and cancel per variety, the day's order book, an order's
// history (one entry per status change), and the trades. Place, modify and cancel count against
// the per-second order limit and answer 429 above it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fields, formatKiteTime, parseAuthorization, requireKiteVersion, sendData, sendError, sendRefusal } from '../kite-http';
import { TOO_MANY_REQUESTS, type FakeKiteOrders, type FakeTrade } from '../orders-state';
import { INVALID_ACCESS_TOKEN, type FakeKiteState } from '../state';

/** A preHandler that answers 403 TokenException unless the request carries a live access token. */
export function requireSession(state: FakeKiteState) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const credentials = parseAuthorization(request.headers.authorization);
    const outcome = credentials ? state.authorize(credentials.apiKey, credentials.accessToken) : undefined;
    if (!outcome?.ok) await sendError(reply, 403, 'TokenException', outcome?.message ?? INVALID_ACCESS_TOKEN);
  };
}

export function registerOrderRoutes(app: FastifyInstance, state: FakeKiteState, orders: FakeKiteOrders): void {
  const preHandler = [requireKiteVersion, requireSession(state)];
  const admitted = (reply: FastifyReply) => {
    if (orders.admitOrderRequest()) return true;
    void sendError(reply, 429, 'NetworkException', TOO_MANY_REQUESTS);
    return false;
  };
  const params = (request: FastifyRequest) => request.params as { variety: string; order_id: string };

  app.post('/orders/:variety', { preHandler }, async (request, reply) => {
    if (!admitted(reply)) return reply;
    const outcome = orders.place(params(request).variety, fields(request.body));
    return outcome.ok ? sendData(reply, { order_id: outcome.orderId }) : sendRefusal(reply, outcome);
  });

  app.put('/orders/:variety/:order_id', { preHandler }, async (request, reply) => {
    if (!admitted(reply)) return reply;
    const { variety, order_id } = params(request);
    const outcome = orders.modify(variety, order_id, fields(request.body));
    return outcome.ok ? sendData(reply, { order_id: outcome.orderId }) : sendRefusal(reply, outcome);
  });

  app.delete('/orders/:variety/:order_id', { preHandler }, async (request, reply) => {
    if (!admitted(reply)) return reply;
    const { variety, order_id } = params(request);
    const outcome = orders.cancel(variety, order_id);
    return outcome.ok ? sendData(reply, { order_id: outcome.orderId }) : sendRefusal(reply, outcome);
  });

  app.get('/orders', { preHandler }, async (_request, reply) => sendData(reply, orders.listOrders().map((order) => orders.orderJson(order))));

  app.get('/orders/:order_id', { preHandler }, async (request, reply) => {
    const order = orders.order(params(request).order_id);
    if (!order) return sendError(reply, 400, 'OrderException', "Couldn't find that `order_id`.");
    return sendData(reply, order.history);
  });

  app.get('/trades', { preHandler }, async (_request, reply) => sendData(reply, orders.listTrades().map(tradeJson)));

  app.get('/orders/:order_id/trades', { preHandler }, async (request, reply) => {
    const orderId = params(request).order_id;
    return sendData(reply, orders.listTrades().filter((trade) => trade.orderId === orderId).map(tradeJson));
  });
}

function tradeJson(trade: FakeTrade) {
  return {
    trade_id: trade.tradeId,
    order_id: trade.orderId,
    exchange: trade.exchange,
    tradingsymbol: trade.tradingsymbol,
    instrument_token: trade.instrumentToken,
    product: trade.product,
    average_price: trade.price / 100,
    quantity: trade.quantity,
    exchange_order_id: trade.exchangeOrderId,
    transaction_type: trade.transactionType,
    fill_timestamp: formatKiteTime(trade.fillTimestamp),
    order_timestamp: formatKiteTime(trade.orderTimestamp),
    exchange_timestamp: formatKiteTime(trade.exchangeTimestamp),
  };
}
