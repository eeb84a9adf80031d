// Workload 1: the order model alone (no network, no storage): Automerge through @tabsync/core
// commands, side by side with raw Automerge, Yjs with the same order shape, and JSON.
import * as A from '@automerge/automerge'
import * as Y from 'yjs'
import { decode, type OrderDoc } from '@tabsync/core'
import { Path, Unit, repeat } from '../figures.js'
import {
  commandContext,
  newOrder,
  orderWithLines,
  tapLine,
  tapQuantity,
} from '../fixtures/orders.js'
import { newYOrder, yOrderWithLines, yTapLine, yTapQuantity } from '../peers/yjs-order.js'
import { distribution } from '../stats.js'
import { now, type BenchContext, type Workload } from '../workload.js'

const W = 'core'

/** Times `fn` `k` times; returns each duration in ms. */
function timeEach(k: number, fn: (i: number) => void): number[] {
  const out: number[] = []
  for (let i = 0; i < k; i++) {
    const t = now()
    fn(i)
    out.push(now() - t)
  }
  return out
}

/** Median time of `k` calls of `fn`, in ms. */
function medianTime(k: number, fn: () => void): number {
  return distribution(timeEach(k, fn)).p50
}

function hexActor(i: number): string {
  return (i + 1).toString(16).padStart(2, '0').repeat(16)
}

/** One run of every core figure. */
function once(quick: boolean): Record<string, number> {
  const ctx = commandContext('till-1')
  const taps = quick ? 20 : 150
  const m: Record<string, number> = {}

  // Adding a line to orders of 10, 200 and 2,000 lines.
  for (const size of [10, 200, 2000]) {
    let [doc] = orderWithLines(ctx, size, size > 500 ? 20 : 1)
    const d = distribution(
      timeEach(taps, (i) => {
        ;[doc] = tapLine(doc, ctx, size + i)
      }),
    )
    m[`addLine.${size}.p50`] = d.p50
    m[`addLine.${size}.p99`] = d.p99
    let [ydoc] = yOrderWithLines(ctx, size)
    const y = distribution(timeEach(taps, (i) => void yTapLine(ydoc, ctx, size + i)))
    m[`yjs.addLine.${size}.p50`] = y.p50
    m[`yjs.addLine.${size}.p99`] = y.p99
    ydoc.destroy()
    ydoc = new Y.Doc()
  }

  // Quantity change on a 200-line order: core's command (validates against the decoded order),
  // a raw counter increment (Automerge alone), and Yjs.
  const built = orderWithLines(ctx, 200)
  let doc200 = built[0]
  const ids200 = built[1]
  const q = distribution(
    timeEach(taps, (i) => {
      doc200 = tapQuantity(doc200, ctx, ids200[(i * 7) % 200] as string, 1)
    }),
  )
  m['changeQuantity.200.p50'] = q.p50
  m['changeQuantity.200.p99'] = q.p99
  const raw = distribution(
    timeEach(taps, (i) => {
      doc200 = A.change(doc200, (d) => {
        const line = (d.lines as unknown as Record<string, { quantity: A.Counter }>)[
          ids200[(i * 7) % 200] as string
        ]
        line?.quantity.increment(1)
      })
    }),
  )
  m['rawIncrement.200.p50'] = raw.p50
  const [y200, yids] = yOrderWithLines(ctx, 200)
  m['yjs.changeQuantity.200.p50'] = distribution(
    timeEach(taps, (i) => yTapQuantity(y200, yids[(i * 7) % 200] as string, 1)),
  ).p50

  // A 200-line order (one change per line): saved bytes, save and load; JSON and Yjs beside it.
  const [order200] = orderWithLines(ctx, 200)
  const saved = A.save(order200)
  m['order200.bytes'] = saved.byteLength
  m['order200.save'] = medianTime(quick ? 5 : 15, () => void A.save(order200))
  m['order200.load'] = medianTime(quick ? 5 : 15, () => void A.load(saved))
  const json = JSON.stringify(decode(order200 as never))
  m['json.order200.bytes'] = Buffer.byteLength(json)
  m['json.order200.parse'] = medianTime(quick ? 20 : 60, () => void JSON.parse(json))
  const [yOrder200] = yOrderWithLines(ctx, 200)
  const yUpdate = Y.encodeStateAsUpdate(yOrder200)
  m['yjs.order200.bytes'] = yUpdate.byteLength
  m['yjs.order200.save'] = medianTime(quick ? 5 : 15, () => void Y.encodeStateAsUpdate(yOrder200))
  m['yjs.order200.load'] = medianTime(quick ? 5 : 15, () => {
    const d = new Y.Doc()
    Y.applyUpdate(d, yUpdate)
    d.destroy()
  })

  // Merges of offline work: 2 devices x 500 lines, 10 devices x 100 lines, one change per line.
  for (const [devices, lines] of [
    [2, 500],
    [10, 100],
  ] as const) {
    const base = newOrder(ctx)
    const forks: OrderDoc[] = []
    for (let dv = 0; dv < devices; dv++) {
      const dctx = commandContext(`till-${dv + 1}`)
      let fork = A.clone(base, hexActor(dv))
      for (let i = 0; i < lines; i++) [fork] = tapLine(fork, dctx, i)
      forks.push(fork)
    }
    let t = now()
    let merged = A.clone(forks[0] as OrderDoc)
    for (const f of forks.slice(1)) merged = A.merge(merged, f)
    m[`merge.${devices}x${lines}`] = now() - t
    if (Object.keys(merged.lines).length !== devices * lines) throw new Error('merge lost lines')

    const ybase = Y.encodeStateAsUpdate(newYOrder(ctx))
    const ydocs: Y.Doc[] = []
    for (let dv = 0; dv < devices; dv++) {
      const d = new Y.Doc()
      Y.applyUpdate(d, ybase)
      const dctx = commandContext(`till-${dv + 1}`)
      for (let i = 0; i < lines; i++) yTapLine(d, dctx, i)
      ydocs.push(d)
    }
    const target = ydocs[0] as Y.Doc
    t = now()
    for (const d of ydocs.slice(1)) {
      Y.applyUpdate(target, Y.encodeStateAsUpdate(d, Y.encodeStateVector(target)))
    }
    m[`yjs.merge.${devices}x${lines}`] = now() - t
    const ylines = (target.getMap('order').get('lines') as Y.Map<unknown>).size
    if (ylines !== devices * lines) throw new Error('yjs merge lost lines')
    for (const d of ydocs) d.destroy()
  }

  // Bytes stored per 8-line order: opened, 8 taps, one quantity change (as a till makes it).
  let small = newOrder(ctx)
  const smallIds: string[] = []
  for (let i = 0; i < 8; i++) {
    let id: string
    ;[small, id] = tapLine(small, ctx, i)
    smallIds.push(id)
  }
  small = tapQuantity(small, ctx, smallIds[0] as string, 1)
  m['order8.bytes'] = A.save(small).byteLength
  m['json.order8.bytes'] = Buffer.byteLength(JSON.stringify(decode(small as never)))
  const ySmall = newYOrder(ctx)
  for (let i = 0; i < 8; i++) smallIds[i] = yTapLine(ySmall, ctx, i)
  yTapQuantity(ySmall, smallIds[0] as string, 1)
  m['yjs.order8.bytes'] = Y.encodeStateAsUpdate(ySmall).byteLength
  return m
}

/** The core workload. */
export const coreWorkload: Workload = {
  name: W,
  summary: 'order model: add line (10/200/2,000 lines), quantity, save/load, merges, bytes',
  async run(ctx: BenchContext) {
    const v = await repeat(ctx.runs, () => once(ctx.quick))
    const r = (
      name: string,
      path: Path,
      unit: Unit,
      key: string,
      extra: { vs?: string; target?: { value: number }; note?: string } = {},
    ) => ctx.recorder.record(W, { name, path, unit, ...extra }, v[key] as number[])
    for (const size of [10, 200, 2000]) {
      for (const p of ['p50', 'p99']) {
        const y = r(
          `yjs addLine ${size}-line order ${p}`,
          Path.yjs,
          Unit.ms,
          `yjs.addLine.${size}.${p}`,
        )
        r(`addLine ${size}-line order ${p}`, Path.tabsync, Unit.ms, `addLine.${size}.${p}`, {
          vs: y,
        })
      }
    }
    const yq = r(
      'yjs quantity change 200-line p50',
      Path.yjs,
      Unit.ms,
      'yjs.changeQuantity.200.p50',
    )
    const rawq = r(
      'automerge counter increment 200-line p50',
      Path.automerge,
      Unit.ms,
      'rawIncrement.200.p50',
      { vs: yq },
    )
    r('changeQuantity 200-line order p50', Path.tabsync, Unit.ms, 'changeQuantity.200.p50', {
      vs: rawq,
      note: 'core validates against the decoded order; ratio is to the bare Automerge increment',
    })
    r('changeQuantity 200-line order p99', Path.tabsync, Unit.ms, 'changeQuantity.200.p99')
    const jb = r('JSON 200-line order bytes', Path.floor, Unit.bytes, 'json.order200.bytes')
    const yb = r('yjs 200-line order bytes', Path.yjs, Unit.bytes, 'yjs.order200.bytes', { vs: jb })
    r('200-line order saved bytes', Path.tabsync, Unit.bytes, 'order200.bytes', { vs: yb })
    const ys = r('yjs 200-line order encode', Path.yjs, Unit.ms, 'yjs.order200.save')
    r('200-line order save', Path.tabsync, Unit.ms, 'order200.save', { vs: ys })
    const jp = r('JSON.parse 200-line order', Path.floor, Unit.ms, 'json.order200.parse')
    const yl = r('yjs 200-line order load', Path.yjs, Unit.ms, 'yjs.order200.load', { vs: jp })
    r('200-line order load', Path.tabsync, Unit.ms, 'order200.load', { vs: yl })
    for (const k of ['2x500', '10x100']) {
      const y = r(`yjs merge ${k} offline lines`, Path.yjs, Unit.ms, `yjs.merge.${k}`)
      r(`merge ${k} offline lines`, Path.tabsync, Unit.ms, `merge.${k}`, { vs: y })
    }
    const j8 = r('JSON 8-line order bytes', Path.floor, Unit.bytes, 'json.order8.bytes')
    const y8 = r('yjs 8-line order bytes', Path.yjs, Unit.bytes, 'yjs.order8.bytes', { vs: j8 })
    r('bytes stored per 8-line order', Path.tabsync, Unit.bytes, 'order8.bytes', {
      vs: y8,
      target: { value: 1200 },
      note: 'A.save of open + 8 addLine + 1 changeQuantity, one change each',
    })
  },
}
