// One KiteTicker connection in a worker thread of its own. kiteconnect keeps the ticker's socket,
// callbacks and reconnect state at module level, so one module instance can hold one connection;
// a worker thread loads its own copy. Its auto-reconnect is off (the feed reconnects itself by
// starting a fresh worker), and should it still call process.exit, in a worker thread that ends
// this thread only, never the platform's process. Plain JavaScript so that it loads in a worker
// under every runtime (tsx, vitest, plain node) without a TypeScript loader.
//
// Messages to the parent: connect, ticks (kiteconnect's parsed ticks), order_update, error,
// disconnect. From the parent: subscribe, unsubscribe, mode, disconnect.
import { parentPort, workerData } from 'node:worker_threads';
import { KiteTicker } from 'kiteconnect';

const { apiKey, accessToken, root } = workerData;

/** Nothing the worker reports may carry the access token (a URL in an error, say). */
const scrub = (text) => String(text ?? '').split(accessToken).join('***');

const ticker = new KiteTicker({ api_key: apiKey, access_token: accessToken, root, reconnect: false });
ticker.autoReconnect(false);

ticker.on('connect', () => parentPort.postMessage({ type: 'connect' }));
ticker.on('ticks', (ticks) => parentPort.postMessage({ type: 'ticks', ticks }));
ticker.on('order_update', (order) => parentPort.postMessage({ type: 'order_update', order }));
ticker.on('error', (event) => {
  const message = event?.message ?? event?.error?.message ?? 'websocket error';
  parentPort.postMessage({ type: 'error', message: scrub(message) });
});
ticker.on('disconnect', (event) => {
  parentPort.postMessage({ type: 'disconnect', code: event?.code ?? null, reason: scrub(event?.reason) });
});

parentPort.on('message', (message) => {
  switch (message.type) {
    case 'subscribe':
      ticker.subscribe(message.tokens);
      break;
    case 'unsubscribe':
      ticker.unsubscribe(message.tokens);
      break;
    case 'mode':
      ticker.setMode(message.mode, message.tokens);
      break;
    case 'disconnect':
      // Safe with auto-reconnect off: disconnect() reaches process.exit only through a reconnect.
      ticker.disconnect();
      break;
  }
});

ticker.connect();
