// Devices of one store on a real relay process, for tests: each with its own token and
// storage directory, closed after the test; and a wait on a device's sync status.
import { issueToken } from '@tabsync/relay'
import { openDevice, type Device, type OpenDeviceOptions, type SyncStatus } from '../src/index.js'
import { RELAY_SECRET, spawnRelay, tempDir } from './relay-process.js'

/** Resolves with the device's status once `ok` holds (checked on every status change). */
export function statusUntil(device: Device, ok: (s: SyncStatus) => boolean): Promise<SyncStatus> {
  return new Promise((resolve) => {
    if (ok(device.status())) return resolve(device.status())
    const off = device.onStatus((s) => {
      if (!ok(s)) return
      off()
      resolve(s)
    })
  })
}

/**
 * Opens devices of `storeId` on the relay at `syncUrl`: a back-office device when its id starts
 * with "office", a terminal otherwise; storage in `directory`, or in a fresh temporary one.
 * Everything opened is closed (and removed) by `cleanups`.
 */
export function storeDevices(
  syncUrl: string,
  cleanups: (() => Promise<unknown>)[],
  storeId = 'store-1',
) {
  return async (
    deviceId: string,
    extra: Partial<OpenDeviceOptions> & { directory?: string } = {},
  ): Promise<Device> => {
    const { directory, ...options } = extra
    let dir = directory
    if (dir === undefined) {
      const made = await tempDir()
      cleanups.push(made.remove)
      dir = made.path
    }
    const token = await issueToken({
      secret: RELAY_SECRET,
      deviceId,
      storeIds: [storeId],
      role: deviceId.startsWith('office') ? 'backoffice' : 'terminal',
    })
    const device = await openDevice({
      deviceId,
      token,
      endpoints: [{ url: syncUrl, kind: 'relay' }],
      storage: { directory: dir },
      ...options,
    })
    cleanups.push(() => device.close())
    return device
  }
}

/**
 * A relay process on a fresh data directory and a back-office device of `store-1` online on it;
 * `open` opens more devices of the store. Everything is stopped and removed by `cleanups`.
 */
export async function relayWithOffice(cleanups: (() => Promise<unknown>)[]) {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(data.path)
  cleanups.push(() => relay.stop())
  const open = storeDevices(relay.syncUrl, cleanups)
  const office = await open('office-1')
  await statusUntil(office, (s) => s.state === 'online')
  return { relay, open, office }
}
