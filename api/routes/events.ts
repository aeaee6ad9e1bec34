// The live event stream of a namespace (server-sent events), what the dashboard draws from. The
// bearer token goes in the Authorization header as on every route: the dashboard reads the stream
// with fetch, which can send it, rather than with EventSource, which cannot, so neither the token
// nor anything standing for it is ever put in a URL (where history, logs and referrers keep it).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { route } from '../route';
import { namespaceParams } from '../schemas';
import { StreamHub, type Listener } from '../stream/hub';
import { namespaceSources, type SourceDeps } from '../stream/sources';

/** Comment lines keep proxies and the browser from timing out an idle stream. */
const KEEPALIVE_MS = 15_000;
/** A client that lets this much pile up unread is dropped; it reconnects and starts afresh. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const MAX_STREAMS_PER_NAMESPACE = 100;

export const STREAM_EVENTS = {
  status: "the startup workflow's phase, execution, checks, login URL and auth error while waiting, failure (phase null: never started)",
  services: 'each supervised service: state, restarts, last error, running since',
  portfolio: "totals (cash, market value, value, realized and unrealized P&L, charges, net P&L, open positions), each strategy's book, instrument symbols",
  pnl: '{ points: [{ time (epoch seconds), value, netPnl }] }: the history when joining, then each new point',
  orders: '{ items }: the recent orders when joining, then each new or changed order (as GET /orders answers them)',
  fills: '{ items }: the recent fills when joining, then each new fill (as GET /fills answers them)',
  pipeline: "the pipeline monitor's latest report (null before the first one)",
  strategies: 'every strategy with its instruments and whether it is active',
  'kill-switch': '{ active, reason, setAt }',
  problems: '{ source: message } for each part that cannot be read right now ({} once all can)',
} as const;

export function registerEventRoutes(app: FastifyInstance, { client, resources }: ApiContext, options: Pick<SourceDeps, 'intervals'> = {}): StreamHub {
  const hub = new StreamHub((namespace) => namespaceSources({ client, resources, intervals: options.intervals }, namespace));
  const open = new Set<ServerResponse>();
  // Open streams never end by themselves: end them so that closing the server does not wait on them.
  app.addHook('preClose', async () => {
    hub.close();
    for (const response of open) response.end();
  });

  route(
    app,
    {
      method: 'GET',
      url: '/api/v1/namespaces/:namespace/events',
      summary: 'Live events of the namespace (text/event-stream), one poller per namespace shared by every client',
      description:
        'Server-sent events; send the bearer token in the Authorization header (read the stream with fetch: EventSource cannot send it). ' +
        'On connecting, the current state of each kind, then each change: ' +
        Object.entries(STREAM_EVENTS).map(([name, meaning]) => `\`${name}\`: ${meaning}`).join('; ') +
        '. Money in integer paise, times in IST. Errors: bad_request, unauthorized, forbidden, rate_limited (also when too many streams are open).',
      tags: ['namespaces'],
      params: namespaceParams,
      response: { status: 200, contentType: 'text/event-stream' },
    },
    async ({ params: { namespace }, request, reply }) => {
      const stream = hub.stream(namespace);
      if (stream.subscribers >= MAX_STREAMS_PER_NAMESPACE) throw new ApiError('rate_limited', `more than ${MAX_STREAMS_PER_NAMESPACE} open event streams for '${namespace}'`);
      reply.hijack();
      const raw = reply.raw;
      // Hijacked, the reply's own headers (CORS, rate limit) are not written unless copied here.
      const headers = Object.fromEntries(Object.entries(reply.getHeaders()).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined));
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 3000\n\n');
      open.add(raw);
      let id = 0;
      const send: Listener = ({ event, data }) => {
        if (raw.destroyed || raw.writableEnded) return false;
        raw.write(`id: ${++id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        if (raw.writableLength <= MAX_BUFFERED_BYTES) return true;
        raw.end();
        return false;
      };
      const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      const unsubscribe = stream.subscribe(send);
      const end = () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(raw);
      };
      request.raw.once('close', end);
      raw.once('close', end);
    },
  );
  return hub;
}
