// How every process reaches Temporal: the address, TLS (with a client certificate for mTLS, a
// CA, a server name) and an API key (Temporal Cloud), the same for the client `Connection` of
// the CLI and the API and the worker's `NativeConnection`.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config/load';

export interface TemporalSettings {
  temporal: Pick<Config['temporal'], 'address'> &
    Partial<Pick<Config['temporal'], 'tls' | 'tlsCertPath' | 'tlsKeyPath' | 'tlsCaPath' | 'tlsServerName' | 'apiKey'>>;
}

/** The options both connection kinds share. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

export function temporalConnectionOptions(settings: TemporalSettings): TemporalConnectionOptions {
  const { address, tls = false, tlsCertPath = '', tlsKeyPath = '', tlsCaPath = '', tlsServerName = '', apiKey = '' } = settings.temporal;
  const options: TemporalConnectionOptions = { address };
  const tlsConfig: TLSConfig = {};
  if (tlsCertPath !== '' && tlsKeyPath !== '') {
    tlsConfig.clientCertPair = { crt: readFileSync(tlsCertPath), key: readFileSync(tlsKeyPath) };
  }
  if (tlsCaPath !== '') tlsConfig.serverRootCACertificate = readFileSync(tlsCaPath);
  if (tlsServerName !== '') tlsConfig.serverNameOverride = tlsServerName;
  // An API key is a bearer credential: it never goes over a plain connection.
  if (tls || apiKey !== '' || Object.keys(tlsConfig).length > 0) options.tls = tlsConfig;
  if (apiKey !== '') options.apiKey = apiKey;
  return options;
}
