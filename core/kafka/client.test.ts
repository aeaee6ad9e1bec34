// Where kafkajs' log entries go: what it retries on its own reaches the log files only, so that
// the console of a first run (topics being created, leaders being elected) stays readable.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { logLevel, type LogEntry } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { configureLogging, getFileLogger, getLogger } from '../logging';
import { routeToPino } from './client';

let dir: string | undefined;
afterEach(() => {
  configureLogging({ level: 'silent', console: false });
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Logs the entries as kafkajs would (console at warn, files at info, as `alpha-panda run`) and returns what each output got. */
async function route(...entries: Omit<LogEntry, 'label'>[]) {
  dir = mkdtempSync(join(tmpdir(), 'alpha-panda-kafka-log-'));
  let console = '';
  const consoleDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      console += chunk.toString();
      done();
    },
  });
  configureLogging({ level: 'info', dir, console: true, consoleLevel: 'warn', consoleDestination });
  const log = routeToPino(logLevel.WARN);
  for (const entry of entries) log({ ...entry, label: logLevel[entry.level] ?? '' });
  for (const logger of [getLogger('application'), getFileLogger('application'), getLogger('error')]) logger.flush();
  await sleep(200); // file destinations are asynchronous
  const read = (name: string) => (existsSync(join(dir!, `${name}.log`)) ? readFileSync(join(dir!, `${name}.log`), 'utf8') : '');
  return { console, application: read('application'), error: read('error') };
}

const at = { timestamp: '2026-12-01T03:45:00.000Z', logger: 'kafkajs' };

describe('kafkajs log routing', () => {
  it("puts a broker's retried error response on the file log and not on the console", async () => {
    const out = await route(
      {
        namespace: 'Connection',
        level: logLevel.ERROR,
        log: {
          ...at,
          message: 'Response Metadata(key: 3, version: 6)',
          broker: '127.0.0.1:9092',
          clientId: 'alpha-panda',
          error: 'There is no leader for this topic-partition as we are in the middle of a leadership election',
          correlationId: 7,
          size: 120,
        },
      },
      {
        namespace: 'Connection',
        level: logLevel.ERROR,
        log: { ...at, message: 'Response JoinGroup(key: 11, version: 5)', error: "The coordinator is loading and hence can't process requests" },
      },
    );
    expect(out.console).toBe('');
    expect(out.application).toContain('Response Metadata(key: 3, version: 6)');
    expect(out.application).toContain('in the middle of a leadership election');
    expect(out.application).toContain('The coordinator is loading');
    // Retried, it is no error of the application's.
    expect(out.error).toBe('');
  });

  it('puts an attempt that kafkajs retries (it carries retryCount) on the file log only', async () => {
    const out = await route({
      namespace: 'Producer',
      level: logLevel.ERROR,
      log: { ...at, message: 'Failed to send messages: This server does not host this topic-partition', retryCount: 0, retryTime: 292 },
    });
    expect(out.console).toBe('');
    expect(out.application).toContain('This server does not host this topic-partition');
    expect(JSON.parse(out.application.trim().split('\n')[0]!)).toMatchObject({ level: 40, component: 'kafka', kafka: 'Producer', retryCount: 0 });
  });

  it("puts a consumer group's routine re-joins on the file log only", async () => {
    const out = await route(
      { namespace: 'Runner', level: logLevel.WARN, log: { ...at, message: 'The group is rebalancing, re-joining', groupId: 'g' } },
      { namespace: 'ConsumerGroup', level: logLevel.WARN, log: { ...at, message: 'Consumer is not aware of all assigned partitions, refreshing metadata' } },
    );
    expect(out.console).toBe('');
    expect(out.application).toContain('The group is rebalancing, re-joining');
    expect(out.application).toContain('refreshing metadata');
  });

  it('shows on the console what kafkajs gives up on, and files it as an error', async () => {
    const out = await route({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      log: { ...at, message: 'Crash: KafkaJSNumberOfRetriesExceeded: Connection timeout', groupId: 'alpha-panda.paper.risk-manager' },
    });
    expect(out.console).toContain('Crash: KafkaJSNumberOfRetriesExceeded');
    expect(out.error).toContain('Crash: KafkaJSNumberOfRetriesExceeded');
  });
});
