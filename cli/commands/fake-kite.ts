// `alpha-panda fake-kite`: runs the fake Kite Connect server for manual runs without a Zerodha
// account. Point the platform at it with the variables it prints.
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../core/config/load';
import { startFakeKite } from '../../scripts/fake-kite/server';
import { DEFAULT_USER } from '../../scripts/fake-kite/state';

// Used when neither the options nor the configuration give credentials; the fake accepts any.
const DEVELOPMENT_API_KEY = 'fake_api_key';
const DEVELOPMENT_API_SECRET = 'fake_api_secret';

interface FakeKiteCommandOptions {
  port: string;
  host: string;
  apiKey?: string;
  apiSecret?: string;
  userId: string;
  redirectUrl?: string;
}

export function registerFakeKiteCommands(program: Command): void {
  program
    .command('fake-kite')
    .description('run a fake Kite Connect API (login page, session token, profile, instruments, websocket ticker, orders, trades, positions) for development and tests')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '5010')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'API key the fake accepts (default: ZERODHA__API_KEY, else a development key)')
    .option('--api-secret <secret>', 'API secret the fake checks (default: ZERODHA__API_SECRET, else a development secret)')
    .option('--user-id <id>', 'Zerodha user id the fake logs in as', DEFAULT_USER.userId)
    .option('--redirect-url <url>', 'where the login page sends the browser with the request_token')
    .action(async (options: FakeKiteCommandOptions) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`--port: expected a port number, got ${JSON.stringify(options.port)}\n`);
        process.exit(2);
      }
      const config = loadConfigOrExit();
      const apiKey = options.apiKey ?? (config.zerodha.apiKey || DEVELOPMENT_API_KEY);
      const apiSecret = options.apiSecret ?? (config.zerodha.apiSecret || DEVELOPMENT_API_SECRET);
      const fake = await startFakeKite({
        port,
        host: options.host,
        apiKey,
        apiSecret,
        user: { userId: options.userId },
        redirectUrl: options.redirectUrl,
        // A person trying the platform expects fills, positions and P&L at the prices the feed shows.
        ordersFollowTicker: true,
      });

      const secretSource = options.apiSecret
        ? '--api-secret'
        : config.zerodha.apiSecret
          ? 'ZERODHA__API_SECRET'
          : `the development secret "${DEVELOPMENT_API_SECRET}"`;
      process.stdout.write(
        [
          `fake Kite Connect listening on ${fake.url} (API key ${apiKey}, secret from ${secretSource})`,
          'point the platform at it with:',
          `  ZERODHA__API_ROOT=${fake.url}`,
          `  ZERODHA__LOGIN_ROOT=${fake.loginUrl}`,
          `  ZERODHA__TICKER_ROOT=${fake.tickerUrl}`,
          `log in at ${fake.loginUrl}?v=3&api_key=${encodeURIComponent(apiKey)}`,
          'orders fill at the last price the ticker sent (equities)',
          'Ctrl-C stops it',
          '',
        ].join('\n'),
      );

      const stop = async () => {
        await fake.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
