// The Zerodha login: the session's validity per namespace, the login URL, the request_token
// hand-over, and Kite's redirect (the callback, reached by the browser after login: no bearer
// token, and it answers a small page). No answer ever holds the access token or a request_token.
import type { FastifyInstance } from 'fastify';
import { loginUrl } from '../../core/broker/auth';
import { readSessionValidity } from '../../core/broker/session-store';
import { BROKER_NAMESPACES } from '../../core/domain/namespace';
import { formatIst } from '../../core/domain/market-hours';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { NotRunningError, readStatus, submitRequestTokenToWaiting, type NamespaceTokenResult } from '../operations';
import { route } from '../route';
import { authStatusSchema, callbackQuery, loginUrlSchema, requestTokenBody, tokenResultsSchema } from '../schemas';

const tags = ['auth'];

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, lines: string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Alpha Panda: ${escapeHtml(title)}</title>
<meta name="referrer" content="no-referrer"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>${escapeHtml(title)}</h1>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}
</body></html>`;
}

export function registerAuthRoutes(app: FastifyInstance, { config, client, resources }: ApiContext): void {
  const submit = async (token: string): Promise<NamespaceTokenResult[]> => {
    if (!config.zerodha.enabled) throw new ApiError('zerodha_disabled', 'Zerodha is disabled (ZERODHA__ENABLED=false): no login needed');
    const results = await submitRequestTokenToWaiting(client, token);
    if (results.length === 0) throw new ApiError('not_waiting', 'no namespace is waiting for a request_token (see GET /api/v1/auth/status)');
    return results;
  };

  route(
    app,
    {
      method: 'GET',
      url: '/api/v1/auth/status',
      summary: "Each namespace's Zerodha session: valid or not, and time to expiry (never the token)",
      tags,
      response: { status: 200, schema: authStatusSchema },
      errors: ['temporal_unavailable'],
    },
    async () => {
      // The session belongs to the account, so both namespaces share it. Its row is read without
      // decrypting: only whether one is stored, unexpired and not invalidated, and until when.
      const at = new Date();
      const session = config.zerodha.enabled ? await readSessionValidity(resources.postgres(), config.zerodha.apiKey, at) : null;
      const now = at.getTime();
      const namespaces = await Promise.all(
        BROKER_NAMESPACES.map(async (namespace) => {
          const status = await readStatus(client, namespace).catch((error: unknown) => {
            if (error instanceof NotRunningError) return undefined;
            throw error;
          });
          return {
            namespace,
            phase: status?.phase ?? null,
            sessionValid: session !== null,
            userId: session?.userId ?? null,
            expiresAt: session ? formatIst(session.expiresAt) : null,
            expiresInSeconds: session ? Math.max(0, Math.floor((session.expiresAt.getTime() - now) / 1000)) : null,
            authDeadline: status?.phase === 'awaiting-auth' ? status.authDeadline : null,
            authError: status?.phase === 'awaiting-auth' ? status.authError : null,
          };
        }),
      );
      return { zerodhaEnabled: config.zerodha.enabled, namespaces };
    },
  );

  route(
    app,
    { method: 'GET', url: '/api/v1/auth/login-url', summary: 'The Zerodha login URL', tags, response: { status: 200, schema: loginUrlSchema }, errors: ['zerodha_disabled'] },
    async () => {
      if (!config.zerodha.enabled) throw new ApiError('zerodha_disabled', 'Zerodha is disabled (ZERODHA__ENABLED=false): no login needed');
      return { loginUrl: loginUrl(config) };
    },
  );

  route(
    app,
    {
      method: 'POST',
      url: '/api/v1/auth/request-token',
      summary: 'Hand the request_token to every namespace waiting for one; answers each one\'s result (422 when refused)',
      tags,
      body: requestTokenBody,
      response: { status: 200, schema: tokenResultsSchema },
      errors: ['zerodha_disabled', 'not_waiting', 'token_rejected', 'temporal_unavailable'],
    },
    async ({ body }) => {
      const results = await submit(body.request_token);
      const refused = results.filter((result) => !result.accepted);
      if (refused.length > 0) {
        throw new ApiError('token_rejected', refused.map((result) => `${result.namespace}: ${result.message}`).join('; '));
      }
      return { results };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/api/v1/auth/callback',
      summary: "Kite's redirect URL after login: submits its request_token and answers a page saying whether it worked",
      description: 'Set it as the redirect URL of the Kite Connect app (http://127.0.0.1:8000/api/v1/auth/callback). No bearer token: the browser arrives from Kite.',
      tags,
      public: true,
      querystring: callbackQuery,
      response: { status: 200, contentType: 'text/html' },
      errors: ['zerodha_disabled', 'not_waiting', 'token_rejected'],
    },
    async ({ query, reply }) => {
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (query.status !== 'success' || !query.request_token) {
        reply.status(400);
        return page('Login not completed', [`Kite answered status "${query.status ?? '(none)'}" without a request token. Log in again.`]);
      }
      let results: NamespaceTokenResult[];
      try {
        results = await submit(query.request_token);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        reply.status(error.statusCode);
        return page('Login not used', [error.message]);
      }
      const ok = results.every((result) => result.accepted);
      reply.status(ok ? 200 : 422);
      return page(ok ? 'Logged in to Zerodha' : 'Login refused', [
        ...results.map((result) => `${result.namespace}: ${result.accepted ? 'accepted' : 'refused'}: ${result.message}`),
        ok ? 'You can close this page.' : 'Log in again from the login URL.',
      ]);
    },
  );
}
