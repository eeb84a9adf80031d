/*
 * The start chunk: small, and free of Automerge. It paints the floor this device last showed
 * (lib/floor-snapshot.ts) in the first frames, then loads the app (its code and Automerge's wasm,
 * the slow part of a start, asked for side by side: lib/automerge-wasm.ts) and hands over to it;
 * the app keeps that floor on screen until its own, from the device's documents, is ready. A new
 * device asks for its pairing and then its store's documents (lib/starter-bundle.ts) while the
 * app loads.
 */
import { mount, unmount } from 'svelte'
import type * as AppModule from './App.svelte'
import FloorPreview from './components/FloorPreview.svelte'
import { automergeWasm } from './lib/automerge-wasm.js'
import { parseFloorSnapshot, readFloorSnapshot, type FloorSnapshot } from './lib/floor-snapshot.js'
import { cachedPairing, identity, pair } from './lib/pairing.js'
import { fetchStarterBundle } from './lib/starter-bundle.js'
import { warmDateFormatting } from './lib/warm-dates.js'
import './app.css'

performance.mark('tabsync:main')
const target = document.getElementById('app')
if (!target) throw new Error('no #app element')

const { deviceId } = identity()
// A new device asks the server for its pairing while the app's code and wasm load, not after.
const pairing = pair(deviceId)
const cached = cachedPairing(deviceId)
// A new device (no pairing yet) also fetches its store's documents now, in one request, while
// the app's code and wasm load: the app would otherwise ask for them one level at a time.
const starter = cached
  ? undefined
  : pairing.then((p) => (p?.starter ? fetchStarterBundle(p) : undefined))
// Only on the floor: a reload on an order or check screen waits for that screen itself.
const onFloor = /^(#\/?(floor)?)?$/.test(location.hash)
const snapshot = cached && onFloor ? readFloorSnapshot(deviceId, cached.storeId) : undefined
let preview = snapshot
  ? mount(FloorPreview, { target, props: { snapshot, phase: 'Opening…' } })
  : undefined
if (preview) performance.mark('tabsync:snapshot-floor')

// The app's first business date needs ICU's date data: loaded now, while its code downloads.
warmDateFormatting()

let app: typeof AppModule | undefined
// A new device has no floor of its own yet: the store's floor as the server derived it from the
// documents being fetched, marked provisional until this device's own documents replace it.
const provisional: Promise<FloorSnapshot | undefined> | undefined =
  cached || !onFloor
    ? undefined
    : pairing.then((p) => {
        const floor =
          p?.starter?.floor === undefined ? undefined : parseFloorSnapshot(p.starter.floor)
        if (floor && !app && !preview) {
          preview = mount(FloorPreview, {
            target,
            props: { snapshot: floor, phase: 'Fetching the store…', provisional: true },
          })
          performance.mark('tabsync:provisional-floor')
        }
        return floor
      })
// Automerge's wasm alongside the app's code: the app would ask for it only once its own code had
// arrived and run. A new device asks once its pairing is answered: the wasm's 3.6 MB and its
// compilation held back that answer, and with it the provisional floor (bench, 2 cores).
const appCode = import('./App.svelte')
void (cached ? Promise.resolve() : pairing.catch(() => undefined)).then(() => automergeWasm())
try {
  app = await appCode
} catch (e) {
  // Never leave the snapshot floor up as if the terminal were starting: say it cannot.
  console.error('tabsync: the terminal code did not load', e)
  if (preview) void unmount(preview)
  target.textContent = `The terminal could not load (${String(e)}). Reload to try again.`
  throw e
}
if (preview) void unmount(preview)
export default mount(app.default, { target, props: { snapshot, provisional, pairing, starter } })
