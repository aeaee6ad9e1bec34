import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { ConfigError, envVarName, listVariables, parseConfig } from './load';

const envExamplePath = fileURLToPath(new URL('../../.env.example', import.meta.url));
const envExampleText = readFileSync(envExamplePath, 'utf8');

/** The variable names assigned in .env.example, in file order (duplicates kept). */
const exampleNames = envExampleText
  .split('\n')
  .map((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1])
  .filter((name): name is string => name !== undefined);

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('.env.example', () => {
  it('names every configuration variable exactly once, and nothing else', () => {
    expect(new Set(exampleNames).size).toBe(exampleNames.length);
    expect([...exampleNames].sort()).toEqual([...listVariables()].sort());
  });

  it('gives the defaults: parsing its values equals parsing an empty environment', () => {
    expect(parseConfig(parseDotenv(envExampleText))).toEqual(parseConfig({}));
  });
});

describe('parseConfig', () => {
  it.each([
    ['DATABASE__POSTGRES_URL', 'http://127.0.0.1:5432/alpha_panda', 'expected a URL starting with postgres:// or postgresql://'],
    ['REDIS__URL', 'not a url', 'expected a URL starting with redis:// or rediss://'],
    ['API__PORT', '70000', 'expected a port number'],
    ['TEMPORAL__UI_PORT', 'eighty', 'expected a port number'],
    ['ZERODHA__ENABLED', 'maybe', 'expected true or false'],
    ['AUTH__TIMEOUT_SECONDS', '-5', 'expected a positive whole number'],
    ['TEMPORAL__ADDRESS', '127.0.0.1', 'expected host:port'],
    ['REDPANDA__BOOTSTRAP_SERVERS', '127.0.0.1:9092,broken', 'expected host:port'],
  ])('rejects %s=%j, naming the variable and what it expects', (variable, value, expected) => {
    const error = configError({ [variable]: value });
    expect(error.problems).toEqual([{ variable, message: expect.stringContaining(expected) }]);
    expect(error.message).toContain(`${variable}: ${expected}`);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('reports every bad variable at once', () => {
    const error = configError({ API__PORT: '0', LOG_LEVEL: 'loud' });
    expect(error.problems.map((problem) => problem.variable).sort()).toEqual(['API__PORT', 'LOG_LEVEL']);
  });

  it('requires the API key, secret and encryption key when Zerodha is enabled', () => {
    const error = configError({ ZERODHA__ENABLED: 'true' });
    expect(error.problems.map((problem) => problem.variable).sort()).toEqual([
      'SECURITY__ENCRYPTION_KEY',
      'ZERODHA__API_KEY',
      'ZERODHA__API_SECRET',
    ]);
    for (const problem of error.problems) expect(problem.message).toContain('required when ZERODHA__ENABLED=true');
  });

  it('refuses the API without its token while Zerodha is enabled and the API listens beyond loopback', () => {
    const zerodha = {
      ZERODHA__ENABLED: 'true',
      ZERODHA__API_KEY: 'kite-key',
      ZERODHA__API_SECRET: 'kite-secret',
      SECURITY__ENCRYPTION_KEY: 'ab'.repeat(32),
      AUTH__ENABLE_USER_AUTH: 'false',
    };
    const error = configError({ ...zerodha, API__HOST: '0.0.0.0' });
    expect(error.problems).toEqual([{ variable: 'AUTH__ENABLE_USER_AUTH', message: expect.stringContaining('API__HOST is loopback') }]);
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(parseConfig({ ...zerodha, API__HOST: host }).auth.enableUserAuth).toBe(false);
    }
    expect(parseConfig({ AUTH__ENABLE_USER_AUTH: 'false', API__HOST: '0.0.0.0' }).auth.enableUserAuth).toBe(false);
  });

  it('reads the API token, origins and hosts, and never echoes a short token', () => {
    const token = 'x'.repeat(40);
    const config = parseConfig({
      API__TOKEN: token,
      API__CORS_ORIGINS: 'https://desk.example:8443,http://10.0.0.5:3000',
      API__ALLOWED_HOSTS: 'Trading-Box:8000',
    });
    expect(config.api).toMatchObject({
      token,
      corsOrigins: ['https://desk.example:8443', 'http://10.0.0.5:3000'],
      allowedHosts: ['trading-box:8000'],
      rateLimitPerMinute: 600,
    });
    const error = configError({ API__TOKEN: 'short-secret' });
    expect(error.problems).toEqual([{ variable: 'API__TOKEN', message: expect.stringContaining('32-256') }]);
    expect(error.message).not.toContain('short-secret');
  });

  it('accepts Zerodha when all three are given', () => {
    const config = parseConfig({
      ZERODHA__ENABLED: 'true',
      ZERODHA__API_KEY: 'kite-key',
      ZERODHA__API_SECRET: 'kite-secret',
      SECURITY__ENCRYPTION_KEY: 'ab'.repeat(32),
    });
    expect(config.zerodha).toMatchObject({ enabled: true, apiKey: 'kite-key', apiSecret: 'kite-secret' });
  });

  it('shifts the event clock in mock mode only', () => {
    expect(parseConfig({ CLOCK__OFFSET_MS: '-3600000' }).clock.offsetMs).toBe(-3_600_000);
    expect(configError({ CLOCK__OFFSET_MS: '1.5' }).problems).toEqual([{ variable: 'CLOCK__OFFSET_MS', message: expect.stringContaining('whole number') }]);
    const zerodha = { ZERODHA__ENABLED: 'true', ZERODHA__API_KEY: 'kite-key', ZERODHA__API_SECRET: 'kite-secret', SECURITY__ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(configError({ ...zerodha, CLOCK__OFFSET_MS: '60000' }).problems).toEqual([{ variable: 'CLOCK__OFFSET_MS', message: expect.stringContaining('must be 0 with ZERODHA__ENABLED=true') }]);
  });

  it('never echoes a malformed secret', () => {
    const secret = 'not-hex-but-still-secret-0123456789';
    const error = configError({ SECURITY__ENCRYPTION_KEY: secret });
    expect(error.problems).toEqual([{ variable: 'SECURITY__ENCRYPTION_KEY', message: expect.stringContaining('64 hex characters') }]);
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.problems)).not.toContain(secret);
  });

  it('hides the password of a malformed connection URL', () => {
    const error = configError({ DATABASE__POSTGRES_URL: 'mysql://trader:hunter2@db.local/alpha' });
    expect(error.message).toContain('DATABASE__POSTGRES_URL');
    expect(error.message).toContain('mysql://trader:***@db.local/alpha');
    expect(error.message).not.toContain('hunter2');
  });

  it('returns a deeply frozen configuration', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.temporal)).toBe(true);
    expect(Object.isFrozen(config.redpanda.bootstrapServers)).toBe(true);
    expect(() => {
      (config as { logLevel: string }).logLevel = 'debug';
    }).toThrow(TypeError);
    expect(() => {
      (config.auth as { timeoutSeconds: number }).timeoutSeconds = 1;
    }).toThrow(TypeError);
    expect(config.auth.timeoutSeconds).toBe(300);
  });

  it('waits 300 seconds for the Zerodha token by default, and takes another value', () => {
    expect(parseConfig({}).auth.timeoutSeconds).toBe(300);
    expect(parseConfig({ AUTH__TIMEOUT_SECONDS: '45' }).auth.timeoutSeconds).toBe(45);
  });

  it('reads nested variables and ignores unknown ones', () => {
    const config = parseConfig({ TEMPORAL__UI_PORT: '18233', REDPANDA__BOOTSTRAP_SERVERS: 'a:1,b:2', SOMETHING__ELSE: 'x' });
    expect(config.temporal.uiPort).toBe(18233);
    expect(config.redpanda.bootstrapServers).toEqual(['a:1', 'b:2']);
  });
});

describe('envVarName', () => {
  it('derives the variable from the nesting', () => {
    expect(envVarName(['zerodha', 'apiKey'])).toBe('ZERODHA__API_KEY');
    expect(envVarName(['marketFeed', 'ticksPerSecond'])).toBe('MARKET_FEED__TICKS_PER_SECOND');
    expect(envVarName(['logLevel'])).toBe('LOG_LEVEL');
  });
});
