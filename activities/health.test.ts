import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config/load';
import { Resources } from '../core/resources';
import { createHealthActivities } from './health';

// The market-hours check reads only the clock and the calendar; Resources opens nothing until used.
function checkAt(instant: string, env: Record<string, string> = {}) {
  const config = parseConfig(env);
  const activities = createHealthActivities({
    config,
    resources: new Resources(config),
    createService: () => {
      throw new Error('the market-hours check starts no service');
    },
    now: () => new Date(instant),
  });
  return activities.checkMarketHours();
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('checkMarketHours', () => {
  it('passes while NSE is open', async () => {
    expect(await checkAt('2026-11-25T11:00:00+05:30')).toEqual({
      name: 'market-hours',
      outcome: 'passed',
      detail: 'NSE is open until 2026-11-25T15:30:00+05:30',
    });
  });

  it('warns when NSE is closed, with the reason', async () => {
    expect(await checkAt('2026-01-15T11:00:00+05:30')).toEqual({
      name: 'market-hours',
      outcome: 'warning',
      detail: 'NSE is closed (holiday); services start and wait for ticks',
    });
  });

  it('says in mock mode, after the 15:20 IST square-off, that paper orders wait for the next session', async () => {
    const evening = await checkAt('2026-11-25T20:00:00+05:30');
    expect(evening).toEqual({
      name: 'market-hours',
      outcome: 'warning',
      detail:
        'NSE is closed (after-close); services start and wait for ticks; mock mode: the paper engine refuses MIS orders after 15:20 IST ' +
        "and expires entries at the close until the next session; CLOCK__OFFSET_MS shifts mock mode's clock into a session",
    });
    expect((await checkAt('2026-11-25T15:25:00+05:30')).detail).toContain('mock mode: the paper engine refuses MIS orders after 15:20 IST');
    const zerodha = { ZERODHA__ENABLED: 'true', ZERODHA__API_KEY: 'k', ZERODHA__API_SECRET: 's', SECURITY__ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect((await checkAt('2026-11-25T20:00:00+05:30', zerodha)).detail).not.toContain('mock mode');
  });

  it('warns loudly, and only warns, on a day of a year the calendar does not cover', async () => {
    // a Tuesday at 11:00: the regular timetable would call the market open
    const result = await checkAt('2027-01-26T11:00:00+05:30');
    expect(result.outcome).toBe('warning');
    expect(result.detail).toMatch(/^WARNING: the market calendar does not cover 2027: add core\/domain\/calendar\/nse-2027\.json or set CALENDAR__DIR/);
    expect(result.detail).toContain('holidays included');
  });

  it('reminds in December that the coming year has no file yet, without changing the outcome', async () => {
    const open = await checkAt('2026-12-01T11:00:00+05:30');
    expect(open.outcome).toBe('passed');
    expect(open.detail).toBe(
      'NSE is open until 2026-12-01T15:30:00+05:30; the market calendar ends on 2026-12-31: ' +
        'add core/domain/calendar/nse-2027.json (or a file in CALENDAR__DIR) once NSE publishes its 2027 holidays',
    );
  });

  it('reads the calendar of CALENDAR__DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alpha-panda-calendar-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'nse-2027.json'),
      JSON.stringify({ exchange: 'NSE', segment: 'equity', year: 2027, sources: ['test'], holidays: [{ date: '2027-01-26', name: 'Republic Day' }] }),
    );
    expect(await checkAt('2027-01-26T11:00:00+05:30', { CALENDAR__DIR: dir })).toEqual({
      name: 'market-hours',
      outcome: 'warning',
      detail: 'NSE is closed (holiday); services start and wait for ticks',
    });
    expect((await checkAt('2026-12-01T11:00:00+05:30', { CALENDAR__DIR: dir })).detail).toBe('NSE is open until 2026-12-01T15:30:00+05:30');
  });
});
