// Telling an outage from a poison event. A handler error caused by infrastructure (a store that
// is down, a dropped connection, a deadlock) says nothing about the event: retrying later will
// work, so such an event must never be dead-lettered. Anything else that keeps failing is taken
// to be caused by the event itself.

/** Throw (or wrap a cause in) this from a handler to say "try again later, the event is fine". */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** Node socket and DNS failures. */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Postgres SQLSTATEs: classes 08 (connection), 53 (insufficient resources), 57 (operator
 * intervention, e.g. shutdown) and 58 (system error); serialization failures, deadlocks and lock
 * timeouts.
 */
const TRANSIENT_SQLSTATE_CLASS = /^(08|53|57|58)[0-9A-Z]{3}$/;
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03']);

/** Messages of pg, pg-pool and ioredis when a connection is gone or cannot be had. */
const TRANSIENT_MESSAGES =
  /Connection is closed|Connection terminated|not queryable|timeout exceeded when trying to connect|Reached the max retries per request/i;

export function isTransientError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 8) return false;
  if (error instanceof TransientError) return true;
  const { code, name, message, retriable, cause, errors } = error as Record<string, unknown>;
  if (typeof code === 'string' && (TRANSIENT_SYSTEM_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASS.test(code))) {
    return true;
  }
  if (name === 'MaxRetriesPerRequestError') return true;
  if (typeof name === 'string' && name.startsWith('KafkaJS') && retriable === true) return true;
  if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isTransientError(inner, depth + 1))) return true;
  return isTransientError(cause, depth + 1);
}
