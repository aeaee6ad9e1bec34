// The live stream of a namespace: one set of pollers per namespace, shared by every client of
// its event stream, running only while someone listens. Each source is read on its own interval;
// what it reads is broadcast to every subscriber, and a subscriber joining later is first sent
// each source's current state, so it never waits for a change to see the page filled.
import type { BrokerNamespace } from '../../core/domain/namespace';
import { getLogger } from '../../core/logging';

export interface StreamEvent {
  event: string;
  data: unknown;
}

export interface StreamSource {
  /** Names the source in the `problems` event when it cannot be read. */
  readonly name: string;
  readonly intervalMs: number;
  /** What happened since the previous read (nothing when nothing changed). */
  poll(): Promise<StreamEvent[]>;
  /** The state a subscriber joining now is sent first. */
  current(): StreamEvent[];
}

/** A source of one state, sent when it differs from the last one sent (compared as JSON). */
export function stateSource(name: string, event: string, intervalMs: number, read: () => Promise<unknown>): StreamSource {
  let last: { json: string; data: unknown } | undefined;
  return {
    name,
    intervalMs,
    async poll() {
      const data = await read();
      const json = JSON.stringify(data);
      if (last?.json === json) return [];
      last = { json, data };
      return [{ event, data }];
    },
    current: () => (last ? [{ event, data: last.data }] : []),
  };
}

/** A subscriber: answers false when it can take no more (its connection is gone or backed up). */
export type Listener = (event: StreamEvent) => boolean;

export class NamespaceStream {
  private readonly listeners = new Set<Listener>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly problems = new Map<string, string>();
  private generation = 0;

  constructor(
    readonly namespace: BrokerNamespace,
    private readonly sources: readonly StreamSource[],
  ) {}

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Whether the pollers run (exactly while there is a subscriber). */
  get polling(): boolean {
    return this.timers.size > 0;
  }

  /** Sends the current state, then every event; the returned function unsubscribes. */
  subscribe(listener: Listener): () => void {
    for (const source of this.sources) for (const event of source.current()) listener(event);
    if (this.problems.size > 0) listener(this.problemsEvent());
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => this.unsubscribe(listener);
  }

  private unsubscribe(listener: Listener): void {
    if (!this.listeners.delete(listener)) return;
    if (this.listeners.size === 0) this.stop();
  }

  private broadcast(event: StreamEvent): void {
    for (const listener of [...this.listeners]) {
      if (!listener(event)) this.unsubscribe(listener);
    }
  }

  private problemsEvent(): StreamEvent {
    return { event: 'problems', data: Object.fromEntries(this.problems) };
  }

  private start(): void {
    const generation = ++this.generation;
    for (const source of this.sources) {
      const run = async () => {
        let problem: string | undefined;
        try {
          const events = await source.poll();
          if (generation !== this.generation) return;
          for (const event of events) this.broadcast(event);
        } catch (error) {
          problem = (error as Error).message || `${source.name} could not be read`;
          getLogger('application').debug({ err: error, source: source.name, namespace: this.namespace }, 'stream source failed');
        }
        if (generation !== this.generation) return;
        if (problem !== this.problems.get(source.name)) {
          if (problem === undefined) this.problems.delete(source.name);
          else this.problems.set(source.name, problem);
          this.broadcast(this.problemsEvent());
        }
        if (this.listeners.size > 0) this.timers.set(source.name, setTimeout(run, source.intervalMs));
      };
      // A placeholder until the first read settles, so `polling` is true from the start.
      this.timers.set(source.name, setTimeout(run, 0));
    }
  }

  private stop(): void {
    this.generation += 1;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Stops polling and forgets every subscriber (the server is closing). */
  close(): void {
    this.listeners.clear();
    this.stop();
  }
}

/** One stream per namespace, created on first use. */
export class StreamHub {
  private readonly streams = new Map<BrokerNamespace, NamespaceStream>();

  constructor(private readonly sourcesOf: (namespace: BrokerNamespace) => StreamSource[]) {}

  stream(namespace: BrokerNamespace): NamespaceStream {
    let stream = this.streams.get(namespace);
    if (!stream) {
      stream = new NamespaceStream(namespace, this.sourcesOf(namespace));
      this.streams.set(namespace, stream);
    }
    return stream;
  }

  close(): void {
    for (const stream of this.streams.values()) stream.close();
  }
}
