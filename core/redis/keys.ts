// Every Redis key is built here. A key starts with its broker namespace (`paper:`, `zerodha:`) or
// `shared:` for the account's market data, so the two namespaces can never touch each other's
// state: `namespacedKey('paper', 'portfolio', 'strategy1')` -> `paper:portfolio:strategy1`.
import { isBrokerNamespace, type BrokerNamespace } from '../domain/namespace';

export type KeyNamespace = BrokerNamespace | 'shared';
export type KeyPart = string | number;

const SEPARATOR = ':';

export function namespacedKey(namespace: KeyNamespace, ...parts: KeyPart[]): string {
  if (!isBrokerNamespace(namespace) && namespace !== 'shared') {
    throw new Error(`unknown key namespace ${JSON.stringify(namespace)}`);
  }
  if (parts.length === 0) throw new Error('a Redis key needs at least one part after the namespace');
  for (const part of parts) {
    const text = String(part);
    // A separator inside a part would let two different part lists spell the same key.
    if (text === '' || text.includes(SEPARATOR)) {
      throw new Error(`Redis key part ${JSON.stringify(text)} must be non-empty and free of "${SEPARATOR}"; pass separate parts`);
    }
  }
  return [namespace, ...parts].join(SEPARATOR);
}

/** The namespace a key belongs to, or undefined for a key not built by namespacedKey. */
export function keyNamespace(key: string): KeyNamespace | undefined {
  const prefix = key.split(SEPARATOR, 1)[0];
  return isBrokerNamespace(prefix) || prefix === 'shared' ? prefix : undefined;
}
