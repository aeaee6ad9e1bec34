import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { limitOption, parseLimit, parseSince, sinceOption } from './options';

describe('--since', () => {
  it('reads a bare date as the start of that IST day', () => {
    expect(parseSince('2026-12-01').toISOString()).toBe('2026-11-30T18:30:00.000Z');
  });

  it('reads a time without zone in IST and keeps a given zone', () => {
    expect(parseSince('2026-12-01T09:15').toISOString()).toBe('2026-12-01T03:45:00.000Z');
    expect(parseSince('2026-12-01 09:15:30').toISOString()).toBe('2026-12-01T03:45:30.000Z');
    expect(parseSince('2026-12-01T09:15:00Z').toISOString()).toBe('2026-12-01T09:15:00.000Z');
    expect(parseSince('2026-12-01T09:15:00.250+05:30').toISOString()).toBe('2026-12-01T03:45:00.250Z');
  });

  it('refuses what is not a real date or time, naming the option', () => {
    for (const bad of ['yesterday', '2026-02-30', '2026-13-01', '2026-12-01T25:00', '1733000000', '']) {
      expect(() => parseSince(bad), bad).toThrow(/--since/);
    }
  });
});

describe('--limit', () => {
  it('takes a whole number of rows within bounds', () => {
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('10000')).toBe(10_000);
    for (const bad of ['0', '-1', '1.5', '10001', 'ten', '']) expect(() => parseLimit(bad), bad).toThrow(/--limit/);
  });
});

describe('the options on a command', () => {
  const parse = (...args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    program.addOption(sinceOption()).addOption(limitOption());
    program.parse(args, { from: 'user' });
    return program.opts<{ since?: Date; limit: number }>();
  };

  it('defaults the limit and parses the values', () => {
    expect(parse()).toEqual({ limit: 50 });
    expect(parse('--since', '2026-12-01', '--limit', '5')).toEqual({ since: new Date('2026-11-30T18:30:00Z'), limit: 5 });
  });

  it('stops with an error for a bad value', () => {
    expect(() => parse('--limit', '0')).toThrow(CommanderError);
  });
});
