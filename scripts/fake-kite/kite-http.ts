// Kite Connect's HTTP conventions, shared by the fake's routes: the `{status, data}` envelope,
// errors with `error_type`, the version header and the `token api_key:access_token` scheme.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IST_OFFSET_MINUTES } from '../../core/domain/market-hours';
import type { KiteRefusal } from './state';

export type KiteErrorType = KiteRefusal['errorType'] | 'OrderException' | 'NetworkException' | 'GeneralException';

export function sendData(reply: FastifyReply, data: unknown): FastifyReply {
  return reply.code(200).send({ status: 'success', data });
}

export function sendError(reply: FastifyReply, status: number, errorType: KiteErrorType, message: string): FastifyReply {
  return reply.code(status).send({ status: 'error', message, data: null, error_type: errorType });
}

export function sendRefusal(reply: FastifyReply, refusal: { status: number; errorType: KiteErrorType; message: string }): FastifyReply {
  return sendError(reply, refusal.status, refusal.errorType, refusal.message);
}

/** Kite answers only clients that ask for version 3 of the API. */
export async function requireKiteVersion(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.headers['x-kite-version'] !== '3') {
    await sendError(reply, 400, 'InputException', 'Invalid or missing `X-Kite-Version` header (expected 3).');
  }
}

/** The first of the named fields that is missing or empty, for Kite's InputException message. */
export function missingField(source: Record<string, unknown>, fields: readonly string[]): string | undefined {
  return fields.find((field) => typeof source[field] !== 'string' || source[field] === '');
}

export function missingFieldMessage(field: string): string {
  return `Missing or empty field \`${field}\`.`;
}

/** Reads `Authorization: token api_key:access_token`. */
export function parseAuthorization(header: string | undefined): { apiKey: string; accessToken: string } | undefined {
  const match = /^token ([^:\s]+):(\S+)$/.exec(header ?? '');
  return match ? { apiKey: match[1]!, accessToken: match[2]! } : undefined;
}

/** Kite's timestamps: `YYYY-MM-DD HH:MM:SS`, IST wall-clock time without a zone. */
export function formatKiteTime(instant: Date): string {
  const shifted = new Date(instant.getTime() + IST_OFFSET_MINUTES * 60_000);
  return shifted.toISOString().slice(0, 19).replace('T', ' ');
}

/** Query or form fields as a plain record (fastify leaves them `unknown`). */
export function fields(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}
