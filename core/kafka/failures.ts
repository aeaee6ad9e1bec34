// Telling a poison event from an outage. Only an event that fails validation or a domain rule is
// poison: retrying it can never work, so it is dead-lettered. Every other handler error (a store
// that is down, loading, read-only or full, a dropped connection, a deadlock, a missing table, a
// bug nobody foresaw) says nothing about the event: the consumer stops and retries with backoff,
// and the event is never skipped. Dead-lettering on a guess would make every later stage miss it.

import { EventValidationError } from '../domain/events';
import { MoneyError } from '../domain/money';

/** Throw (or wrap a cause in) this from a handler to say "try again later, the event is fine". */
export class TransientError extends Error {
  override name = 'TransientError';
}

/**
 * Throw this from a handler to reject the event itself under a domain rule (a fill for an order
 * that does not exist, say): the event is dead-lettered with this message as the reason.
 */
export class PoisonEventError extends Error {
  override name = 'PoisonEventError';
}

/**
 * Throw this from a handler when no retry can help and no event is to blame (the log no longer
 * matches the stage's state, say): the consumer stops at once and rejects with it, committing
 * nothing, so the message (which should name the remedy) reaches the operator.
 */
export class HaltConsumerError extends Error {
  override name = 'HaltConsumerError';
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
 * timeouts; a read-only transaction (a standby, or a primary being failed over) and a missing
 * relation (migrations not yet applied, or a restore in progress).
 */
const TRANSIENT_SQLSTATE_CLASS = /^(08|53|57|58)[0-9A-Z]{3}$/;
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '25006', '42P01']);

/** Messages of pg, pg-pool and ioredis when a connection is gone or cannot be had. */
const TRANSIENT_MESSAGES =
  /Connection is closed|Connection terminated|not queryable|timeout exceeded when trying to connect|Reached the max retries per request/i;

/**
 * Redis error replies of a server that cannot take the command right now: loading its data, a
 * replica, out of memory, unable to persist, busy with a script, or a cluster reconfiguring.
 */
const TRANSIENT_REDIS_REPLIES = /^(LOADING|READONLY|OOM|MISCONF|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|NOREPLICAS|NOTREADY)\b/;

export function isTransientError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 8) return false;
  if (error instanceof TransientError) return true;
  const { code, name, message, retriable, cause, errors, previousErrors } = error as Record<string, unknown>;
  if (typeof code === 'string' && (TRANSIENT_SYSTEM_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASS.test(code))) {
    return true;
  }
  if (name === 'MaxRetriesPerRequestError') return true;
  if (typeof name === 'string' && name.startsWith('KafkaJS') && retriable === true) return true;
  if (typeof message === 'string' && (TRANSIENT_MESSAGES.test(message) || (name === 'ReplyError' && TRANSIENT_REDIS_REPLIES.test(message)))) {
    return true;
  }
  // ioredis: a MULTI discarded (EXECABORT) because a queued command was refused.
  for (const inner of [errors, previousErrors]) {
    if (Array.isArray(inner) && inner.some((e) => isTransientError(e, depth + 1))) return true;
  }
  return isTransientError(cause, depth + 1);
}

/** Errors that say the event broke a rule: its schema, exact money, or an explicit rejection. */
const isRejection = (error: object) => error instanceof EventValidationError || error instanceof MoneyError || error instanceof PoisonEventError;

/**
 * True when the handler's error is about the event itself, so dead-lettering it is right. An
 * infrastructure cause anywhere in the chain wins: then it is an outage.
 */
export function isPoisonError(error: unknown): boolean {
  if (isTransientError(error)) return false;
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth <= 8; depth++) {
    if (isRejection(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
