/*
 * A page's first `Intl.DateTimeFormat` loads ICU's date and time-zone data: 35-60 ms in
 * Chromium on this machine, and any time zone warms them all (the next one, in another zone,
 * takes under 1 ms). The app reckons its first business date (core's `businessDate`) right
 * before its floor, so the start chunk pays that cost instead, in idle time while the app's code
 * and Automerge's wasm download.
 */

/** Loads the date formatting data in the browser's next idle period (no-op without one). */
export function warmDateFormatting(): void {
  if (typeof requestIdleCallback !== 'function') return
  requestIdleCallback(() => {
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'UTC',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(0)
  })
}
