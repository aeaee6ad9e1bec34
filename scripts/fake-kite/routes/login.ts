// GET /connect/login: stands in for Kite's login page. A visit counts as a successful login: it
// issues a request token and either redirects to the redirect URL (as Kite does with the URL
// registered for the app) or shows the token for a manual run.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { fields } from '../kite-http';
import type { FakeKiteState } from '../state';

export interface LoginRouteOptions {
  /** The fake's stand-in for the redirect URL registered on Kite's developer console. */
  redirectUrl?: string;
}

export function registerLoginRoutes(app: FastifyInstance, state: FakeKiteState, options: LoginRouteOptions): void {
  app.get('/connect/login', async (request, reply) => {
    const query = fields(request.query);
    if (query.api_key !== state.apiKey) {
      return sendPage(reply, 400, 'Invalid API credentials', '<p>The <code>api_key</code> in the login URL is not known.</p>');
    }
    const redirect = typeof query.redirect === 'string' && query.redirect !== '' ? query.redirect : options.redirectUrl;
    const target = redirect === undefined ? undefined : parseHttpUrl(redirect);
    if (redirect !== undefined && !target) {
      return sendPage(reply, 400, 'Invalid redirect URL', '<p>The redirect URL must be an absolute http(s) URL.</p>');
    }
    // The request token goes wherever we redirect: like Kite, never to a URL the caller made up.
    if (target && redirect !== options.redirectUrl && !isAllowedRedirect(target, options.redirectUrl)) {
      return sendPage(reply, 400, 'Redirect URL not allowed', '<p>The redirect URL must be the registered one or on this machine (loopback).</p>');
    }

    const requestToken = state.issueRequestToken();
    if (target) {
      // Kite passes `redirect_params` back untouched, then adds its own parameters.
      if (typeof query.redirect_params === 'string') {
        for (const [key, value] of new URLSearchParams(query.redirect_params)) target.searchParams.append(key, value);
      }
      target.searchParams.set('request_token', requestToken);
      target.searchParams.set('action', 'login');
      target.searchParams.set('type', 'login');
      target.searchParams.set('status', 'success');
      return reply.redirect(target.toString(), 302);
    }
    return sendPage(
      reply,
      200,
      'Logged in to the fake Kite',
      `<p>Logged in as <strong>${escapeHtml(state.user.userName)}</strong> (${escapeHtml(state.user.userId)}).</p>
<p>request_token: <code id="request-token">${requestToken}</code></p>
<p>It can be exchanged once, within a few minutes.</p>`,
    );
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** A `?redirect=` target the fake accepts: loopback, or the registered URL (its origin and path). */
export function isAllowedRedirect(target: URL, registered?: string): boolean {
  if (LOOPBACK_HOSTS.has(target.hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(target.hostname)) return true;
  const allowed = registered === undefined ? undefined : parseHttpUrl(registered);
  return allowed !== undefined && allowed.origin === target.origin && allowed.pathname === target.pathname;
}

function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html>\n<html><head><title>${escapeHtml(title)}</title></head>\n<body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
