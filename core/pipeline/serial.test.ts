import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Serial } from './serial';

describe('Serial', () => {
  it('runs work one at a time in the order it was asked for, overlapping nothing', async () => {
    const serial = new Serial();
    const log: string[] = [];
    let running = 0;
    const job = (name: string, ms: number) =>
      serial.run(async () => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        await sleep(ms);
        log.push(`end ${name}`);
        running--;
        return name;
      });
    const results = await Promise.all([job('a', 20), job('b', 1), job('c', 5)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('goes on after a failure, which only its caller sees', async () => {
    const serial = new Serial();
    const failed = serial.run(async () => {
      throw new Error('boom');
    });
    const next = serial.run(async () => 'after');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('after');
  });
});
