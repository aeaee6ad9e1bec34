import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { duplicateRedis } from './client';

const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('duplicateRedis', () => {
  it('gives the copy a listener for connection errors, which a plain duplicate lacks', () => {
    // lazyConnect: nothing connects, the errors are emitted by hand.
    const original = new Redis({ lazyConnect: true });
    const plain = original.duplicate();
    const copy = duplicateRedis(original);
    clients.push(original, plain, copy);
    expect(() => plain.emit('error', new Error('ECONNREFUSED'))).toThrow('ECONNREFUSED');
    expect(copy.listenerCount('error')).toBe(1);
    expect(() => copy.emit('error', new Error('ECONNREFUSED'))).not.toThrow();
  });
});
