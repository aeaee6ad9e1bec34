// The shape every local component shares, so that `up`, `down` and `status` treat Temporal,
// Kafka, Postgres and Redis alike.
import type { Config } from '../../core/config/load';
import type { Progress } from './progress';

export interface InfraPaths {
  /** Data, logs and pid files of the running stack (INFRA__DATA_DIR, absolute). */
  readonly dataDir: string;
  /** Binaries and jars reused across checkouts (INFRA__CACHE_DIR or ~/.cache/alpha-panda). */
  readonly cacheDir: string;
  readonly logDir: string;
  readonly runDir: string;
}

export interface InfraContext {
  readonly config: Config;
  readonly paths: InfraPaths;
  readonly progress: Progress;
}

export type ComponentName = 'temporal' | 'kafka' | 'postgres' | 'redis';

export interface Component {
  readonly name: ComponentName;
  /** Where it answers, for people reading `status`. */
  address(config: Config): string;
  logFile(paths: InfraPaths): string;
  /** Installs or builds what the component needs into the cache or the system; idempotent. */
  install(ctx: InfraContext): Promise<void>;
  /** Prepares the data directory (formats storage, creates the cluster); idempotent. */
  prepare(ctx: InfraContext): Promise<void>;
  /**
   * Launches the component. Returns once it is launched, not necessarily answering `probe` yet;
   * setup the probe depends on (the application's role and database) happens here.
   */
  start(ctx: InfraContext): Promise<void>;
  /** Checks (and, on a server `up` owns, completes) what the application needs; idempotent. */
  afterReady?(ctx: InfraContext, owned: boolean): Promise<void>;
  /** Resolves when the component answers its protocol the way the application uses it. */
  probe(config: Config): Promise<void>;
  /** The pid of the process `up` started, when it is still alive. */
  ownedPid(ctx: InfraContext): Promise<number | undefined>;
  /** Stops what `up` started; resolves once the process is gone. */
  stop(ctx: InfraContext): Promise<void>;
}
