import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  const heartbeat = async () => undefined;

  it('delivers chunks handed over together in one delivery, and those arriving meanwhile in the next', async () => {
    const deliveries: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new Coalescer<string>(async (chunk) => {
      deliveries.push(chunk);
      if (deliveries.length === 1) await gate;
      return true;
    });
    const first = [coalescer.submit(['a1', 'a2'], heartbeat), coalescer.submit(['b1'], heartbeat)];
    await new Promise((resolve) => setImmediate(resolve));
    const later = [coalescer.submit(['a3'], heartbeat), coalescer.submit(['c1'], heartbeat)];
    release();
    expect(await Promise.all([...first, ...later])).toEqual([true, true, true, true]);
    expect(deliveries).toEqual([['a1', 'a2', 'b1'], ['a3', 'c1']]);
  });

  it('fails every chunk of a delivery that failed, and goes on with the next', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number>(async () => {
      if (++calls === 1) throw new Error('outage');
      return false;
    });
    const failed = [coalescer.submit([1], heartbeat), coalescer.submit([2], heartbeat)];
    await expect(failed[0]).rejects.toThrow('outage');
    await expect(failed[1]).rejects.toThrow('outage');
    expect(await coalescer.submit([3], heartbeat)).toBe(false);
  });
});
