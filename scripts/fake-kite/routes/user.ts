// GET /user/profile: the one cheap authenticated call, used to prove an access token still works.
import type { FastifyInstance } from 'fastify';
import { parseAuthorization, requireKiteVersion, sendData, sendRefusal } from '../kite-http';
import { INVALID_ACCESS_TOKEN, type FakeKiteState, type FakeKiteUser } from '../state';

export function registerUserRoutes(app: FastifyInstance, state: FakeKiteState): void {
  app.get('/user/profile', { preHandler: requireKiteVersion }, async (request, reply) => {
    const credentials = parseAuthorization(request.headers.authorization);
    const outcome = credentials
      ? state.authorize(credentials.apiKey, credentials.accessToken)
      : ({ ok: false, status: 403, errorType: 'TokenException', message: INVALID_ACCESS_TOKEN } as const);
    if (!outcome.ok) return sendRefusal(reply, outcome);
    return sendData(reply, profileData(state.user));
  });
}

export function profileData(user: FakeKiteUser) {
  return {
    user_id: user.userId,
    user_type: user.userType,
    email: user.email,
    user_name: user.userName,
    user_shortname: user.userShortname,
    broker: 'ZERODHA',
    exchanges: user.exchanges,
    products: user.products,
    order_types: user.orderTypes,
    avatar_url: user.avatarUrl,
    meta: { demat_consent: 'physical' },
  };
}
