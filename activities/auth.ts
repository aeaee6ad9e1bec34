// The Zerodha login: the login URL, and the exchange of a request_token for a session. Only
// whether it worked (and why not) leaves these activities: the access token is stored encrypted
// and never returned, so it never enters workflow history.
import { authenticateWithRequestToken, loginUrl } from '../core/broker/auth';
import { redisKiteCallMeter } from '../core/broker/kite-calls';
import type { TokenSubmissionResult } from '../workflows/definitions';
import type { ActivityDeps } from './deps';
import type { createInitActivities } from './init';

export function createAuthActivities(deps: ActivityDeps, init: ReturnType<typeof createInitActivities>) {
  return {
    async getLoginUrl(): Promise<string> {
      return loginUrl(deps.config);
    },

    async exchangeRequestToken(requestToken: string): Promise<TokenSubmissionResult> {
      // The session table must exist before the first login stores a session.
      await init.runMigrations();
      const outcome = await authenticateWithRequestToken(
        { config: deps.config, pool: deps.resources.postgres(), kiteCalls: redisKiteCallMeter(deps.resources.redis()) },
        requestToken,
      );
      return outcome.ok
        ? { accepted: true, message: `logged in as ${outcome.userId}; session valid until ${outcome.expiresAt}` }
        : { accepted: false, message: outcome.reason };
    },
  };
}
