import { describe, expect, it } from 'vitest';
import { TransientError, isTransientError } from './failures';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

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

  it('looks through causes and aggregate errors', () => {
    expect(isTransientError(new Error('could not record fill', { cause: withCode('ECONNRESET') }))).toBe(true);
    expect(isTransientError(new AggregateError([new Error('x'), withCode('ETIMEDOUT')]))).toBe(true);
  });

  it('takes other errors to be about the event', () => {
    expect(isTransientError(new TypeError("Cannot read properties of undefined (reading 'price')"))).toBe(false);
    expect(isTransientError(withCode('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isTransientError(withCode('22003', 'numeric value out of range'))).toBe(false);
    expect(isTransientError('a string')).toBe(false);
    expect(isTransientError(null)).toBe(false);
  });
});
