// The shapes the API reads and answers, once, in zod (validation, serialization, OpenAPI). Money
// is integer paise; timestamps are ISO 8601 with their zone.
import { z } from 'zod';
import { ALL_SERVICES, BROKER_NAMESPACES } from '../core/domain/namespace';
import { orderType, pnlSnapshotData, product, side } from '../core/domain/events';
import { STARTUP_PHASES } from '../workflows/definitions';
import type { OrderStatus } from '../services/trading-engine/broker';

export const namespaceParam = z.enum(BROKER_NAMESPACES);
export const namespaceParams = z.object({ namespace: namespaceParam });
export const serviceParams = z.object({ namespace: namespaceParam, service: z.enum(ALL_SERVICES as [string, ...string[]]) });

export const STRATEGY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const strategyId = z.string().regex(STRATEGY_ID_PATTERN, { error: 'expected 1-64 letters, digits, _ . - (starting with a letter or digit)' });
export const strategyParams = z.object({ namespace: namespaceParam, id: strategyId });
export const portfolioParams = z.object({ namespace: namespaceParam, strategyId });

const timestamp = z.iso.datetime({ offset: true });
const nullableString = z.string().nullable();

const checkSchema = z.object({ name: z.string(), outcome: z.enum(['passed', 'warning', 'failed', 'skipped', 'pending']), detail: z.string() });
const serviceState = z.enum(['starting', 'running', 'restarting', 'stopping', 'stopped', 'failed']);

export const supervisorSchema = z.object({
  service: z.string(),
  namespace: namespaceParam,
  state: serviceState,
  restarts: z.number().int(),
  lastError: nullableString,
  runningSince: nullableString,
  /** Why the running service waits for a Zerodha login (expired or refused session); null when it does not. */
  needsAuth: nullableString.optional(),
  workflowId: z.string(),
  /** Which instance of the service (INSTANCES__*), present from the second on. */
  instance: z.number().int().optional(),
  /** The service's last heartbeat: messages processed, offsets, last event time. */
  progress: z.unknown(),
});
export const servicesSchema = z.object({ namespace: namespaceParam, services: z.array(supervisorSchema) });

export const statusSchema = z.object({
  namespace: namespaceParam,
  phase: z.enum(STARTUP_PHASES),
  execution: z.string(),
  checks: z.array(checkSchema),
  loginUrl: nullableString,
  authError: nullableString,
  authDeadline: nullableString,
  services: z.record(z.string(), z.object({ workflowId: z.string(), state: z.union([serviceState, z.literal('unknown')]) })),
  failure: nullableString,
  webUi: z.string(),
  supervisors: z.array(supervisorSchema),
});

export const startedSchema = z.object({ workflowId: z.string(), runId: z.string(), started: z.boolean() });
export const stoppedSchema = z.object({ stopped: namespaceParam, feedStopped: z.boolean() });
export const restartSchema = z.object({ namespace: namespaceParam, service: z.string(), restartRequested: z.literal(true) });

export const pipelineReportSchema = z.looseObject({ namespace: z.string(), at: z.string(), state: z.string() });

export const portfolioSchema = pnlSnapshotData;
export const portfoliosSchema = z.object({ namespace: namespaceParam, strategies: z.array(portfolioSchema) });
export const portfolioSummarySchema = z.object({
  namespace: namespaceParam,
  strategies: z.number().int(),
  openPositions: z.number().int(),
  cash: z.number().int(),
  realizedPnl: z.number().int(),
  unrealizedPnl: z.number().int(),
  chargesPaid: z.number().int(),
  /** realizedPnl + unrealizedPnl - chargesPaid. */
  netPnl: z.number().int(),
  asOf: timestamp.nullable(),
});

export const ORDER_STATUSES = ['OPEN', 'COMPLETE', 'CANCELLED', 'REJECTED'] as const satisfies readonly OrderStatus[];

const page = {
  limit: z.coerce.number({ error: 'expected a whole number from 1 to 500' }).int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
  strategy: strategyId.optional(),
  from: timestamp.optional(),
  to: timestamp.optional(),
};
export const ordersQuery = z.strictObject({ ...page, status: z.enum(ORDER_STATUSES).optional() });
export const fillsQuery = z.strictObject({ ...page, order: z.string().min(1).max(128).optional() });

export const orderSchema = z.object({
  orderId: z.string(),
  strategyId: z.string(),
  instrumentToken: z.number().int(),
  tradingsymbol: z.string(),
  side,
  product,
  orderType,
  quantity: z.number().int(),
  limitPrice: z.number().int().nullable(),
  triggerPrice: z.number().int().nullable(),
  status: z.string(),
  filledQuantity: z.number().int(),
  averagePrice: z.number().int().nullable(),
  parentOrderId: nullableString,
  correlationId: z.string(),
  failureReason: nullableString,
  submittedAt: timestamp,
  updatedAt: timestamp,
});
export const fillSchema = z.object({
  fillId: z.string(),
  orderId: z.string(),
  strategyId: z.string(),
  instrumentToken: z.number().int(),
  side,
  quantity: z.number().int(),
  price: z.number().int(),
  chargesPaid: z.number().int(),
  charges: z.record(z.string(), z.number().int()),
  filledAt: timestamp,
});
/** `nextCursor` is null on the last page; pass it back as `cursor` for the next one. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const strategySchema = z.object({
  id: z.string(),
  namespace: namespaceParam,
  name: z.string(),
  strategyType: z.string(),
  instruments: z.array(z.number().int()),
  parameters: z.record(z.string(), z.unknown()),
  riskLimits: z.record(z.string(), z.unknown()),
  isActive: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export const strategiesSchema = z.object({ namespace: namespaceParam, strategies: z.array(strategySchema) });
const instrumentsField = z.array(z.number().int().positive()).min(1).max(3000);
const jsonObject = z.record(z.string(), z.unknown());
export const createStrategyBody = z.strictObject({
  id: strategyId,
  name: z.string().min(1).max(200),
  strategyType: z.string().min(1),
  instruments: instrumentsField,
  parameters: jsonObject.default({}),
  riskLimits: jsonObject.default({}),
});
/** Parameters and risk limits are merged key by key into the stored ones; a key set to null is removed. */
export const patchStrategyBody = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    instruments: instrumentsField.optional(),
    parameters: jsonObject.optional(),
    riskLimits: jsonObject.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'expected at least one of name, instruments, parameters, riskLimits' });

export const killSwitchSchema = z.object({
  namespace: namespaceParam,
  active: z.boolean(),
  reason: nullableString,
  setAt: nullableString,
});
export const killSwitchBody = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});

export const requestTokenBody = z.strictObject({ request_token: z.string().min(1).max(512) });
export const tokenResultsSchema = z.object({
  results: z.array(z.object({ namespace: namespaceParam, accepted: z.boolean(), message: z.string() })),
});
export const callbackQuery = z.looseObject({
  request_token: z.string().max(512).optional(),
  status: z.string().max(64).optional(),
});
export const loginUrlSchema = z.object({ loginUrl: z.string() });
export const authStatusSchema = z.object({
  zerodhaEnabled: z.boolean(),
  namespaces: z.array(
    z.object({
      namespace: namespaceParam,
      /** The startup workflow's phase, null when it has never run. */
      phase: z.enum(STARTUP_PHASES).nullable(),
      sessionValid: z.boolean(),
      userId: nullableString,
      expiresAt: timestamp.nullable(),
      expiresInSeconds: z.number().int().nullable(),
      authDeadline: nullableString,
      authError: nullableString,
    }),
  ),
});

export const healthSchema = z.object({ status: z.literal('ok') });
const componentSchema = z.object({ ok: z.boolean(), detail: z.string() });
export const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  components: z.object({ postgres: componentSchema, redis: componentSchema, kafka: componentSchema, temporal: componentSchema }),
});
