/**
 * True when `peerId` may be used by `deviceId`: exactly the device id, or `<deviceId>/<suffix>`
 * (one suffix per tab or process of the device). Device ids never contain `/` (see ID_PATTERN),
 * so no device can claim another's peer ids.
 */
export function isPeerOfDevice(peerId: string, deviceId: string): boolean {
  if (peerId === deviceId) return true
  return (
    peerId.length > deviceId.length + 1 &&
    peerId.startsWith(deviceId) &&
    peerId[deviceId.length] === '/' &&
    peerId.length <= 256
  )
}

/** The device part of a peer id (`till-1/tab-3` -> `till-1`). */
export function deviceOfPeer(peerId: string): string {
  const slash = peerId.indexOf('/')
  return slash === -1 ? peerId : peerId.slice(0, slash)
}
