// One error type for everything that can go wrong talking to Kite Connect. kiteconnect rejects
// with plain objects (`{ error_type, message }`), axios errors or anything else; they become a
// KiteError whose message is safe to show users: it never carries the API secret, the access
// token or the request token, and it keeps no reference to the raw error (whose request config
// holds the Authorization header).

/**
 * token: the access token expired (06:00 IST) or was revoked; log in again. rate-limited: Kite
 * answered 429. order: the order was refused (OMS, margin, holdings). input: a bad parameter.
 */
export type KiteErrorKind = 'token' | 'rate-limited' | 'input' | 'order' | 'network' | 'other';

export class KiteError extends Error {
  override readonly name = 'KiteError';

  constructor(
    readonly kind: KiteErrorKind,
    message: string,
    /** Kite's `error_type` when Kite answered, e.g. `TokenException`. */
    readonly errorType?: string,
  ) {
    super(message);
  }

  toJSON() {
    return { name: this.name, kind: this.kind, errorType: this.errorType, message: this.message };
  }
}

const KIND_BY_ERROR_TYPE: Record<string, KiteErrorKind> = {
  TokenException: 'token',
  InputException: 'input',
  NetworkException: 'network',
  OrderException: 'order',
  MarginException: 'order',
  HoldingException: 'order',
};

/** Kite's message on a 429; kiteconnect hands on the body without the HTTP status. */
const TOO_MANY_REQUESTS = /^too many requests/i;

const MAX_MESSAGE_LENGTH = 300;

/**
 * Converts whatever kiteconnect threw into a KiteError. `secrets` are the values that must never
 * appear in the message (API secret, tokens); they are replaced wherever Kite or a library echoed
 * them.
 */
export function toKiteError(error: unknown, secrets: readonly (string | undefined | null)[]): KiteError {
  if (error instanceof KiteError) return new KiteError(error.kind, redact(error.message, secrets), error.errorType);
  const fields = error !== null && typeof error === 'object' ? (error as Record<string, unknown>) : {};
  const errorType = typeof fields.error_type === 'string' ? fields.error_type : undefined;
  const rawMessage =
    typeof fields.message === 'string' && fields.message !== ''
      ? fields.message
      : typeof error === 'string'
        ? error
        : 'Unknown error';
  let kind: KiteErrorKind = errorType ? (KIND_BY_ERROR_TYPE[errorType] ?? 'other') : networkCode(fields) ? 'network' : 'other';
  if ((errorType === 'NetworkException' || fields.status === 429) && TOO_MANY_REQUESTS.test(rawMessage)) kind = 'rate-limited';
  return new KiteError(kind, redact(rawMessage, secrets), errorType);
}

/** Low-level failures that reach us without kiteconnect's wrapping (e.g. ECONNREFUSED). */
function networkCode(fields: Record<string, unknown>): boolean {
  return typeof fields.code === 'string' && /^(E[A-Z]+|ERR_NETWORK|ECONNABORTED|ETIMEDOUT)$/.test(fields.code);
}

function redact(message: string, secrets: readonly (string | undefined | null)[]): string {
  let safe = message;
  for (const secret of secrets) {
    if (secret) safe = safe.split(secret).join('[redacted]');
  }
  return safe.length > MAX_MESSAGE_LENGTH ? `${safe.slice(0, MAX_MESSAGE_LENGTH)}…` : safe;
}
