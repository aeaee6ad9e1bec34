// Routes declared once with zod: the same schemas validate the request, shape the response and
// become the OpenAPI document (z.toJSONSchema). A response is serialized through its schema, so a
// field a handler did not mean to expose (a secret on some object) is dropped, never sent.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods } from 'fastify';
import { z } from 'zod';
import { errorBodySchema, type ApiErrorCode, API_ERRORS } from './errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the bearer token (health, readiness, the Kite callback). */
    public?: boolean;
  }
}

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

export interface RouteSpec<P, Q, B> {
  method: HTTPMethods;
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  querystring?: Q;
  body?: B;
  /** The success status and body schema; a non-JSON body (HTML, Prometheus text) gives its type. */
  response: { status: number; schema: Schema } | { status: number; contentType: string };
  /** Other bodies the route answers by status (e.g. readiness's 503 with each component). */
  otherResponses?: Record<number, Schema>;
  /** Error codes the route may answer besides the ones every route may (400, 401, 403, 429, 500). */
  errors?: ApiErrorCode[];
  public?: boolean;
}

export interface RouteInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  request: FastifyRequest;
  reply: FastifyReply;
}

const COMMON_ERRORS: ApiErrorCode[] = ['bad_request', 'unauthorized', 'forbidden', 'rate_limited', 'internal'];

export function route<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined>(
  app: FastifyInstance,
  spec: RouteSpec<P, Q, B>,
  handler: (input: RouteInput<P, Q, B>) => Promise<unknown>,
): void {
  const errors = [...new Set([...COMMON_ERRORS.filter((code) => !(spec.public && code === 'unauthorized')), ...(spec.errors ?? [])])];
  const response: Record<string, unknown> = {};
  response[String(spec.response.status)] =
    'schema' in spec.response ? spec.response.schema : { description: `${spec.response.contentType} body`, content: { [spec.response.contentType]: { schema: { type: 'string' } } } };
  for (const [status, other] of Object.entries(spec.otherResponses ?? {})) response[status] = other;
  for (const code of errors) {
    const status = String(API_ERRORS[code].status);
    response[status] ??= errorBodySchema;
  }
  const schema: FastifySchema & Record<string, unknown> = {
    summary: spec.summary,
    description: spec.description ?? `Errors: ${errors.join(', ')}.`,
    tags: spec.tags,
    ...(spec.public ? { security: [] } : {}),
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.querystring ? { querystring: spec.querystring } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    response,
  };
  app.route({
    method: spec.method,
    url: spec.url,
    schema,
    config: { public: spec.public ?? false },
    handler: async (request, reply) => {
      const result = await handler({
        params: request.params as Out<P>,
        query: request.query as Out<Q>,
        body: request.body as Out<B>,
        request,
        reply,
      });
      if (!reply.sent && reply.statusCode === 200) reply.status(spec.response.status);
      return result;
    },
  });
}

const isZod = (value: unknown): value is Schema => value instanceof z.ZodType;

/** Validation with the route's zod schemas; the parsed value (coerced, defaults filled) replaces the input. */
export function installZodCompilers(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => {
    if (!isZod(schema)) throw new Error('every route schema must be a zod schema');
    return (data: unknown) => {
      const result = schema.safeParse(data ?? undefined);
      return result.success ? { value: result.data } : { error: result.error };
    };
  });
  app.setSerializerCompiler(({ schema }) => {
    if (!isZod(schema)) return (data: unknown) => JSON.stringify(data);
    return (data: unknown) => {
      const result = schema.safeParse(data);
      // A response that does not match its schema is a bug here, never something to send as is.
      if (!result.success) throw new Error(`response does not match its schema: ${result.error.message}`);
      return JSON.stringify(result.data);
    };
  });
}

const toJsonSchema = (schema: Schema, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any', reused: 'inline' });

/** @fastify/swagger's transform: the zod schemas of a route as OpenAPI JSON schemas. */
export function openApiTransform({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  for (const part of ['params', 'querystring', 'body'] as const) {
    const value = (schema as Record<string, unknown>)[part];
    if (isZod(value)) out[part] = toJsonSchema(value, 'input');
  }
  const response = (schema as { response?: Record<string, unknown> }).response;
  if (response) {
    out.response = Object.fromEntries(
      Object.entries(response).map(([status, value]) => [status, isZod(value) ? toJsonSchema(value, 'output') : value]),
    );
  }
  return { schema: out as FastifySchema, url };
}
