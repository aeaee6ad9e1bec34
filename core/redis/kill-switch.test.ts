import { describe, expect, it } from 'vitest';
import { killSwitchKey, parseKillSwitch } from './kill-switch';

describe('kill switch', () => {
  it('lives under the namespace risk keys', () => {
    expect(killSwitchKey('paper')).toBe('paper:risk:kill-switch');
    expect(killSwitchKey('zerodha')).toBe('zerodha:risk:kill-switch');
  });

  it('is off only when the key does not exist', () => {
    expect(parseKillSwitch(null)).toEqual({ active: false, reason: null, setAt: null });
  });

  it('reads the reason and time the CLI writes', () => {
    const value = JSON.stringify({ reason: 'broker outage', setAt: '2026-11-24T09:20:00.000Z' });
    expect(parseKillSwitch(value)).toEqual({ active: true, reason: 'broker outage', setAt: '2026-11-24T09:20:00.000Z' });
    expect(parseKillSwitch(JSON.stringify({ reason: null, setAt: '2026-11-24T09:20:00.000Z' })).reason).toBeNull();
  });

  it('treats any other value, set by hand, as on', () => {
    expect(parseKillSwitch('1')).toEqual({ active: true, reason: '1', setAt: null });
    expect(parseKillSwitch('stop now')).toEqual({ active: true, reason: 'stop now', setAt: null });
    expect(parseKillSwitch('')).toEqual({ active: true, reason: null, setAt: null });
  });
});
