/**
 * The name of a device's IndexedDB database (`storage: 'indexeddb'`). Exported so that an app
 * opening the adapter itself (to put documents it fetched early into storage before
 * `openDevice`, as the demo terminal does on a new device) reaches the same database.
 *
 * @example
 * new IndexedDBStorageAdapter(deviceDatabaseName('till-1')) // the database of `openDevice({ deviceId: 'till-1', storage: 'indexeddb' })`
 */
export function deviceDatabaseName(deviceId: string): string {
  return `tabsync-${deviceId}`
}
