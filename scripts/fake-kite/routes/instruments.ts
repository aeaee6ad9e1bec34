// GET /instruments and GET /instruments/:exchange: Kite's instrument dump, a CSV (text/csv) that
// needs a working access token like every data route.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fields, parseAuthorization, requireKiteVersion, sendError, sendRefusal } from '../kite-http';
import { instrumentsCsv, type FakeInstrument } from '../instruments';
import { INVALID_ACCESS_TOKEN, type FakeKiteState } from '../state';

export function registerInstrumentRoutes(app: FastifyInstance, state: FakeKiteState, instruments: readonly FakeInstrument[]): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const credentials = parseAuthorization(request.headers.authorization);
    const outcome = credentials
      ? state.authorize(credentials.apiKey, credentials.accessToken)
      : ({ ok: false, status: 403, errorType: 'TokenException', message: INVALID_ACCESS_TOKEN } as const);
    if (!outcome.ok) return sendRefusal(reply, outcome);
    const exchange = fields(request.params).exchange;
    const rows = typeof exchange === 'string' ? instruments.filter((i) => i.exchange === exchange.toUpperCase()) : instruments;
    if (typeof exchange === 'string' && rows.length === 0) return sendError(reply, 400, 'InputException', 'Invalid `exchange`.');
    // Exactly `text/csv`: kiteconnect parses the body only when the header says so.
    return reply.code(200).header('content-type', 'text/csv').send(instrumentsCsv(rows));
  };
  app.get('/instruments', { preHandler: requireKiteVersion }, handler);
  app.get('/instruments/:exchange', { preHandler: requireKiteVersion }, handler);
}
