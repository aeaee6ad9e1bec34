import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { EventValidationError } from '../domain/events';
import { MoneyError } from '../domain/money';
import { PoisonEventError, TransientError, isPoisonError, isTransientError } from './failures';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });
/** The error ioredis rejects a command with when the server answers an error reply. */
const ReplyError = (Redis as unknown as { ReplyError: new (message: string) => Error }).ReplyError;

describe('isTransientError', () => {
  it('recognises infrastructure failures', () => {
    expect(isTransientError(withCode('ECONNREFUSED'))).toBe(true);
    expect(isTransientError(withCode('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isTransientError(withCode('08006'))).toBe(true);
    expect(isTransientError(withCode('40P01', 'deadlock detected'))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isTransientError(new TransientError('try later'))).toBe(true);
  });

  it('recognises a Redis that is loading, read-only, out of memory or unable to persist', () => {
    for (const reply of [
      'LOADING Redis is loading the dataset in memory',
      "READONLY You can't write against a read only replica.",
      "OOM command not allowed when used memory > 'maxmemory'.",
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
      'BUSY Redis is busy running a script.',
    ]) {
      expect(isTransientError(new ReplyError(reply)), reply).toBe(true);
    }
    // A MULTI refused because a queued command hit OOM.
    const execAbort = Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), {
      previousErrors: [new ReplyError("OOM command not allowed when used memory > 'maxmemory'.")],
    });
    expect(isTransientError(execAbort)).toBe(true);
  });

  it('recognises a read-only or not yet migrated Postgres', () => {
    expect(isTransientError(withCode('25006', 'cannot execute INSERT in a read-only transaction'))).toBe(true);
    expect(isTransientError(withCode('42P01', 'relation "paper_fills" does not exist'))).toBe(true);
  });

  it('looks through causes and aggregate errors', () => {
    expect(isTransientError(new Error('could not record fill', { cause: withCode('ECONNRESET') }))).toBe(true);
    expect(isTransientError(new AggregateError([new Error('x'), withCode('ETIMEDOUT')]))).toBe(true);
  });

  it('takes other errors to be something else', () => {
    expect(isTransientError(new TypeError("Cannot read properties of undefined (reading 'price')"))).toBe(false);
    expect(isTransientError(withCode('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isTransientError(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isTransientError('a string')).toBe(false);
    expect(isTransientError(null)).toBe(false);
  });
});

describe('isPoisonError', () => {
  it('takes validation failures and domain rejections to be about the event', () => {
    expect(isPoisonError(new EventValidationError('invalid order_filled data', ['data.quantity: too small']))).toBe(true);
    expect(isPoisonError(new MoneyError('bad fill quantity 0'))).toBe(true);
    expect(isPoisonError(new PoisonEventError('fill for an order this engine never placed'))).toBe(true);
    expect(isPoisonError(new Error('could not apply the fill', { cause: new MoneyError('left the safe integer range') }))).toBe(true);
  });

  it('takes every other error to be an outage, however it looks', () => {
    expect(isPoisonError(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(false);
    expect(isPoisonError(withCode('42P01', 'relation "paper_fills" does not exist'))).toBe(false);
    expect(isPoisonError(withCode('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isPoisonError(new TypeError("Cannot read properties of undefined (reading 'price')"))).toBe(false);
    expect(isPoisonError(new Error('something nobody thought of'))).toBe(false);
    expect(isPoisonError('a string')).toBe(false);
    expect(isPoisonError(undefined)).toBe(false);
  });

  it('lets an infrastructure cause win over a domain wrapper', () => {
    expect(isPoisonError(new PoisonEventError('could not check the order', { cause: withCode('ECONNRESET') }))).toBe(false);
  });
});
