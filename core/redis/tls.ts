// TLS towards Redis: a rediss:// URL turns it on (ioredis reads the scheme, and the password or
// ACL user from the URL's userinfo); REDIS__TLS_CA_PATH adds a CA the system does not trust.
import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import type { Config } from '../config/load';

export interface RedisSettings {
  redis: Pick<Config['redis'], 'url'> & Partial<Pick<Config['redis'], 'tlsCaPath'>>;
}

/** Options to merge into ioredis's: TLS with the configured CA, or nothing. */
export function redisTlsOptions(settings: RedisSettings): Pick<RedisOptions, 'tls'> {
  const { url, tlsCaPath = '' } = settings.redis;
  if (new URL(url).protocol !== 'rediss:') return {};
  return { tls: tlsCaPath === '' ? {} : { ca: readFileSync(tlsCaPath, 'utf8') } };
}
