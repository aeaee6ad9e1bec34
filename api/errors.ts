// The one error catalog of the HTTP API. Every refusal, from a route or from the framework itself
// (unknown path, body too large, failed validation, rate limit), is `{"error":{"code","message"}}`
// with one of these stable codes. The README's table lists the same codes (a test keeps them equal).
import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { getLogger } from '../core/logging';
import { NoWorkerError, NotRunningError } from './operations';

export const API_ERRORS = {
  bad_request: { status: 400, meaning: 'malformed JSON, or a parameter, query or body field that fails validation (the message names it)' },
  unauthorized: { status: 401, meaning: 'missing or wrong `Authorization: Bearer <API__TOKEN>`' },
  forbidden: { status: 403, meaning: 'a foreign `Origin` or an unexpected `Host` (cross-site request, DNS rebinding)' },
  not_found: { status: 404, meaning: 'no such path, strategy or portfolio' },
  not_running: { status: 404, meaning: 'the namespace has never been started, or is not running' },
  conflict: { status: 409, meaning: 'the resource exists already, or is in a state that refuses the request' },
  not_waiting: { status: 409, meaning: 'no namespace is waiting for a Zerodha request_token' },
  zerodha_disabled: { status: 409, meaning: 'Zerodha is disabled (`ZERODHA__ENABLED=false`): no login needed' },
  payload_too_large: { status: 413, meaning: 'the body is over the limit' },
  unsupported_media_type: { status: 415, meaning: 'a body that is not `application/json`' },
  token_rejected: { status: 422, meaning: 'the request_token was refused (the message gives Zerodha\'s reason)' },
  rate_limited: { status: 429, meaning: 'too many requests from this address (`API__RATE_LIMIT_PER_MINUTE`)' },
  internal: { status: 500, meaning: 'an unexpected error (logged, never detailed in the response)' },
  no_worker: { status: 503, meaning: 'no worker polls the task queue, so a signal would wait unanswered' },
  temporal_unavailable: { status: 503, meaning: 'Temporal does not answer' },
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;
export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }

  get statusCode(): number {
    return API_ERRORS[this.code].status;
  }
}

export const errorBodySchema = z
  .object({ error: z.object({ code: z.enum(API_ERROR_CODES), message: z.string() }) })
  .describe('Every refusal: a stable code and a message for people');

export function sendError(reply: FastifyReply, code: ApiErrorCode, message: string): FastifyReply {
  return reply.status(API_ERRORS[code].status).type('application/json; charset=utf-8').send(JSON.stringify({ error: { code, message } }));
}

/** `params.namespace: expected one of ...; body.request_token: ...`: each issue names its field. */
export function describeZodError(error: z.ZodError, where: string | undefined): string {
  return error.issues
    .map((issue) => {
      const part = where === 'querystring' ? 'query' : (where ?? 'body');
      const path = [part, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

// gRPC UNAVAILABLE and DEADLINE_EXCEEDED: the server is down, unreachable or not answering.
const TEMPORAL_DOWN_CODES = new Set([14, 4]);

/** Whether the error (or one of its causes) is Temporal not answering, as opposed to any other failure. */
export function isTemporalUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(current) && TEMPORAL_DOWN_CODES.has(current.code)) return true;
    if (current instanceof Error && /Failed to connect before the deadline|TransportError/.test(current.message)) return true;
  }
  return false;
}

/** Maps any error to the catalog. Unexpected errors are logged with the route, and answered 500 without details. */
export function classifyError(error: unknown): { code: ApiErrorCode; message: string; unexpected?: true } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  if (error instanceof NotRunningError) return { code: 'not_running', message: error.message };
  if (error instanceof NoWorkerError) return { code: 'no_worker', message: error.message };
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.code === 'FST_ERR_VALIDATION' || error instanceof z.ZodError) {
    const message = error instanceof z.ZodError ? describeZodError(error, fastifyError.validationContext) : String(fastifyError.message);
    return { code: 'bad_request', message };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'the request body is over the limit' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: 'send the body as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'bad_request', message: `body: ${fastifyError.message}` };
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return { code: 'bad_request', message: `body: not valid JSON (${error.message})` };
  if (isTemporalUnavailable(error)) return { code: 'temporal_unavailable', message: 'Temporal does not answer; is the stack up?' };
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { code: 'bad_request', message: String(fastifyError.message) };
  return { code: 'internal', message: 'internal error (logged on the server)', unexpected: true };
}

/** Installs the catalog as fastify's error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { code, message, unexpected } = classifyError(error);
    if (unexpected) {
      getLogger('error').error({ err: error, method: request.method, route: request.routeOptions.url }, 'API request failed unexpectedly');
    }
    return sendError(reply, code, message);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
}
