/**
 * Scrubs credentials from text bound for a log or a console: JWTs (three base64url parts, the
 * first a JSON header `eyJ...`), `token=` query parameters, bearer credentials and token
 * subprotocols. The relay's logger runs every line through it, and so do the Node programs built
 * on a device (the print bridge, the demo server).
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

/**
 * A URL for a log field, its `token` parameter and password replaced.
 *
 * @example
 * redactUrl('ws://relay/sync?token=abc') // 'ws://relay/sync?token=[redacted]'
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url.toString())
    if (u.searchParams.has('token')) u.searchParams.set('token', REDACTED)
    if (u.password) u.password = REDACTED
    return redactSecrets(u.toString())
  } catch {
    // Not a URL: still scrub whatever secret-looking text it holds.
    return redactSecrets(url.toString())
  }
}

/** What a secret is replaced with. */
export const REDACTED = '[redacted]'

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g
const QUERY_TOKEN = /([?&](?:amp;)?token=)[^&\s"'#]+/gi
const BEARER = /(\bBearer\s+)[^\s"',]+/gi
const TOKEN_SUBPROTOCOL = /(\btabsync\.token\.)[^\s"',]+/g
