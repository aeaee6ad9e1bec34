// Redis over TLS with an ACL user, end to end: a throwaway redis-server of its own (never the
// shared one) with a certificate from a CA made here with openssl. The client built from
// REDIS__URL (rediss://user:password@...) and REDIS__TLS_CA_PATH connects and works; without the
// CA the certificate is refused, and a wrong password is refused.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config/load';
import { createRedis, type Redis } from '../core/redis/client';
import { freePort } from './support/api';
import { waitFor } from './support/temporal';

const USER = 'trader';
const PASSWORD = 'tls-test-password-0123';

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=alpha-panda test CA', '-keyout', path('ca.key'), '-out', path('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', path('server.key'), '-out', path('server.csr'));
  writeFileSync(path('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', path('san.ext'), '-out', path('server.pem'));
  return { ca: path('ca.pem'), cert: path('server.pem'), key: path('server.key') };
}

describe('Redis over TLS with an ACL user', () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;
  let ca: string;
  const clients: Redis[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alpha-panda-redis-tls-'));
    const files = makeCertificates(dir);
    ca = files.ca;
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port', '0',
        '--tls-port', String(port),
        '--bind', '127.0.0.1',
        '--tls-cert-file', files.cert,
        '--tls-key-file', files.key,
        '--tls-ca-cert-file', files.ca,
        '--tls-auth-clients', 'no',
        // redis-server joins the words after each --option into one config line.
        '--user', 'default', 'off',
        '--user', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all',
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
      ],
      { stdio: 'ignore' },
    );
    const probe = createRedis(parseConfig({ REDIS__URL: `rediss://${USER}:${PASSWORD}@localhost:${port}/0`, REDIS__TLS_CA_PATH: ca }));
    clients.push(probe);
    await waitFor(async () => (await probe.ping()) === 'PONG', 'the TLS redis-server', 15_000, 2_000);
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    server?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the URL user and password and the configured CA, and works', async () => {
    const redis = createRedis(parseConfig({ REDIS__URL: `rediss://${USER}:${PASSWORD}@localhost:${port}/0`, REDIS__TLS_CA_PATH: ca }));
    clients.push(redis);
    await redis.set('alpha-panda:tls-check', 'ok');
    expect(await redis.get('alpha-panda:tls-check')).toBe('ok');
    expect(await redis.acl('WHOAMI')).toBe(USER);
  });

  /** A client that gives up at once, reporting why the connection failed. */
  const failure = async (url: string, caPath = ''): Promise<string> => {
    const redis = createRedis(parseConfig({ REDIS__URL: url, REDIS__TLS_CA_PATH: caPath }));
    clients.push(redis);
    redis.options.retryStrategy = () => null;
    redis.options.maxRetriesPerRequest = 0;
    const reasons: string[] = [];
    redis.on('error', (error: Error) => reasons.push(error.message));
    const result = await redis.ping().then(
      () => 'connected',
      (error: Error) => error.message,
    );
    return [result, ...reasons].join(' | ');
  };

  it('refuses the server certificate without the CA (the system does not trust it)', async () => {
    expect(await failure(`rediss://${USER}:${PASSWORD}@localhost:${port}/0`)).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
  });

  it('is refused with a wrong password', async () => {
    expect(await failure(`rediss://${USER}:wrong-password@localhost:${port}/0`, ca)).toMatch(/WRONGPASS|invalid username-password/i);
  });
});
