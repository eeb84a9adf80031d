/*
 * The floor of a start from sync's floor-first read, `device.dayDigests(date, { onFirst })`: the
 * checks the table-days do not hint closed come first, from the summary cache (a reload opens no
 * order document for them), then the whole day. The floor is up after the first step; the closed
 * checks are neither read nor opened for it. A wrong hint (a check hinted closed that is open:
 * a close merged with a line added elsewhere) reaches the floor with the whole day, a moment
 * later, never hidden.
 */
import type { DayDigests, Device as SyncDevice } from '@tabsync/sync'

/** What one date's floor-first read gave. */
export interface DayFloorRead {
  /** The first step: loaded orders and the checks not hinted closed. */
  readonly first: DayDigests
  /** The whole day, the checks hinted closed included (still running when `first` is here). */
  readonly whole: Promise<DayDigests>
}

/**
 * Reads a date's floor first, handing each step's digests to `record` (the first step, then the
 * whole day). Resolves after the first step. A whole day that fails is logged and leaves the
 * first step's floor as it was.
 */
export async function readDayFloor(
  sync: SyncDevice,
  date: string,
  options: { readonly localOnly: boolean; readonly record: (day: DayDigests) => void },
): Promise<DayFloorRead> {
  const { record } = options
  let firstStep: (first: DayDigests) => void = () => undefined
  const first = new Promise<DayDigests>((resolve) => (firstStep = resolve))
  const whole = sync.dayDigests(date, {
    localOnly: options.localOnly,
    onFirst: (f) => {
      record(f)
      firstStep(f)
    },
  })
  // The whole day rejecting before its first step would leave `first` waiting forever.
  const settled = await Promise.race([first, whole.then(() => first)])
  void whole.then(record, (err: unknown) =>
    console.warn('tabsync: the rest of the day could not be read for the floor', date, err),
  )
  return { first: settled, whole }
}
