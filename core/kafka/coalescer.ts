// Hands the chunks of the partitions a consumer works on at once to the handler together. Each
// stage commits one batch at a time (its critical section), and each commit costs the same chain
// of round trips (Redis reads, produce, the Redis commit) whatever its size, so the partitions of
// one fetch delivered one by one would queue behind each other and pay it once each. Here a chunk
// that arrives while a delivery is running waits for it to end and then goes with every other
// chunk that arrived meanwhile, in one delivery. Each partition's chunks still come in order:
// the consumer hands over a partition's next chunk only once its previous one was delivered.
export type Delivery<P> = (chunk: P[], heartbeat: () => Promise<void>) => Promise<boolean>;

interface Waiting<P> {
  chunk: P[];
  heartbeat: () => Promise<void>;
  submittedAt: number;
  onStart?: (waitedMs: number) => void;
  resolve: (delivered: boolean) => void;
  reject: (error: unknown) => void;
}

export class Coalescer<P> {
  private queue: Waiting<P>[] = [];
  private draining = false;

  constructor(private readonly delivery: Delivery<P>) {}

  /**
   * Resolves with the delivery's result once the delivery that took `chunk` has ended; `onStart`
   * is told how long the chunk waited for that delivery to begin.
   */
  submit(chunk: P[], heartbeat: () => Promise<void>, onStart?: (waitedMs: number) => void): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ chunk, heartbeat, submittedAt: Date.now(), onStart, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // One turn of the event loop, so that the partitions of one fetch, handed over together, go together.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const taken = this.queue.splice(0);
      const startedAt = Date.now();
      for (const waiting of taken) waiting.onStart?.(startedAt - waiting.submittedAt);
      try {
        const delivered = await this.delivery(
          taken.flatMap((waiting) => waiting.chunk),
          () => taken[0]!.heartbeat(),
        );
        for (const waiting of taken) waiting.resolve(delivered);
      } catch (error) {
        for (const waiting of taken) waiting.reject(error);
      }
    }
    this.draining = false;
  }
}
