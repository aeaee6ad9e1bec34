// Prometheus series shared by every process's /metrics (prom-client): one registry per process,
// and series whose values are read whole from a store (Redis, Postgres, Temporal) when they are
// recorded, so that a series the store no longer has disappears from the exposition too.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}

let registry: Registry | undefined;

/** This process's registry, with Node's default process metrics. */
export function processRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A metric whose series are replaced one group at a time (a namespace, or the account): each
 * replace sets the group's series and drops the ones of its previous replace that are absent now.
 */
abstract class ReplacedSeries {
  private readonly seen = new Map<string, Map<string, Labels>>();

  constructor(private readonly groupLabel: string | undefined) {}

  protected abstract set(labels: Labels, value: number): void;
  protected abstract remove(labels: Labels): void;

  replace(group: string, series: readonly Sample[]): void {
    const previous = this.seen.get(group) ?? new Map<string, Labels>();
    const current = new Map<string, Labels>();
    for (const { labels, value } of series) {
      const full = this.groupLabel ? { [this.groupLabel]: group, ...labels } : labels;
      const key = JSON.stringify(full);
      current.set(key, full);
      this.set(full, value);
    }
    for (const [key, labels] of previous) if (!current.has(key)) this.remove(labels);
    this.seen.set(group, current);
  }
}

export interface SeriesOptions {
  name: string;
  help: string;
  labelNames?: string[];
  /** The label that names the group (default `namespace`); null for series of the account as a whole. */
  groupLabel?: string | null;
}

const groupLabelOf = ({ groupLabel = 'namespace' }: SeriesOptions) => groupLabel ?? undefined;
const labelNamesOf = (options: SeriesOptions) => {
  const groupLabel = groupLabelOf(options);
  return groupLabel ? [groupLabel, ...(options.labelNames ?? [])] : (options.labelNames ?? []);
};

/** A gauge replaced group by group. */
export class ReplacedGauge extends ReplacedSeries {
  private readonly gauge: Gauge<string>;

  constructor(registry: Registry, options: SeriesOptions) {
    super(groupLabelOf(options));
    this.gauge = new Gauge({ name: options.name, help: options.help, labelNames: labelNamesOf(options), registers: [registry] });
  }

  protected set(labels: Labels, value: number): void {
    this.gauge.set(labels, value);
  }

  protected remove(labels: Labels): void {
    this.gauge.remove(labels);
  }
}

/**
 * A counter whose totals are kept elsewhere (a Redis hash every process adds to, or rows in
 * Postgres): each replace exposes the stored totals as they are, rather than counting here.
 */
export class StoredTotalCounter extends ReplacedSeries {
  private readonly counter: Counter<string>;

  constructor(registry: Registry, options: SeriesOptions) {
    super(groupLabelOf(options));
    this.counter = new Counter({ name: options.name, help: options.help, labelNames: labelNamesOf(options), registers: [registry] });
  }

  protected set(labels: Labels, value: number): void {
    // A counter only goes up through inc(); the stored total replaces whatever was shown before.
    this.counter.remove(labels);
    this.counter.inc(labels, value);
  }

  protected remove(labels: Labels): void {
    this.counter.remove(labels);
  }
}
