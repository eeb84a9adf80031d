import * as fs from 'node:fs'
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { assertProperty, LONG_FUZZ } from '@tabsync/sync/testing'
import {
  changeQuantity,
  isTabsyncError,
  lineStates,
  type CommandContext,
  type OrderData,
} from '@tabsync/core'
import type { PrintBridge } from '../src/bridge/print-bridge.js'
import { CrashStep } from '../src/bridge/bridge-life.js'
import { startFakePrinter, type FakePrinterMode } from '../src/fake/fake-printer.js'
import { ticketRef } from '../src/escpos/render-ticket.js'
import { openPrintLedger } from '../src/ledger/print-ledger.js'
import { parseLedgerRecord, type LedgerRecord } from '../src/ledger/ledger-record.js'
import type { TicketSource } from '../src/source/ticket-source.js'
import {
  addLine,
  createWorld,
  fire,
  heal,
  itemsOf,
  openTable,
  orderOf,
  replicaOf,
  startBridge,
  tempDir,
  till,
  voidLine,
  type Replica,
} from './helpers.js'

// Kitchen items that need no modifier: one line per item, so a printed name is a line.
const ITEMS = [
  'bread',
  'soup',
  'burrata',
  'calamari',
  'caesar',
  'wings',
  'salmon',
  'risotto',
  'pasta',
  'pizza',
]

type Command =
  | { t: 'add'; dev: number; qty: number }
  | { t: 'inc'; dev: number; line: number }
  | { t: 'fire'; dev: number }
  | { t: 'void'; dev: number; line: number }
  | { t: 'sync'; dev: number }
  | { t: 'crash'; step: CrashStep }
  | { t: 'printer'; mode: FakePrinterMode }
  | { t: 'staff'; reprint: boolean }

const dev = fc.integer({ min: 0, max: 1 })
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('add' as const),
      dev,
      qty: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('inc' as const), dev, line: fc.nat(9) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('fire' as const), dev }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('void' as const), dev, line: fc.nat(9) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('sync' as const), dev }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('crash' as const),
      step: fc.constantFrom(...Object.values(CrashStep)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('printer' as const),
      mode: fc.constantFrom<FakePrinterMode>('ok', 'ok', 'refuse', 'stall', 'drop', 'paper-out'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('staff' as const), reprint: fc.boolean() }) },
)

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms))

async function scenario(commands: Command[]): Promise<void> {
  const world = createWorld()
  const printer = await startFakePrinter()
  const dataDir = tempDir()
  const devices: CommandContext[] = [till(world, 'till-1'), till(world, 'till-2')]
  const order = await openTable(world, devices[0]!)
  // Three lines both devices know before they part: the ones they may both fire.
  let nextItem = 0
  order.change((d) => {
    for (const quantity of [1, 2, 1])
      addLine(d, devices[0]!, { itemId: ITEMS[nextItem++]!, quantity })
  })
  const replicas: Replica[] = [replicaOf(order), replicaOf(order)]
  let armed: CrashStep | undefined

  let crashedSignal!: () => void
  let crashed = new Promise<void>((r) => (crashedSignal = r))
  const start = () =>
    startBridge(world, dataDir, [{ id: 'kitchen-printer', url: printer.url }], {
      statusTimeoutMs: 100,
      crash: (step) => {
        if (step !== armed) return
        armed = undefined
        crashedSignal()
        throw new Error(`crash at ${step}`)
      },
    })
  let current: { bridge: PrintBridge; source: TicketSource } = start()
  const restartIfCrashed = async () => {
    if (!current.bridge.crashed) return
    await current.source.close()
    crashed = new Promise<void>((r) => (crashedSignal = r))
    current = start()
  }

  try {
    for (const c of commands) {
      const ctx = 'dev' in c ? devices[c.dev]! : undefined
      const replica = 'dev' in c ? replicas[c.dev]! : undefined
      const lineIds = (r: Replica) => Object.keys(r.doc.lines).sort()
      try {
        switch (c.t) {
          case 'add':
            if (nextItem < ITEMS.length) {
              const itemId = ITEMS[nextItem++]!
              replica!.run((d) => addLine(d, ctx!, { itemId, quantity: c.qty }))
            }
            break
          case 'inc': {
            const id = lineIds(replica!)[c.line % Math.max(1, lineIds(replica!).length)]
            if (id) replica!.run((d) => changeQuantity(d, ctx!, { lineId: id, delta: 1 }))
            break
          }
          case 'fire':
            replica!.run((d) => fire(d, ctx!))
            break
          case 'void': {
            const id = lineIds(replica!)[c.line % Math.max(1, lineIds(replica!).length)]
            if (id) replica!.run((d) => voidLine(d, ctx!, { lineId: id, reason: 'changed mind' }))
            break
          }
          case 'sync':
            heal(order, replica!)
            replica!.doc = A.merge(replica!.doc, A.clone(order.doc()))
            break
          case 'crash':
            armed = c.step
            break
          case 'printer':
            await printer.setMode(c.mode, { dropAfterBytes: 150 })
            break
          case 'staff':
            for (const item of current.bridge.status().needsConfirmation) {
              if (c.reprint) current.bridge.reprint(item.ticketId, item.printerId)
              else current.bridge.confirm(item.ticketId, item.printerId)
            }
            break
        }
      } catch (e) {
        if (!isTabsyncError(e)) throw e // a command the replica refuses (voided line...) is fine
      }
      await tick()
      await restartIfCrashed()
    }

    // Heal everything, fix the printer, let the bridge finish (restarting after late crashes).
    for (const r of replicas) heal(order, r)
    await printer.setMode('ok')
    armed = undefined
    for (;;) {
      await Promise.race([current.bridge.whenIdle(), crashed])
      if (!current.bridge.crashed) break
      await restartIfCrashed()
    }
    await current.bridge.stop()
    await current.source.close()
    check(orderOf(order), dataDir, printer.receipts)
  } finally {
    await current.bridge.stop()
    await current.source.close()
    await printer.close()
    await world.repo.shutdown()
  }
}

function check(
  order: OrderData,
  dataDir: string,
  receipts: readonly {
    text: string
    complete: boolean
    reprint: boolean
    void: boolean
    ref: string | undefined
  }[],
) {
  const records: LedgerRecord[] = fs
    .readFileSync(`${dataDir}/print-ledger.jsonl`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => parseLedgerRecord(JSON.parse(l)))
  const ledger = openPrintLedger(dataDir)
  const entries = ledger.entries()
  ledger.close()
  const tickets = Object.values(order.tickets)

  // 1. Every ticket printed (or skipped as a duplicate) or flagged for a human.
  for (const t of tickets) {
    const e = entries.find((x) => x.ticketId === t.id)
    expect(e, `ticket ${t.id} accounted for`).toBeDefined()
    expect(e!.state === 'printed' || e!.state === 'duplicate' || e!.uncertain).toBe(true)
  }

  // 2. No ticket on paper twice without REPRINT, not even a cut-off part of it: once bytes may
  // have left, only a human-requested REPRINT sends it again.
  for (const t of tickets) {
    const plain = receipts.filter((r) => !r.reprint && r.ref === ticketRef(t.id))
    expect(plain.length, `ticket ${t.id} sent at most once`).toBeLessThanOrEqual(1)
  }

  // 3. Each fired unit printed at most once without REPRINT; exactly once when no human was needed.
  const clean = (ticketId: string) => {
    if (records.some((r) => r.ticket === ticketId && r.type === 'duplicate')) return true
    const first = records.find((r) => r.ticket === ticketId && r.type === 'sending' && !r.reprint)
    return (
      first !== undefined &&
      records.some((r) => r.type === 'printed' && r.job === first.job) &&
      !records.some((r) => r.ticket === ticketId && r.type === 'confirmed')
    )
  }
  const printedUnits = new Map<string, number>()
  const voidPrints = new Map<string, number>()
  for (const r of receipts) {
    if (r.reprint) continue
    for (const [name, n] of itemsOf(r.text)) {
      if (r.void) voidPrints.set(name, (voidPrints.get(name) ?? 0) + 1)
      else printedUnits.set(name, (printedUnits.get(name) ?? 0) + n)
    }
  }
  for (const s of lineStates(order)) {
    const name = s.line.name
    const printed = printedUnits.get(name) ?? 0
    expect(printed, `${name}: printed units <= fired units`).toBeLessThanOrEqual(s.fired)
    const fireTickets = tickets.filter(
      (t) => t.kind === 'fire' && t.items.some((i) => i.lineId === s.line.id),
    )
    if (fireTickets.every((t) => clean(t.id))) {
      expect(printed, `${name}: every fired unit printed once`).toBe(s.fired)
      exactlyOnceChecks++
    }
    expect(voidPrints.get(name) ?? 0, `${name}: VOID printed at most once`).toBeLessThanOrEqual(1)
  }
}

/** Lines whose tickets needed no human, whose units were checked to print exactly once. */
let exactlyOnceChecks = 0

test('exactly once, whatever happens: fires, voids, partitions, bridge crashes, printer faults', async () => {
  exactlyOnceChecks = 0
  await assertProperty(
    fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: LONG_FUZZ ? 40 : 18 }), scenario),
    { runs: 12, endOnFailure: true },
  )
  // The "exactly once" half only applies to lines no crash made uncertain: prove it ran.
  console.info(`exactly-once property: ${exactlyOnceChecks} line(s) checked printed exactly once`)
  expect(exactlyOnceChecks).toBeGreaterThan(0)
}, 600_000)
