/**
 * Scrubs credentials from text bound for a log or a console: JWTs (three base64url parts, the
 * first a JSON header `eyJ...`), `token=` query parameters, bearer credentials and token
 * subprotocols. For the Node programs built on a device (the print bridge, the demo server);
 * mirrors @tabsync/relay's `log/redact.ts`, and a contract test keeps the two equal.
 *
 * @example
 * redactSecrets('GET /sync?token=abc') // 'GET /sync?token=[redacted]'
 */
export function redactSecrets(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(QUERY_TOKEN, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(TOKEN_SUBPROTOCOL, `$1${REDACTED}`)
}

/** What a secret is replaced with. */
export const REDACTED = '[redacted]'

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g
const QUERY_TOKEN = /([?&](?:amp;)?token=)[^&\s"'#]+/gi
const BEARER = /(\bBearer\s+)[^\s"',]+/gi
const TOKEN_SUBPROTOCOL = /(\btabsync\.token\.)[^\s"',]+/g
