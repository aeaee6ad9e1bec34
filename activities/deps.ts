// What activities are built from. The worker passes real connections; tests pass the same kinds
// of objects pointed at their own databases and topics.
import type { Config } from '../core/config/load';
import type { BrokerNamespace, ServiceName } from '../core/domain/namespace';
import type { Resources } from '../core/resources';
import type { StreamingService } from '../core/service';

export type ServiceFactory = (namespace: BrokerNamespace, service: ServiceName) => StreamingService;

export interface ActivityDeps {
  readonly config: Config;
  readonly resources: Resources;
  readonly createService: ServiceFactory;
  readonly now: () => Date;
  /**
   * Aborts when this worker is shutting down: services stop at once (flushing and committing) so
   * that their supervisors restart them on another worker, rather than running on through the
   * worker's grace time and being cut off at its end.
   */
  readonly workerStopping?: AbortSignal;
  /** How long a service told to stop may take (SERVICE_STOP_GRACE_MS); tests shorten it. */
  readonly stopGraceMs?: number;
}
