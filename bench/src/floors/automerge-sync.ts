// Floor: the Automerge sync protocol in one process, no network, no repo: per change, the time
// from A's command to B having it (generate on A, receive on B).
import * as A from '@automerge/automerge'
import type { OrderDoc } from '@tabsync/core'
import { commandContext, newOrder, orderWithLines, tapLine } from '../fixtures/orders.js'
import { now } from '../workload.js'

type Doc = OrderDoc

/** Runs the sync protocol between two in-memory docs until neither has anything to send. */
function syncUntilQuiet(
  a: Doc,
  b: Doc,
  sa: A.SyncState,
  sb: A.SyncState,
): [Doc, Doc, A.SyncState, A.SyncState] {
  for (let i = 0; i < 20; i++) {
    const [sa2, ma] = A.generateSyncMessage(a, sa)
    sa = sa2
    if (ma) [b, sb] = A.receiveSyncMessage(b, sb, ma)
    const [sb2, mb] = A.generateSyncMessage(b, sb)
    sb = sb2
    if (mb) [a, sa] = A.receiveSyncMessage(a, sa, mb)
    if (!ma && !mb) break
  }
  return [a, b, sa, sb]
}

/**
 * Latency of `count` line additions on an order of `startLines` lines through the in-process
 * sync protocol, and the size of one change's sync message (what the floors send).
 */
export function inProcessSync(
  count: number,
  startLines = 8,
): { samples: number[]; messageBytes: number } {
  const ctx = commandContext('till-a')
  let [a] = orderWithLines(ctx, startLines)
  let b = A.clone(a, 'bb'.repeat(16)) as Doc
  let sa = A.initSyncState()
  let sb = A.initSyncState()
  ;[a, b, sa, sb] = syncUntilQuiet(a, b, sa, sb)
  const samples: number[] = []
  let messageBytes = 0
  for (let i = 0; i < count; i++) {
    const t0 = now()
    let id: string
    ;[a, id] = tapLine(a, ctx, startLines + i)
    const [sa2, msg] = A.generateSyncMessage(a, sa)
    sa = sa2
    if (!msg) throw new Error('no sync message after a change')
    messageBytes = msg.byteLength
    ;[b, sb] = A.receiveSyncMessage(b, sb, msg)
    if (!(id in b.lines)) throw new Error('B did not get the line')
    samples.push(now() - t0)
    ;[a, b, sa, sb] = syncUntilQuiet(a, b, sa, sb)
  }
  return { samples, messageBytes }
}

/** A fresh 8-line order's sync message for one more line, as bytes (the floors' payload). */
export function oneChangeMessage(): Uint8Array {
  const ctx = commandContext('till-a')
  const [doc] = orderWithLines(ctx, 8, 1, newOrder(ctx))
  const s = A.initSyncState()
  const b = A.clone(doc, 'cc'.repeat(16)) as Doc
  const [synced, , sx] = syncUntilQuiet(doc, b, s, A.initSyncState())
  const [x] = tapLine(synced, ctx, 9)
  const [, msg] = A.generateSyncMessage(x, sx)
  if (!msg) throw new Error('no message')
  return msg
}
