// The workflows the worker hosts (bundled from this file).
export { startupWorkflow } from './startup';
export { serviceSupervisorWorkflow } from './supervisor';
