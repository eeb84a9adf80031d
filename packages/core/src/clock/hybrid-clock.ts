import { formatHlc, parseHlc, MAX_COUNTER, type Hlc } from './hlc.js'

/** What a device persists so its clock never runs backwards across restarts. */
export interface ClockState {
  readonly ms: number
  readonly counter: number
}

/** How far this device's wall clock is from the reference (the relay's time). */
export interface SkewReport {
  /** reference minus local wall clock, in ms: positive when this device is behind. */
  readonly offsetMs: number
  /** true when |offsetMs| exceeds the configured bound: staff should fix the device clock. */
  readonly flagged: boolean
}

/** What {@link HybridClock.receive} did with a remote timestamp. */
export interface ReceiveResult {
  readonly absorbed: boolean
  /** how far ahead of this device's (corrected) physical time the remote was, in ms. */
  readonly aheadMs: number
}

export interface HybridClockOptions {
  /** This device's id; ties between equal times are broken by it. */
  readonly node: string
  /** The wall clock, `Date.now` by default. Tests pass a fake. */
  readonly wallClock?: () => number
  /** Restored state from a previous run: the clock starts at or after it. */
  readonly state?: ClockState | undefined
  /** Skew against the reference beyond this is flagged. Default 2 minutes. */
  readonly maxSkewMs?: number
  /**
   * A remote timestamp further ahead of this device's physical time than this is not absorbed
   * (a peer with its clock in 2099 must not drag everyone there). Default 24 hours.
   */
  readonly maxForwardMs?: number
  /** Called after every change of state, so the caller can persist it. */
  readonly onState?: (state: ClockState) => void
}

/**
 * A hybrid logical clock: wall time where it can, a counter where it must. Never runs
 * backwards, absorbs timestamps it sees from peers, and can be calibrated against the relay's
 * time so a device booted with a wrong clock still stamps sales at the right time.
 */
export interface HybridClock {
  readonly node: string
  /** A new timestamp, greater than every one this clock issued or absorbed. */
  now(): Hlc
  /** Absorbs a timestamp seen from a peer or the relay. */
  receive(remote: Hlc | string): ReceiveResult
  /** Sets the offset of this device's wall clock against a trusted reference time (ms). */
  calibrate(referenceMs: number): SkewReport
  /** The last calibration, if any. */
  skew(): SkewReport | undefined
  /** Physical time as this clock believes it: the wall clock plus the calibrated offset. */
  physicalMs(): number
  /** The state to persist. */
  state(): ClockState
}

/**
 * Creates a {@link HybridClock}.
 *
 * @example
 * const clock = createHybridClock({ node: 'till-1', state: loadState() , onState: saveState })
 * const at = clock.now() // '1763776800000-00000-till-1'
 */
export function createHybridClock(options: HybridClockOptions): HybridClock {
  const wall = options.wallClock ?? Date.now
  const maxSkewMs = options.maxSkewMs ?? 2 * 60_000
  const maxForwardMs = options.maxForwardMs ?? 24 * 3_600_000
  let offsetMs = 0
  let lastSkew: SkewReport | undefined
  let ms = options.state?.ms ?? 0
  let counter = options.state?.counter ?? 0

  const physical = () => Math.floor(wall() + offsetMs)
  const publish = () => options.onState?.({ ms, counter })

  // Advance to at least (pms, pc): the heart of HLC. The counter rolls into the next ms.
  const advanceTo = (pms: number, pc: number) => {
    if (pms > ms || (pms === ms && pc > counter)) {
      ms = pms
      counter = pc
    }
    if (counter > MAX_COUNTER) {
      ms += 1
      counter = 0
    }
  }

  return {
    node: options.node,
    now() {
      const p = physical()
      if (p > ms) {
        ms = p
        counter = 0
      } else {
        advanceTo(ms, counter + 1)
      }
      publish()
      return formatHlc({ ms, counter, node: options.node })
    },
    receive(remote) {
      const r = parseHlc(remote)
      const aheadMs = r.ms - physical()
      if (aheadMs > maxForwardMs) return { absorbed: false, aheadMs }
      advanceTo(r.ms, r.counter)
      publish()
      return { absorbed: true, aheadMs }
    },
    calibrate(referenceMs) {
      offsetMs = referenceMs - wall()
      lastSkew = { offsetMs, flagged: Math.abs(offsetMs) > maxSkewMs }
      return lastSkew
    },
    skew: () => lastSkew,
    physicalMs: physical,
    state: () => ({ ms, counter }),
  }
}
