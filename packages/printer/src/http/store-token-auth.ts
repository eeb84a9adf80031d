import { jwtVerify } from 'jose'

/** Answer of an {@link ActionAuthorizer}: allowed, no valid token (401), or not allowed (403). */
export type ActionAuth = 'ok' | 'unauthorized' | 'forbidden'

/** Decides whether the bearer of `token` may confirm or reprint tickets on this bridge. */
export type ActionAuthorizer = (token: string | null) => Promise<ActionAuth>

/** Roles whose staff confirm and reprint tickets: the tills and the back office. */
export const ACTION_ROLES: readonly string[] = ['terminal', 'backoffice']

/**
 * Accepts the store's own Tabsync tokens (HS256 JWT signed with the relay's `TABSYNC_SECRET`,
 * claims `stores` and `role`, as `@tabsync/relay` issues them) of a role in {@link ACTION_ROLES}
 * and of `storeId`. Verified here with `jose` (the printer package cannot import the relay).
 */
export function storeTokenAuthorizer(options: {
  readonly secret: string
  readonly storeId: string
}): ActionAuthorizer {
  const key = new TextEncoder().encode(options.secret)
  return async (token) => {
    if (!token) return 'unauthorized'
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      }))
    } catch {
      return 'unauthorized'
    }
    const stores = payload['stores']
    const role = payload['role']
    const ofStore = Array.isArray(stores) && stores.includes(options.storeId)
    return ofStore && typeof role === 'string' && ACTION_ROLES.includes(role) ? 'ok' : 'forbidden'
  }
}
