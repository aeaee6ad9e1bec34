// A fresh Temporal namespace on the dev server per test file, so that the contract's fixed
// workflow ids (alpha-panda-paper, ...) never collide between files or with a developer's run.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { bundleWorkflows } from '../../workers/worker';

const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

export interface TestTemporal {
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** `dataConverter`: the one the app's clients use (payload encryption when a key is configured). */
export async function createTestTemporal(address: string, dataConverter?: DataConverter): Promise<TestTemporal> {
  const namespace = `alpha-panda-test-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address });
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  await waitFor(async () => {
    await connection.workflowService.describeNamespace({ namespace });
  }, `namespace ${namespace} to be registered`);
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: { AlphaPandaNamespace: KEYWORD, AlphaPandaPhase: KEYWORD },
  });
  await waitFor(async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    if (!customAttributes?.AlphaPandaPhase) throw new Error('search attributes not visible yet');
  }, 'search attributes');
  const client = new Client({ connection, namespace, dataConverter });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    namespace,
    client,
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundling takes seconds; do it once per test process. */
export const sharedWorkflowBundle = () => (bundle ??= bundleWorkflows());

/**
 * Polls `probe` until it returns something other than false (or stops throwing), or the deadline
 * passes. A probe that hangs (a query while a workflow moves to another worker) counts as a miss
 * after `probeTimeoutMs` and is tried again.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  what: string,
  timeoutMs = 60_000,
  probeTimeoutMs = 15_000,
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await Promise.race([
        probe(),
        sleep(probeTimeoutMs).then(() => {
          throw new Error(`probe did not answer within ${probeTimeoutMs} ms`);
        }),
      ]);
      if (value !== false) return value as Exclude<T, false>;
      lastError = new Error('condition not met');
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(lastError as Error)?.message}`);
    }
    await sleep(250);
  }
}
