/**
 * Scrubs credentials from text bound for a log: JWTs (three base64url parts, the first a JSON
 * header `eyJ...`), `token=` query parameters, bearer credentials and token subprotocols. The
 * relay's logger runs every line through it, so a token in an error message, a URL or a header
 * logged by mistake never reaches a log file.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(QUERY_TOKEN, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(TOKEN_SUBPROTOCOL, `$1${REDACTED}`)
}

/** `ws://relay/sync?token=abc` -> `ws://relay/sync?token=[redacted]`, for URLs put in log fields. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url.toString())
    if (u.searchParams.has('token')) u.searchParams.set('token', REDACTED)
    if (u.password) u.password = REDACTED
    return redactSecrets(u.toString())
  } catch {
    return redactSecrets(url.toString())
  }
}

/** What a secret is replaced with. */
export const REDACTED = '[redacted]'

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g
const QUERY_TOKEN = /([?&](?:amp;)?token=)[^&\s"'#]+/gi
const BEARER = /(\bBearer\s+)[^\s"',]+/gi
const TOKEN_SUBPROTOCOL = /(\btabsync\.token\.)[^\s"',]+/g
