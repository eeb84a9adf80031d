/**
 * How a device proves who it is without putting its token in a URL (URLs end up in browser
 * consoles, proxy access logs and error messages). A browser WebSocket cannot set headers, but it
 * can offer subprotocols: the device offers {@link SYNC_SUBPROTOCOL} and `tabsync.token.<jwt>`
 * (a JWT is made of characters a subprotocol token allows), the relay reads the token from the
 * second and answers with the first only, so the token is never echoed. Plain HTTP requests
 * (`POST /documents`, the token probe) carry `Authorization: Bearer <jwt>`.
 */

/**
 * The subprotocol a relay selects for clients of this wire version. A relay that selected it
 * also sends heartbeat frames ({@link HEARTBEAT_FRAME_TYPE}), so the client may hold it to a
 * silence deadline.
 */
export const SYNC_SUBPROTOCOL = 'tabsync.v1'

/** Prefix of the subprotocol that carries the token. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'tabsync.token.'

/** Type of the relay's heartbeat frame (CBOR, like every frame); never given to the repo. */
export const HEARTBEAT_FRAME_TYPE = 'tabsync-heartbeat'

/**
 * The subprotocols a device offers: the wire version, and the token when it has one.
 *
 * @example
 * new WebSocket('wss://relay.example/sync', tokenSubprotocols(token))
 */
export function tokenSubprotocols(token: string | undefined): string[] {
  return token === undefined
    ? [SYNC_SUBPROTOCOL]
    : [SYNC_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]
}

/** Headers of a plain HTTP request that carries the token. */
export function authorizationHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` }
}
