import { DeviceRole } from '@tabsync/core'

/**
 * Where in a document a write lands, as far as rights are concerned: the root key, then (when
 * the write is inside a root-level map or list) the key of the entry in it. Deeper writes are
 * attributed to the entry that contains them (`['lines', '<line id>']` for a quantity change).
 */
export type WritePath = readonly [string] | readonly [string, string]

/**
 * A path pattern: each segment a literal, `*` (any) or `$device` (the writer's own device id).
 * A pattern matches a write path it is a prefix of (`['bumps']` matches `['bumps', 'b1']`).
 */
export type PathPattern = readonly string[]

/** `all`, or the path patterns a role may write in one kind of document. */
export type KindRights = 'all' | readonly PathPattern[]

/** What one role may write, by document kind (`store`, `table`, `table-day`, `order`). Absent kind: nothing. */
export type RoleRights = Readonly<Partial<Record<string, KindRights>>>

/** Any kind, including documents without a `kind` (not Tabsync documents). */
export const ANY_KIND = '*'

/**
 * Rights per role, enforced by the relay on every change it receives (see write-guard.ts).
 * - terminal: orders, tables and table-days (everything in them, including creating them), and
 *   in the store document only its own entry of `devices` (a till registers itself);
 * - kitchen: bumps of orders;
 * - printer: print records and bumps of orders;
 * - hub: everything of its stores: it only relays what its own devices wrote, and it checks
 *   them with this same table before relaying;
 * - backoffice: everything, including the store configuration and new kinds of documents.
 */
export const ROLE_RIGHTS: Readonly<Record<DeviceRole, RoleRights>> = {
  [DeviceRole.terminal]: {
    order: 'all',
    table: 'all',
    'table-day': 'all',
    store: [['devices', '$device']],
  },
  [DeviceRole.kitchen]: { order: [['bumps']] },
  [DeviceRole.printer]: { order: [['prints'], ['bumps']] },
  [DeviceRole.hub]: { [ANY_KIND]: 'all' },
  [DeviceRole.backoffice]: { [ANY_KIND]: 'all' },
}

/** The rights of `role` in a document of `kind` (undefined kind: a document without `kind`). */
export function rightsIn(role: DeviceRole, kind: string | undefined): KindRights | undefined {
  const rights = ROLE_RIGHTS[role]
  return rights[ANY_KIND] ?? (kind === undefined ? undefined : rights[kind])
}

/** True when `rights` let device `deviceId` write at `path`. */
export function mayWritePath(rights: KindRights, path: WritePath, deviceId: string): boolean {
  if (rights === 'all') return true
  return rights.some(
    (pattern) =>
      pattern.length <= path.length &&
      pattern.every((segment, i) =>
        segment === '*' ? true : segment === '$device' ? path[i] === deviceId : path[i] === segment,
      ),
  )
}
