// Records real histories of both workflows for the replay tests: a paper startup in mock mode
// that reaches `running` and shuts down, with one of its supervisors. Run against the local stack
// after a deliberate workflow change, and commit the files it writes:
//   npx tsx test/record-histories.ts
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { readServices, startNamespace, stopNamespace } from '../api/operations';
import { ALL_SERVICES } from '../core/domain/namespace';
import { startupWorkflowId, supervisorWorkflowId } from '../workflows/definitions';
import { createTestApp } from './support/app';
import { waitFor } from './support/temporal';

const app = await createTestApp();
try {
  await app.seed();
  await app.startWorker();
  const { client } = app.temporal;
  await startNamespace(client, 'paper');
  await waitFor(async () => {
    const services = await readServices(client, 'paper');
    return services.length === ALL_SERVICES.length && services.every((service) => service.state === 'running');
  }, 'every supervisor running');
  await stopNamespace(client, 'paper');
  const recorded: [string, string][] = [
    ['startup-paper', startupWorkflowId('paper')],
    ['supervisor-risk-manager', supervisorWorkflowId('paper', 'risk-manager')],
  ];
  for (const [file, workflowId] of recorded) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const path = new URL(`./histories/${file}.json`, import.meta.url);
    writeFileSync(path, `${historyToJSON(history)}\n`);
    process.stdout.write(`wrote ${path.pathname} (${history.events?.length} events)\n`);
  }
} finally {
  await app.close();
}
