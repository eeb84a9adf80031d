import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  ConflictAction,
  cancelOrder,
  fixConflict,
  isTabsyncError,
  reopenOrder,
  keepChecksApart,
  latestStamp,
  readOrder,
  resolveConflict,
  summarizeOrder,
  tableForks,
  transferOrder,
  type CommandContext,
  type OrderDoc,
} from '../src/index.js'
import { INVARIANTS } from '../src/invariants/catalogue.js'
import { isCancelledByEvents, isClosedByEvents } from '../src/views/line-states.js'
import { unnamedViolations } from '../src/invariants/violations.js'
import { assertProperty } from './fuzz-budget.js'
import { device, newOrderDoc } from './helpers.js'
import { applyOp, opArb, type Op } from './order-ops.js'

/*
 * The invariant catalogue's promise (DESIGN.md merge rule 6), as a property: concurrent
 * histories on 2-6 devices over every command, on two checks of one table (so transfers and the
 * two-open-checks fork are in play). After any merge, every catalogue invariant holds on both
 * checks or a conflict names it; applying an action the conflict offers, on any one device,
 * makes that conflict go; and every line and payment counts in exactly one check.
 */

/** An operation on one of the two checks (0 or 1) of the table. */
type Step =
  | { kind: 'op'; device: number; check: number; op: Op }
  | { kind: 'resolve'; device: number; check: number; pick: number }
  | { kind: 'fix'; device: number; check: number; pick: number }
  | { kind: 'cancel'; device: number; check: number }
  | { kind: 'transfer'; device: number; from: number; lines: boolean }
  | { kind: 'sync'; from: number; to: number }

const scenario = fc.integer({ min: 2, max: 6 }).chain((n) => {
  const dev = fc.nat({ max: n - 1 })
  const chk = fc.nat({ max: 1 })
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('op' as const),
        device: dev,
        check: chk,
        op: opArb,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('resolve' as const),
        device: dev,
        check: chk,
        pick: fc.nat({ max: 9 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('fix' as const),
        device: dev,
        check: chk,
        pick: fc.nat({ max: 9 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('cancel' as const), device: dev, check: chk }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('transfer' as const),
        device: dev,
        from: chk,
        lines: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: dev, to: dev }) },
  )
  return fc.record({ n: fc.constant(n), steps: fc.array(step, { minLength: 1, maxLength: 30 }) })
})

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never
type Checks = [OrderDoc, OrderDoc]

/** Runs `f` in changes of both checks; a TabsyncError leaves both unchanged (as a command must). */
function both(docs: Checks, f: (x: OrderDoc, y: OrderDoc) => void): Checks {
  try {
    let y = docs[1]
    const x = A.change(docs[0], (dx) => {
      y = A.change(y, (dy) => f(dx, dy))
    })
    return [x, y]
  } catch (e) {
    if (!isTabsyncError(e)) throw e
    return docs
  }
}

function one(doc: OrderDoc, f: (d: OrderDoc) => unknown): OrderDoc {
  try {
    return A.change(doc, (d) => {
      f(d)
    })
  } catch (e) {
    if (!isTabsyncError(e)) throw e
    return doc
  }
}

function play(s: Scenario): { ctxs: CommandContext[]; merged: Checks } {
  const ctxs = Array.from({ length: s.n }, (_, i) =>
    device(`dev-${i}`, { startMs: Date.UTC(2026, 10, 20, 18, 0) + i * 7_000 }),
  )
  const base: Checks = [newOrderDoc(ctxs[0]!, 't1'), newOrderDoc(ctxs[1]!, 't1')]
  const replicas: Checks[] = ctxs.map(() => [A.clone(base[0]), A.clone(base[1])])
  for (const step of s.steps) {
    if (step.kind === 'sync') {
      if (step.from === step.to) continue
      const [from, to] = [replicas[step.from]!, replicas[step.to]!]
      replicas[step.to] = [A.merge(to[0], A.clone(from[0])), A.merge(to[1], A.clone(from[1]))]
      continue
    }
    const ctx = ctxs[step.device]!
    const docs = replicas[step.device]!
    if (step.kind === 'transfer') {
      // Both documents change in one step; "from" picks the direction.
      replicas[step.device] = both(docs, (x, y) => {
        const [src, dst] = step.from === 0 ? [x, y] : [y, x]
        const lines = Object.keys(summarizeOrder(src).order.lines).sort().slice(0, 1)
        transferOrder(src, dst, ctx, step.lines ? { lineIds: lines } : {})
      })
      continue
    }
    const c = step.check === 0 ? 0 : 1
    const next: Checks = [docs[0], docs[1]]
    if (step.kind === 'op') next[c] = applyOp(docs[c], ctx, step.op).doc
    if (step.kind === 'cancel') next[c] = one(docs[c], (d) => cancelOrder(d, ctx))
    if (step.kind === 'resolve' || step.kind === 'fix') {
      const conflicts = summarizeOrder(docs[c]).conflicts
      const conflict = conflicts[step.pick % Math.max(1, conflicts.length)]
      if (conflict && step.kind === 'resolve')
        next[c] = one(docs[c], (d) => resolveConflict(d, ctx, { conflictId: conflict.id }))
      if (conflict && step.kind === 'fix') {
        const action = conflict.actions[step.pick % conflict.actions.length]!
        next[c] = one(docs[c], (d) => fixConflict(d, ctx, { conflictId: conflict.id, action }))
      }
    }
    replicas[step.device] = next
  }
  const merged = replicas.reduce<Checks>(
    (acc, r) => [A.merge(acc[0], A.clone(r[0])), A.merge(acc[1], A.clone(r[1]))],
    [A.clone(replicas[0]![0]), A.clone(replicas[0]![1])],
  )
  // Every device has now seen the merged checks: its clock absorbs them, as the sync layer does.
  for (const ctx of ctxs) for (const d of merged) ctx.clock.receive(latestStamp(readOrder(d)))
  return { ctxs, merged }
}

/** Every offered action of every open conflict, tried on one device, makes that conflict go. */
function checkFixes(doc: OrderDoc, ctxs: CommandContext[]) {
  const s = summarizeOrder(doc)
  s.conflicts.forEach((c, i) => {
    const ctx = ctxs[i % ctxs.length]!
    const worked = c.actions.filter((action) => {
      let fixed: OrderDoc
      try {
        fixed = A.change(A.clone(doc), (d) => {
          fixConflict(d, ctx, { conflictId: c.id, action })
        })
      } catch (e) {
        if (!isTabsyncError(e)) throw e
        return false
      }
      const after = summarizeOrder(fixed)
      expect(
        after.conflicts.map((x) => x.id),
        `${action} on ${c.id}`,
      ).not.toContain(c.id)
      return true
    })
    expect(
      worked.length,
      `no offered action fixes ${c.id} (${c.actions.join(', ')})`,
    ).toBeGreaterThan(0)
  })
}

test('after any merge of 2-6 devices over every command, each catalogue invariant holds or a conflict names it, and its offered action fixes it', () => {
  assertProperty(
    fc.property(scenario, (s) => {
      const { ctxs, merged } = play(s)
      const summaries = merged.map((d) => summarizeOrder(d))
      for (const sum of summaries) expect(unnamedViolations(sum)).toEqual([])
      for (const doc of merged) checkFixes(doc, ctxs)

      // Transfers: every line and payment counts in exactly one check, and none is lost.
      for (const map of ['lines', 'payments'] as const) {
        const all = new Set(merged.flatMap((d) => Object.keys(readOrder(d)[map])))
        for (const id of all) {
          const holders = summaries.filter((x) => Object.hasOwn(x.order[map], id)).length
          expect(holders, `${map} ${id}`).toBe(1)
        }
      }

      // One open check per table: two on the floor are a fork, and the fork's fixes work.
      const forks = tableForks(summaries)
      const onFloor = summaries.filter(
        (x) => !['closed', 'cancelled', 'combined'].includes(x.status.status),
      )
      const sameTable =
        onFloor.length === 2 && onFloor[0]!.order.tableId === onFloor[1]!.order.tableId
      expect(forks.length).toBe(sameTable ? 1 : 0)
      const fork = forks[0]
      if (fork) {
        expect(fork.actions).toEqual([ConflictAction.combine, ConflictAction.keepApart])
        const [m0, m1] = merged as [OrderDoc, OrderDoc]
        const kept = A.change(A.clone(m0), (d) => {
          keepChecksApart(d, ctxs[0]!, { fork })
        })
        expect(tableForks([summarizeOrder(kept), summaries[1]!])[0]?.accepted).toBe(true)
        // A check closed or cancelled on one device while another changed it is on the floor
        // (its conflict offers reopen): reopen it, then combine.
        const reopened = [m0, m1].map((d) =>
          isClosedByEvents(readOrder(d)) || isCancelledByEvents(readOrder(d))
            ? A.change(A.clone(d), (x) => {
                reopenOrder(x, ctxs[0]!, { reason: 'combine' })
              })
            : A.clone(d),
        ) as Checks
        const [x, y] = both(reopened, (dx, dy) => {
          transferOrder(dy, dx, ctxs[0]!)
        })
        expect(x, 'combining was refused').not.toBe(reopened[0])
        const combined = [summarizeOrder(x), summarizeOrder(y)]
        // Combining fails only when a check is closed, and then it is no fork to begin with.
        expect(tableForks(combined)).toEqual([])
      }
    }),
    30,
  )
})

test('the catalogue lists every conflict-backed rule with the actions that fix it', () => {
  for (const row of INVARIANTS) {
    if (row.merged !== 'conflict') continue
    expect(row.fixes.length, row.id).toBeGreaterThan(0)
    expect(row.conflict.length, row.id).toBeGreaterThan(0)
  }
  expect(new Set(INVARIANTS.map((r) => r.id)).size).toBe(INVARIANTS.length)
})
