// `alpha-panda config check`: validates the configuration and prints where each component is.
import type { Command } from 'commander';
import { loadMarketCalendarOrExit } from '../../core/calendar/load';
import { loadConfigOrExit } from '../../core/config/load';

export function registerConfigCommands(program: Command): void {
  program
    .command('config')
    .description('validate the configuration (environment and .env) and print the addresses it gives')
    .action(() => {
      const config = loadConfigOrExit();
      const calendar = loadMarketCalendarOrExit(config);
      const rows: [string, string][] = [
        ['namespace', config.brokerNamespace],
        ['zerodha', config.zerodha.enabled ? `enabled (${config.zerodha.apiRoot})` : 'disabled (mock market data)'],
        ['postgres', redactUrl(config.database.postgresUrl)],
        ['redis', redactUrl(config.redis.url)],
        ['kafka', config.redpanda.bootstrapServers.join(',')],
        ['temporal', `${config.temporal.address} (namespace ${config.temporal.namespace})`],
        ['api', `http://${config.api.host}:${config.api.port}`],
        ['calendar', `NSE ${calendar.years.join(', ') || '(no year)'}${config.calendar.dir ? ` (built-in and ${config.calendar.dir})` : ' (built-in)'}`],
      ];
      for (const [name, value] of rows) process.stdout.write(`${name.padEnd(10)} ${value}\n`);
    });
}

/** A connection URL with its password hidden. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
