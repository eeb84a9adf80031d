// Workload 3: a cold device (empty storage) joins a store with a day of orders on the relay:
// time until the open orders are usable and until the whole day is local.
import { cp } from 'node:fs/promises'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { startChild } from '../child/processes.js'
import type { DocumentId } from '@automerge/automerge-repo'
import { decode } from '@tabsync/core'
import { cachedDay, installDay, type Day } from '../fixtures/day.js'
import { installHistory, type HistoryShape } from '../fixtures/history.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { uploadDay } from '../paths/tabsync-upload.js'
import { COLD_PHASES, COLD_PHASE_NAMES } from '../paths/tabsync-cold.js'
import { dirBytes } from '../fixtures/files.js'
import { Path, Unit, repeat } from '../figures.js'
import { now, type BenchContext, type Workload } from '../workload.js'

const W = 'cold-device'

/**
 * The day on a Tabsync relay (uploaded through a device, then the relay restarted cold); with
 * `history`, a second relay on a copy of that directory with the history added (see below).
 */
async function startTabsyncCold(ctx: BenchContext, day: Day, history?: HistoryShape) {
  try {
    const up = await startTabsyncRelay(ctx, {
      limits: { messagesPerSecond: 100_000, messageBurst: 100_000 },
    })
    await uploadDay(up.relay, up.url, up.secret, day, ctx.log)
    await up.relay.stop()
    const first = A.load<{ businessDate: unknown }>(
      day.docs.get(day.openUrls[0]?.slice('automerge:'.length) as DocumentId) as Uint8Array,
    )
    const businessDate = String(first.businessDate)
    const withHistory = history
      ? await startHistoryRelay(ctx, day, up.dir, up.secret, businessDate, history)
      : undefined
    const { relay, url, secret } = await startTabsyncRelay(ctx, { dir: up.dir, secret: up.secret })
    const driver = await startChild('cold-driver', { env: { TABSYNC_BENCH_PATH: 'tabsync' } })
    return { relay, driver, url, secret, businessDate, withHistory }
  } catch (e) {
    ctx.log(`cold-device: Tabsync path unavailable: ${e instanceof Error ? e.message : String(e)}`)
    return undefined
  }
}

// --- a store with history -------------------------------------------------------------------
// The same day on a store that has months behind it: past days on table-days and, before them,
// a legacy period whose references the (retired) table documents hold (fixtures/history.ts).
// One cold start per bench run on it (run 1 only), beside the store without history: open
// checks usable, whole day stored, the cached report, and what the report read.

/** How much history the variant adds (TABSYNC_BENCH_HISTORY=0: no variant). */
function historyShape(quick: boolean): HistoryShape | undefined {
  if (process.env['TABSYNC_BENCH_HISTORY'] === '0') return undefined
  return quick
    ? { pastDays: 3, ordersPerDay: 20, legacyDays: 2 }
    : { pastDays: 60, ordersPerDay: 300, legacyDays: 20 }
}

/** A relay on a copy of the day's stopped relay directory, with the history added. */
async function startHistoryRelay(
  ctx: BenchContext,
  day: Day,
  dayDir: string,
  secret: string,
  businessDate: string,
  shape: HistoryShape,
) {
  const dir = await ctx.tempDir('tabsync-relay-history')
  await cp(dayDir, dir, { recursive: true })
  const counts = await installHistory(dir, day, businessDate, shape, ctx.log)
  const started = await startTabsyncRelay(ctx, { dir, secret })
  return { relay: started.relay, url: started.url, counts }
}

/** The figures the variant records, beside the same figure without history. */
const HISTORY_FIGURES = [
  ['usable', Unit.ms, 'open checks usable'],
  ['stored', Unit.ms, 'whole day stored on the device'],
  ['requestsBeforeUsable', Unit.count, 'bulk requests before the open checks are usable'],
  ['storedBytes', Unit.bytes, 'device bytes stored after the cold start'],
  ['reportMs', Unit.ms, 'X/Z report at app cold start from the summary cache'],
  ['reportDocsRead', Unit.count, 'documents the cached report read from storage'],
  ['reportTablesRead', Unit.count, 'table documents the cached report read'],
  ['reportOpened', Unit.count, 'orders the cached report opened'],
  ['floorMs', Unit.ms, 'floor’s open checks at app cold start'],
] as const

export const coldDeviceWorkload: Workload = {
  name: W,
  summary: 'new device, a day of orders on the relay: open orders usable, whole day local',
  async run(ctx: BenchContext) {
    const size = ctx.quick ? { orders: 80, open: 20 } : { orders: 2000, open: 60 }
    const day = await cachedDay(size, ctx.log)
    const relayDir = await ctx.tempDir('cold-relay')
    await installDay(day, new NodeFSStorageAdapter(relayDir))
    const relayStored = await dirBytes(relayDir)
    const relay = await startChild('stock-relay', { env: { TABSYNC_BENCH_DIR: relayDir } })
    const driver = await startChild('cold-driver', { env: { TABSYNC_BENCH_PATH: 'stock' } })
    const history = historyShape(ctx.quick)
    const tabsync = await startTabsyncCold(ctx, day, history)
    // The day as JSON (what a plain REST POS would ship): the JSON.parse floor.
    const dayJson = JSON.stringify([...day.docs.values()].map((b) => decode(A.load(b) as never)))
    // At most 3 runs: a cold start of the full day is long.
    const runs = Math.min(ctx.runs, 3)
    // TABSYNC_BENCH_COLD_STOCK_WHOLE=0: the stock device stops once its open orders are usable
    // (its whole day, about 20 s a run at full size, is not measured).
    // TABSYNC_BENCH_COLD=open: both devices stop once their open orders are usable (Tabsync's
    // once its day is stored too): no whole day loaded, no reports at cold start. A full-size
    // run then takes minutes less per run (and its request fits a very loaded machine).
    const openOnly = process.env['TABSYNC_BENCH_COLD'] === 'open'
    const stockWhole = !openOnly && process.env['TABSYNC_BENCH_COLD_STOCK_WHOLE'] !== '0'
    const bothLoads = process.env['TABSYNC_BENCH_LOAD_HOOK'] === 'both'
    const stockLoad = (m: Record<string, number>, t: Record<string, number>) => {
      for (const key of ['usable', 'stored', 'phase.openStored', 'phase.tablesRead']) {
        if (typeof t[key] === 'number') m[`tabsyncStockLoad.${key}`] = t[key]
      }
    }
    const paired: Record<string, number> = {}
    const v = await repeat(runs, async (run) => {
      ctx.log(`cold-device run ${run + 1}/${runs}`)
      const dir = await ctx.tempDir('cold-device')
      const r = await driver.request<Record<string, number>>(
        {
          type: 'cold',
          url: String(relay.ready['url']),
          storeUrl: day.storeUrl,
          openUrls: day.openUrls,
          refUrls: day.tableDayUrls,
          dir: path.join(dir, 'storage'),
          usableOnly: !stockWhole,
        },
        900_000,
      )
      const m: Record<string, number> = {}
      // Floor: loading every document of the day in-process (Automerge alone, no network).
      const t = now()
      for (const bytes of day.docs.values()) A.load(bytes)
      m['floor.loadAll'] = now() - t
      const tj = now()
      JSON.parse(dayJson)
      m['floor.jsonParse'] = now() - tj
      m['floor.jsonBytes'] = Buffer.byteLength(dayJson)
      m['stock.usable'] = r['usable'] as number
      if (stockWhole) {
        m['stock.whole'] = r['whole'] as number
        m['stock.perThousand'] = ((r['whole'] as number) / size.orders) * 1000
        m['stock.deviceBytesPerOrder'] = (r['storedBytes'] as number) / size.orders
      }
      m['relayBytesPerOrder'] = relayStored.bytes / day.docs.size
      if (tabsync) {
        /** One cold start of a new device on the relay at `url` (its own storage, `label`). */
        const coldOn = async (url: string, label: string, extra: Record<string, unknown>) =>
          tabsync.driver.request<Record<string, number>>(
            {
              type: 'cold',
              url,
              secret: tabsync.secret,
              storeId: day.storeId,
              storeUrl: day.storeUrl,
              openUrls: day.openUrls,
              allUrls: day.orderUrls,
              businessDate: tabsync.businessDate,
              dir: await ctx.tempDir(label),
              ...extra,
            },
            900_000,
          )
        const coldStart = (loadHook: boolean) =>
          coldOn(tabsync.url, 'cold-tabsync-device', { openOnly, loadHook })
        // TABSYNC_BENCH_LOAD_HOOK=both: each run also starts a cold device with automerge-repo's
        // own loading (the load hook's before figure), first or second by turns.
        if (bothLoads && run % 2 === 0) stockLoad(m, await coldStart(false))
        const t = await coldStart(process.env['TABSYNC_BENCH_LOAD_HOOK'] !== '0')
        if (bothLoads && run % 2 === 1) stockLoad(m, await coldStart(false))
        // Every figure the driver measured (an open-only run measures fewer).
        for (const [key, value] of Object.entries(t)) {
          // The reply's own fields (`type`, `id`) are not figures.
          if (typeof value === 'number' && key !== 'id') m[`tabsync.${key}`] = value
        }
        if (t['whole'] !== undefined) {
          m['tabsync.perThousand'] = ((t['whole'] as number) / size.orders) * 1000
          m['tabsync.deviceBytesPerOrder'] =
            (t['storedBytes'] as number) / Math.max(1, t['readyCount'] as number)
        }
        // The store with history: the same cold start (no report over every opened order), run 1.
        const hist = tabsync.withHistory
        if (hist && run === 0 && !openOnly) {
          const h = await coldOn(hist.url, 'cold-tabsync-history-device', {
            openingReport: false,
          })
          // Beside run 1's own cold start on the store without history (outside `repeat`: once).
          for (const [key] of HISTORY_FIGURES) {
            if (typeof h[key] === 'number') paired[`tabsyncHistory.${key}`] = h[key]
            if (typeof t[key] === 'number') paired[`tabsyncHistoryBase.${key}`] = t[key]
          }
        }
      }
      return m
    })
    await Promise.all([
      driver.stop(),
      relay.stop(),
      tabsync?.driver.stop(),
      tabsync?.relay.stop(),
      tabsync?.withHistory?.relay.stop(),
    ])
    const n = `${size.open} open of ${size.orders.toLocaleString('en-US')}`
    const rec = (
      name: string,
      path: Path,
      unit: Unit,
      key: string,
      extra: { vs?: string; target?: { value: number }; note?: string } = {},
    ) =>
      v[key] === undefined
        ? `${W}.${name}` // not measured in this mode (TABSYNC_BENCH_COLD=open)
        : ctx.recorder.record(W, { name, path, unit, ...extra }, v[key])
    rec(
      `JSON.parse of the whole day (${size.orders.toLocaleString('en-US')} orders)`,
      Path.floor,
      Unit.ms,
      'floor.jsonParse',
    )
    rec('the whole day as JSON, bytes', Path.floor, Unit.bytes, 'floor.jsonBytes')
    const floor = rec(
      `automerge load of every document (${size.orders.toLocaleString('en-US')} orders)`,
      Path.floor,
      Unit.ms,
      'floor.loadAll',
      { note: 'A.load in-process, no network, no storage' },
    )
    rec(`stock open orders usable (${n})`, Path.stock, Unit.ms, 'stock.usable', {
      note: 'finds issued newest first, all at once',
    })
    const perK = stockWhole
      ? (rec(
          `stock whole day local (${size.orders.toLocaleString('en-US')} orders)`,
          Path.stock,
          Unit.ms,
          'stock.whole',
          { vs: floor, note: 'all ready + flushed to the device storage' },
        ),
        rec('stock whole day per 1,000 orders', Path.stock, Unit.ms, 'stock.perThousand'))
      : undefined
    if (tabsync) {
      const u = `stock open orders usable (${n})`
      rec(`tabsync open orders usable (${n})`, Path.tabsync, Unit.ms, 'tabsync.usable', {
        vs: `${W}.${u}`,
        ...(ctx.quick ? {} : { target: { value: 300 } }),
        note: 'openDevice + ready + loadDay (bulk fetch, newest first); open orders watched in the repo',
      })
      rec(
        `tabsync open orders usable, automerge-repo's own loading (${n})`,
        Path.tabsync,
        Unit.ms,
        'tabsyncStockLoad.usable',
        { note: 'TABSYNC_BENCH_LOAD_HOOK=both: openDevice({ loadHook: false }), same runs' },
      )
      rec(
        `tabsync whole day stored, automerge-repo's own loading (${size.orders.toLocaleString('en-US')} orders)`,
        Path.tabsync,
        Unit.ms,
        'tabsyncStockLoad.stored',
      )
      rec(
        'tabsync bulk requests before the open checks are usable',
        Path.tabsync,
        Unit.count,
        'tabsync.requestsBeforeUsable',
        { note: 'POST /documents the device made until its open checks were usable' },
      )
      for (const phase of COLD_PHASES) {
        rec(
          `tabsync cold phase: ${COLD_PHASE_NAMES[phase]}`,
          Path.tabsync,
          Unit.ms,
          `tabsync.phase.${phase}`,
          {
            note: 'ms from the start of openDevice (see paths/tabsync-cold.ts)',
          },
        )
      }
      rec(
        `tabsync whole day stored on the device (${size.orders.toLocaleString('en-US')} orders)`,
        Path.tabsync,
        Unit.ms,
        'tabsync.stored',
        {
          vs: `${W}.stock whole day local (${size.orders.toLocaleString('en-US')} orders)`,
          ...(ctx.quick ? {} : { target: { value: 1000 } }),
          note: 'fetchDay resolved: every order in device storage (available offline), not yet loaded',
        },
      )
      rec(
        `tabsync whole day loaded (${size.orders.toLocaleString('en-US')} orders)`,
        Path.tabsync,
        Unit.ms,
        'tabsync.whole',
        {
          vs: `${W}.stock whole day local (${size.orders.toLocaleString('en-US')} orders)`,
          note: 'loadDay resolved (every order opened from storage) + device.flush()',
        },
      )
      rec('tabsync loadDay resolved', Path.tabsync, Unit.ms, 'tabsync.returnedAt')
      rec(
        `tabsync orders loadDay returned (of ${size.orders.toLocaleString('en-US')})`,
        Path.tabsync,
        Unit.count,
        'tabsync.returned',
      )
      rec('tabsync orders loadDay reported missing', Path.tabsync, Unit.count, 'tabsync.missing', {
        note: 'orders it could not get within 4 attempts; they are reported, not dropped',
      })
      rec(
        `tabsync open orders loadDay returned (of ${size.open})`,
        Path.tabsync,
        Unit.count,
        'tabsync.openReturned',
      )
      rec(
        `tabsync orders local after ${120} s (of ${size.orders.toLocaleString('en-US')})`,
        Path.tabsync,
        Unit.count,
        'tabsync.readyCount',
        {
          note: 'usable/whole figures are capped at 120,000 ms when this is short',
        },
      )
      rec(
        'tabsync relay busy after the cold device closed (before the cold-start reports)',
        Path.tabsync,
        Unit.ms,
        'tabsync.relaySettledMs',
        {
          note: 'answering the sync message of every order the device opened (relay-settled.ts)',
        },
      )
      const days = `a stored ${size.orders.toLocaleString('en-US')}-order day`
      const opening = rec(
        `tabsync X/Z report at app cold start, every order opened (${days})`,
        Path.tabsync,
        Unit.ms,
        'tabsync.reportOpeningMs',
        { note: 'before the summary cache: loadDay localOnly + core salesReport, fresh device' },
      )
      rec(
        `tabsync X/Z report at app cold start from the summary cache (${days})`,
        Path.tabsync,
        Unit.ms,
        'tabsync.reportMs',
        {
          vs: opening,
          ...(ctx.quick ? {} : { target: { value: 500 } }),
          note: 'openDevice + ready + device.salesReport: digests checked against stored chunks',
        },
      )
      rec(
        'tabsync orders the cold-start report opened',
        Path.tabsync,
        Unit.count,
        'tabsync.reportOpened',
        {
          note: 'documents opened because no valid cache entry (0 = all from the cache)',
        },
      )
      rec(
        'tabsync orders the cold-start report read from the cache',
        Path.tabsync,
        Unit.count,
        'tabsync.reportCached',
      )
      rec(
        'tabsync cached report equals the report over opened orders (1 = yes)',
        Path.tabsync,
        Unit.count,
        'tabsync.reportSame',
      )
      rec(
        `tabsync floor's open checks at app cold start from the summary cache (${days})`,
        Path.tabsync,
        Unit.ms,
        'tabsync.floorMs',
        {
          ...(ctx.quick ? {} : { target: { value: 300 } }),
          note: 'dayDigests localOnly, onFirst, on the started device: table-days + cached digests of the checks not hinted closed',
        },
      )
      rec(
        `tabsync checks on the floor (of ${size.open} open)`,
        Path.tabsync,
        Unit.count,
        'tabsync.onFloor',
      )
      rec(
        `tabsync floor's whole day at app cold start (${days})`,
        Path.tabsync,
        Unit.ms,
        'tabsync.floorWholeMs',
        { note: 'the same dayDigests call resolved: every check, those hinted closed included' },
      )
      rec(
        `tabsync checks on the floor, whole day (of ${size.open} open)`,
        Path.tabsync,
        Unit.count,
        'tabsync.onFloorWhole',
      )
      rec('tabsync whole day per 1,000 orders', Path.tabsync, Unit.ms, 'tabsync.perThousand', {
        ...(perK ? { vs: perK } : {}),
      })
      rec(
        'tabsync device bytes stored per order',
        Path.tabsync,
        Unit.bytes,
        'tabsync.deviceBytesPerOrder',
        { vs: 'cold-device.stock device bytes stored per order' },
      )
    }
    const hist = tabsync?.withHistory
    if (hist && Object.keys(paired).length > 0) {
      Object.assign(v, await repeat(1, () => paired))
      const c = hist.counts
      const past = `${c.pastDays} past days of ${c.ordersPerDay} orders, ${c.legacyDays} legacy days`
      for (const [key, unit, what] of HISTORY_FIGURES) {
        rec(
          `tabsync ${what}, store with history (${past})`,
          Path.tabsync,
          unit,
          `tabsyncHistory.${key}`,
          {
            vs: `${W}.tabsync ${what}, same day without history`,
            note: `run 1 only; ${c.added.toLocaleString('en-US')} documents added on the relay, ${c.legacyRefs.toLocaleString('en-US')} references in the retired tables`,
          },
        )
        rec(
          `tabsync ${what}, same day without history`,
          Path.tabsync,
          unit,
          `tabsyncHistoryBase.${key}`,
          { note: 'run 1, the cold start just before the one with history' },
        )
      }
    }
    if (stockWhole) {
      rec(
        'stock device bytes stored per order',
        Path.stock,
        Unit.bytes,
        'stock.deviceBytesPerOrder',
        { note: 'nodefs: snapshot + sync states' },
      )
    }
    rec('relay bytes stored per document (nodefs)', Path.stock, Unit.bytes, 'relayBytesPerOrder')
  },
}
