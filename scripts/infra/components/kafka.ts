// Apache Kafka as a single KRaft node (broker and controller in one JVM), run from the jars
// Maven fetches for scripts/infra/kafka-pom.xml. Any Kafka-API broker does; this one comes from
// a registry the machines can reach.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../../../core/config/load';
import { formatHostPort, kafkaAddress } from '../addresses';
import { REPO_ROOT } from '../paths';
import { livePid, run, spawnDetached, stopProcess, which } from '../process';
import type { Component, InfraContext, InfraPaths } from '../types';

const POM = join(REPO_ROOT, 'scripts', 'infra', 'kafka-pom.xml');
const STOP_GRACE_MS = 30_000;

/** The broker version, read from the pom so that it is written in one place. */
export function kafkaVersion(pom = readFileSync(POM, 'utf8')): string {
  const match = /<artifactId>kafka_2\.13<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom);
  if (!match) throw new Error(`kafka: no kafka_2.13 version in ${POM}`);
  return match[1]!;
}

const libsDir = (paths: InfraPaths) => join(paths.cacheDir, `kafka-${kafkaVersion()}`, 'libs');
const kafkaDir = (paths: InfraPaths) => join(paths.dataDir, 'kafka');
const propertiesFile = (paths: InfraPaths) => join(kafkaDir(paths), 'server.properties');
const logDirs = (paths: InfraPaths) => join(kafkaDir(paths), 'data');
const pidFile = (paths: InfraPaths) => join(paths.runDir, 'kafka.pid');

function java(): string {
  const binary = which('java');
  if (!binary) throw new Error('kafka: java not found; install a JDK (Debian: openjdk-17-jre-headless)');
  return binary;
}

/** The broker's settings; written on every start so that ports follow the configuration. */
export function serverProperties(config: Config, paths: InfraPaths): string {
  const { host, port, controllerPort } = kafkaAddress(config);
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDirs(paths)}`,
    // One broker: internal topics cannot have more than one replica.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    '',
  ].join('\n');
}

async function ensureJars(ctx: InfraContext): Promise<string> {
  const libs = libsDir(ctx.paths);
  if (existsSync(libs)) return libs;
  const mvn = which('mvn');
  if (!mvn) throw new Error('kafka: Maven (mvn) not found; it fetches the Kafka jars (Debian: maven)');
  // Copy into a scratch directory and rename at the end: a half-copied classpath is never used.
  const scratch = `${libs}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  ctx.progress.step('kafka', `fetching Kafka ${kafkaVersion()} jars from Maven Central into ${libs}`);
  const startedAt = Date.now();
  const ticker = setInterval(() => ctx.progress.live('kafka', `mvn dependency:copy-dependencies, ${Math.round((Date.now() - startedAt) / 1000)}s`), 1000);
  try {
    await run(mvn, ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${scratch}`, '-DincludeScope=runtime', '-f', POM]);
    if (!existsSync(libs)) renameSync(scratch, libs);
  } finally {
    clearInterval(ticker);
    ctx.progress.done('kafka');
    rmSync(scratch, { recursive: true, force: true });
  }
  ctx.progress.step('kafka', `jars cached in ${libs}`);
  return libs;
}

export const kafkaComponent: Component = {
  name: 'kafka',

  address: (config) => formatHostPort(kafkaAddress(config)),

  logFile: (paths) => join(paths.logDir, 'kafka.log'),

  async install(ctx) {
    java();
    await ensureJars(ctx);
  },

  async prepare(ctx) {
    const libs = await ensureJars(ctx);
    mkdirSync(logDirs(ctx.paths), { recursive: true });
    writeFileSync(propertiesFile(ctx.paths), serverProperties(ctx.config, ctx.paths));
    // KRaft storage is formatted once; later starts reuse the data (and its cluster id).
    if (existsSync(join(logDirs(ctx.paths), 'meta.properties'))) return;
    const classpath = `${libs}/*`;
    const { stdout } = await run(java(), ['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']);
    const clusterId = stdout.trim().split('\n').pop()!.trim();
    await run(java(), ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile(ctx.paths)]);
    ctx.progress.step('kafka', `formatted KRaft storage (cluster ${clusterId}) in ${logDirs(ctx.paths)}`);
  },

  async start(ctx) {
    const args = [
      '-Xms256m',
      '-Xmx512m',
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ",
      '-cp',
      `${libsDir(ctx.paths)}/*`,
      'kafka.Kafka',
      propertiesFile(ctx.paths),
    ];
    spawnDetached(java(), args, { logFile: this.logFile(ctx.paths), pidFile: pidFile(ctx.paths) });
  },

  async probe(config) {
    const kafka = new Kafka({
      clientId: `${config.redpanda.clientId}-infra-probe`,
      brokers: [...config.redpanda.bootstrapServers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      if (brokers.length === 0) throw new Error('the cluster has no brokers yet');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  async ownedPid(ctx) {
    return livePid(pidFile(ctx.paths), propertiesFile(ctx.paths));
  },

  async stop(ctx) {
    const pid = await this.ownedPid(ctx);
    if (pid !== undefined) await stopProcess(pid, STOP_GRACE_MS, pidFile(ctx.paths));
  },
};
