// Startup and services of a namespace, through its startup workflow: status, supervisors, start,
// stop, restart a service; and the pipeline monitor's latest report.
import type { FastifyInstance } from 'fastify';
import type { ServiceName } from '../../core/domain/namespace';
import { readReport } from '../../services/pipeline-monitor/store';
import { startupWorkflowId } from '../../workflows/definitions';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { configuredInstances, readServices, readStatus, restartService, startNamespace, stopNamespace, webUiWorkflowUrl } from '../operations';
import { route } from '../route';
import {
  namespaceParams,
  pipelineReportSchema,
  restartSchema,
  serviceParams,
  servicesSchema,
  startedSchema,
  statusSchema,
  stoppedSchema,
} from '../schemas';

const base = '/api/v1/namespaces/:namespace';
const tags = ['namespaces'];

export function registerNamespaceRoutes(app: FastifyInstance, { config, client, resources }: ApiContext): void {
  route(
    app,
    {
      method: 'GET',
      url: `${base}/status`,
      summary: "The startup workflow's status query: phase, checks, login URL while waiting, each supervisor",
      tags,
      params: namespaceParams,
      response: { status: 200, schema: statusSchema },
      errors: ['not_running', 'temporal_unavailable'],
    },
    async ({ params: { namespace } }) => {
      const [status, supervisors] = await Promise.all([readStatus(client, namespace), readServices(client, namespace)]);
      return { ...status, webUi: webUiWorkflowUrl(config, startupWorkflowId(namespace)), supervisors };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: `${base}/services`,
      summary: "Each service's supervisor: state, restarts, last error, last heartbeat",
      tags,
      params: namespaceParams,
      response: { status: 200, schema: servicesSchema },
      errors: ['temporal_unavailable'],
    },
    async ({ params: { namespace } }) => ({ namespace, services: await readServices(client, namespace) }),
  );

  route(
    app,
    {
      method: 'POST',
      url: `${base}/services/:service/restart`,
      summary: 'Restart one service of a running namespace (its supervisor restarts it)',
      tags,
      params: serviceParams,
      response: { status: 202, schema: restartSchema },
      errors: ['not_running', 'no_worker', 'temporal_unavailable'],
    },
    async ({ params: { namespace, service } }) => {
      await restartService(client, namespace, service as ServiceName);
      return { namespace, service, restartRequested: true as const };
    },
  );

  route(
    app,
    {
      method: 'POST',
      url: `${base}/start`,
      summary: "Start the namespace's startup workflow, or attach to the run already going",
      tags,
      params: namespaceParams,
      response: { status: 202, schema: startedSchema },
      errors: ['temporal_unavailable'],
    },
    async ({ params: { namespace } }) => startNamespace(client, namespace, undefined, configuredInstances(config)),
  );

  route(
    app,
    {
      method: 'POST',
      url: `${base}/stop`,
      summary: 'Stop the namespace: services flush and commit, then the startup workflow completes',
      tags,
      params: namespaceParams,
      response: { status: 200, schema: stoppedSchema },
      errors: ['no_worker', 'temporal_unavailable'],
    },
    async ({ params: { namespace } }) => ({ stopped: namespace, ...(await stopNamespace(client, namespace)) }),
  );

  route(
    app,
    {
      method: 'GET',
      url: `${base}/pipeline`,
      summary: "The pipeline monitor's latest report: stage ages, throughput, consumer lag, dead letters",
      tags,
      params: namespaceParams,
      response: { status: 200, schema: pipelineReportSchema },
      errors: ['not_running'],
    },
    async ({ params: { namespace } }) => {
      const report = await readReport(resources.redis(), namespace);
      if (!report) throw new ApiError('not_running', `no pipeline report for '${namespace}' yet: is its pipeline monitor running?`);
      return report;
    },
  );
}
