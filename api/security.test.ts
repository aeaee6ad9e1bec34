import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config/load';
import { allowedHosts, allowedOrigins, generateApiToken, tokenMatches } from './security';

describe('API token', () => {
  it('matches only the same token, whatever the lengths', () => {
    const token = generateApiToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenMatches(token, token)).toBe(true);
    for (const wrong of ['', token.slice(0, -1), `${token}a`, token.toUpperCase() === token ? 'x' : token.toUpperCase()]) {
      expect(tokenMatches(wrong, token)).toBe(false);
    }
    expect(generateApiToken()).not.toBe(token);
  });
});

describe('allowed hosts and origins', () => {
  it('are the configured host, localhost and 127.0.0.1 with the port, and what is configured', () => {
    const config = parseConfig({ API__HOST: '0.0.0.0', API__PORT: '9000', API__ALLOWED_HOSTS: 'desk.example', API__CORS_ORIGINS: 'https://ui.example' });
    expect([...allowedHosts(config)].sort()).toEqual(['0.0.0.0:9000', '127.0.0.1:9000', '[::1]:9000', 'desk.example', 'desk.example:9000', 'localhost:9000']);
    const origins = allowedOrigins(config);
    expect(origins.has('http://127.0.0.1:9000')).toBe(true);
    expect(origins.has('https://ui.example')).toBe(true);
    expect(origins.has('http://127.0.0.1:9001')).toBe(false);
    expect(origins.has('http://evil.example')).toBe(false);
  });
});
