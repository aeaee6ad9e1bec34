// The lifecycle every streaming service shares. Services know nothing of Temporal: a supervisor
// (or a test, or the benchmark) calls start() with an AbortSignal and reads health() while it runs.

/**
 * `waiting`: started, but what it consumes from does not answer (the Kafka broker is down). The
 * clients retry by themselves; status reads show the service stalled meanwhile.
 */
export type ServiceLifecycleState = 'idle' | 'running' | 'waiting' | 'stopping' | 'stopped' | 'failed';

export interface ServiceHealth {
  readonly state: ServiceLifecycleState;
  /** Events handled since start. */
  readonly processed: number;
  /** Poison messages sent to a dead-letter topic since start. */
  readonly deadLettered: number;
  /** Last committed offset per `topic/partition`. */
  readonly lastOffsets: Readonly<Record<string, string>>;
  /** When the service last handled (or, for the feed, published) an event. */
  readonly lastEventAt: string | null;
  /**
   * Liveness: when the service's loop last showed it is not stuck: it polled its inputs (even
   * with nothing to read), handled a batch, retried, or sampled. An idle service keeps beating;
   * a wedged one stops, and its activity fails so the supervisor restarts it.
   */
  readonly lastBeatAt: string | null;
  readonly detail?: string;
  /**
   * True while the service cannot do its work until someone logs in to Zerodha again (the stored
   * session expired or Kite refused it). The service keeps running and waiting; `detail` says why.
   */
  readonly needsAuth?: boolean;
}

export interface StreamingService {
  readonly name: string;
  /** Runs until the signal aborts; resolves once everything in flight is flushed and committed. */
  start(signal: AbortSignal): Promise<void>;
  health(): ServiceHealth;
}

/** Keeps the counters of a service's health in one place. */
export class HealthTracker {
  private state: ServiceLifecycleState = 'idle';
  private processed = 0;
  private deadLettered = 0;
  private lastEventAt: string | null = null;
  private lastBeatAt: string | null = null;
  private readonly lastOffsets: Record<string, string> = {};
  private detail: string | undefined;
  private needsAuth = false;

  setState(state: ServiceLifecycleState, detail?: string): void {
    this.state = state;
    this.detail = detail;
  }

  /** Processed `count` events now (wall-clock time like the beat: operations, not event time). */
  recordProcessed(count: number): void {
    this.processed += count;
    if (count > 0) this.lastEventAt = new Date().toISOString();
    this.recordBeat();
  }

  /** The loop went round (wall-clock time: liveness is about this process, not event time). */
  recordBeat(): void {
    this.lastBeatAt = new Date().toISOString();
  }

  setNeedsAuth(needsAuth: boolean): void {
    this.needsAuth = needsAuth;
  }

  recordDeadLettered(count: number): void {
    this.deadLettered += count;
  }

  recordOffsets(offsets: Readonly<Record<string, string>>): void {
    Object.assign(this.lastOffsets, offsets);
  }

  snapshot(): ServiceHealth {
    return {
      state: this.state,
      processed: this.processed,
      deadLettered: this.deadLettered,
      lastOffsets: { ...this.lastOffsets },
      lastEventAt: this.lastEventAt,
      lastBeatAt: this.lastBeatAt,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.needsAuth ? { needsAuth: true } : {}),
    };
  }
}
