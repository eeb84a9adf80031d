/*
 * Repeated taps on one menu item: within a short window they mean "one more of the same", the
 * way Square and Toast behave, not "another kitchen line". The caller decides what "more" is
 * (raise the line's quantity while it is unfired); this only groups the taps, in order, even
 * when a tap comes before the previous one's line exists.
 */

/** Groups taps by key; see {@link createRepeatTap}. */
export interface RepeatTap {
  /**
   * A tap on `key`. The first tap (or one after the window) calls `add`; a tap within the
   * window of the previous one on the same key waits for that line and calls `raise` with its
   * id (or `add` when the previous tap made no line). Resolves with the line id, if any.
   */
  tap(
    key: string,
    add: () => Promise<string | undefined>,
    raise: (lineId: string) => Promise<string | undefined>,
  ): Promise<string | undefined>
}

/** Default window between two taps that count as one more of the same (ms). */
export const REPEAT_TAP_MS = 1500

/** `now` is injectable for tests; the window slides with each tap. */
export function createRepeatTap(
  windowMs = REPEAT_TAP_MS,
  now: () => number = () => performance.now(),
): RepeatTap {
  let last: { key: string; at: number; line: Promise<string | undefined> } | undefined
  return {
    tap(key, add, raise) {
      const at = now()
      if (last && last.key === key && at - last.at < windowMs) {
        last.at = at
        last.line = last.line.then((id) => (id ? raise(id) : add()))
        return last.line
      }
      last = { key, at, line: add() }
      return last.line
    },
  }
}
