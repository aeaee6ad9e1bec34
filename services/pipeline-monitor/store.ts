// Where the monitor leaves its latest report for the HTTP API: one JSON document per namespace,
// `{ns}:monitor:pipeline`, replaced on every sample. The report's `at` says how fresh it is; a
// monitor that stopped leaves its last report behind, with its old `at`.
import type { Redis } from 'ioredis';
import type { BrokerNamespace } from '../../core/domain/namespace';
import { namespacedKey } from '../../core/redis/keys';
import type { PipelineReport } from './tracker';

export const monitorReportKey = (namespace: BrokerNamespace) => namespacedKey(namespace, 'monitor', 'pipeline');

export async function saveReport(redis: Pick<Redis, 'set'>, namespace: BrokerNamespace, report: PipelineReport): Promise<void> {
  await redis.set(monitorReportKey(namespace), JSON.stringify(report));
}

/** The namespace's latest report, or null when no monitor has written one. */
export async function readReport(redis: Pick<Redis, 'get'>, namespace: BrokerNamespace): Promise<PipelineReport | null> {
  const text = await redis.get(monitorReportKey(namespace));
  return text === null ? null : (JSON.parse(text) as PipelineReport);
}
