// POST /session/token (request token -> access token) and DELETE /session/token (logout).
import type { FastifyInstance } from 'fastify';
import {
  fields,
  formatKiteTime,
  missingField,
  missingFieldMessage,
  requireKiteVersion,
  sendData,
  sendError,
  sendRefusal,
} from '../kite-http';
import type { AccessTokenRecord, FakeKiteState } from '../state';
import { profileData } from './user';

export function registerSessionRoutes(app: FastifyInstance, state: FakeKiteState): void {
  app.post('/session/token', { preHandler: requireKiteVersion }, async (request, reply) => {
    const body = fields(request.body);
    const missing = missingField(body, ['api_key', 'request_token', 'checksum']);
    if (missing) return sendError(reply, 400, 'InputException', missingFieldMessage(missing));
    const outcome = state.exchangeRequestToken({
      apiKey: body.api_key as string,
      requestToken: body.request_token as string,
      checksum: body.checksum as string,
    });
    if (!outcome.ok) return sendRefusal(reply, outcome);
    return sendData(reply, sessionData(state, outcome.session));
  });

  app.delete('/session/token', { preHandler: requireKiteVersion }, async (request, reply) => {
    const query = fields(request.query);
    const missing = missingField(query, ['api_key', 'access_token']);
    if (missing) return sendError(reply, 400, 'InputException', missingFieldMessage(missing));
    const outcome = state.invalidateAccessToken(query.api_key as string, query.access_token as string);
    if (!outcome.ok) return sendRefusal(reply, outcome);
    return sendData(reply, true);
  });
}

/** The body of a successful token exchange, field for field as Kite sends it. */
function sessionData(state: FakeKiteState, session: AccessTokenRecord) {
  return {
    ...profileData(state.user),
    api_key: state.apiKey,
    access_token: session.accessToken,
    public_token: session.publicToken,
    refresh_token: '',
    enctoken: session.enctoken,
    login_time: formatKiteTime(session.loginAt),
  };
}
