// `alpha-panda config check`: validates the configuration and prints where each component is.
import type { Command } from 'commander';
import { loadMarketCalendarOrExit } from '../../core/calendar/load';
import { loadConfigOrExit, type Config } from '../../core/config/load';

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
        ...connectionRows(config),
        ['api', `http://${config.api.host}:${config.api.port}`],
        ['calendar', `NSE ${calendar.years.join(', ') || '(no year)'}${config.calendar.dir ? ` (built-in and ${config.calendar.dir})` : ' (built-in)'}`],
      ];
      for (const [name, value] of rows) process.stdout.write(`${name.padEnd(10)} ${value}\n`);
    });
}

/**
 * Where each component is and how it is secured, without a secret: passwords and keys show only
 * as being set.
 */
export function connectionRows(config: Config): [string, string][] {
  const { database, redis, redpanda, temporal } = config;
  const kafkaSecurity = [
    redpanda.tls || redpanda.tlsCaPath ? `TLS${redpanda.tlsCaPath ? ` with CA ${redpanda.tlsCaPath}` : ''}` : '',
    redpanda.saslMechanism ? `SASL ${redpanda.saslMechanism} as ${redpanda.saslUsername}` : '',
  ].filter(Boolean);
  const temporalTls = temporal.tls || temporal.tlsCertPath || temporal.tlsCaPath || temporal.tlsServerName || temporal.apiKey;
  const temporalSecurity = [
    temporalTls ? 'TLS' : '',
    temporal.tlsCertPath ? `client certificate ${temporal.tlsCertPath}` : '',
    temporal.tlsCaPath ? `CA ${temporal.tlsCaPath}` : '',
    temporal.tlsServerName ? `server name ${temporal.tlsServerName}` : '',
    temporal.apiKey ? 'API key set' : '',
  ].filter(Boolean);
  return [
    ['postgres', `${redactUrl(database.postgresUrl)}${database.sslMode ? ` (sslmode ${database.sslMode}${database.sslCaPath ? `, CA ${database.sslCaPath}` : ''})` : ''}`],
    ['redis', `${redactUrl(redis.url)}${redis.tlsCaPath ? ` (CA ${redis.tlsCaPath})` : ''}`],
    ['kafka', `${redpanda.bootstrapServers.join(',')}${kafkaSecurity.length ? ` (${kafkaSecurity.join(', ')})` : ''}`],
    ['temporal', `${temporal.address} (namespace ${temporal.namespace}${temporalSecurity.length ? `; ${temporalSecurity.join(', ')}` : ''})`],
    ['payloads', config.security.encryptionKey ? 'Temporal payloads encrypted (AES-256-GCM)' : 'Temporal payloads plain (SECURITY__ENCRYPTION_KEY unset)'],
  ];
}

/** A connection URL with its password hidden. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
