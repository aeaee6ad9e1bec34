// Calling the API in tests: the API of a test app built as `alpha-panda api` builds it, and
// fastify's inject with the Host the API answers to and the bearer token, every answer's body
// kept so a test can search all of them for secrets at the end.
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../api/server';
import type { Config } from '../../core/config/load';
import { Resources } from '../../core/resources';
import type { TestApp } from './app';

export interface ApiCaller {
  (options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  /** Every body answered so far, with the request that got it. */
  readonly bodies: { request: string; body: string }[];
}

export function apiCaller(api: FastifyInstance, config: Config, token: string): ApiCaller {
  const bodies: { request: string; body: string }[] = [];
  const call = async ({ token: given = token, headers, ...options }: InjectOptions & { token?: string | null }) => {
    const response = await api.inject({
      ...options,
      headers: {
        host: `127.0.0.1:${config.api.port}`,
        ...(given === null ? {} : { authorization: `Bearer ${given}` }),
        ...headers,
      },
    });
    bodies.push({ request: `${options.method ?? 'GET'} ${String(options.url)}`, body: response.body });
    return response;
  };
  return Object.assign(call, { bodies });
}

export interface TestApi {
  api: FastifyInstance;
  /** The API's own connections, for a test to read or plant what the API serves. */
  resources: Resources;
  /** Calls the API with the token it was started with. */
  call: ApiCaller;
  close(): Promise<void>;
}

/**
 * The app's API on the app's Temporal client, answering `token`. With `listen`, also on that port
 * of 127.0.0.1, for requests that come from outside the test (a browser sent back by Kite).
 */
export async function startTestApi(app: TestApp, token: string, options: { listen?: number } = {}): Promise<TestApi> {
  const resources = new Resources(app.config);
  let api: FastifyInstance | undefined;
  try {
    api = await buildApi({ config: app.config, client: app.temporal.client, resources });
    if (options.listen !== undefined) await api.listen({ host: '127.0.0.1', port: options.listen });
  } catch (error) {
    await api?.close();
    await resources.close();
    throw error;
  }
  const server = api;
  return {
    api: server,
    resources,
    call: apiCaller(server, app.config, token),
    async close() {
      await server.close();
      await resources.close();
    },
  };
}

/** A raw HTTP request, so that Host and Origin are exactly what a browser (or curl) would send. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A TCP port free right now on 127.0.0.1, for an API that must know its own port (the Host check). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
