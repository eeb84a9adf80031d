// automerge-repo 2.5.6 begins a document's sync with a new peer by awaiting the handle's readiness
// (60 s) when another peer has the document, from a `void` call: a document not ready in time was
// an unhandled rejection (it ended a summary-cache fuzz run in CI, and would end a Node process).
// guardBeginSync turns it into a report to the Repo that owns the document.
import * as A from '@automerge/automerge'
import {
  NetworkAdapter,
  Repo,
  type DocumentId,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo/slim'
import { guardBeginSync } from '@tabsync/protocol'
import { afterEach, expect, test, vi } from 'vitest'

/** A network the test speaks for: peers appear and send when the test says so. */
class ScriptedNetwork extends NetworkAdapter {
  isReady(): boolean {
    return true
  }
  whenReady(): Promise<void> {
    return Promise.resolve()
  }
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
  }
  disconnect(): void {}
  send(): void {}
  peer(peerId: string): void {
    this.emit('peer-candidate', { peerId: peerId as PeerId, peerMetadata: {} })
  }
  deliver(message: Message): void {
    this.emit('message', message)
  }
}

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)

afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
  vi.useRealTimers()
})

/**
 * A repo that asked for a document a peer says it has (heads, no changes yet), then a second
 * peer arrives and the document is still not ready a minute later.
 */
async function documentNeverReady() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
  process.on('unhandledRejection', onUnhandled)
  unhandled.length = 0
  const network = new ScriptedNetwork()
  const repo = new Repo({ network: [network], peerId: 'device' as PeerId })
  const reports: { err: unknown; documentId: string }[] = []
  expect(guardBeginSync(repo, (err, documentId) => reports.push({ err, documentId }))).toBe(true)
  network.peer('relay')
  await vi.advanceTimersByTimeAsync(10)

  // The relay's copy, and the first message of a sync with it: its heads, none of its changes.
  const relayDoc = A.change(A.init<{ n: number }>(), (d) => void (d.n = 1))
  const [, hello] = A.generateSyncMessage(relayDoc, A.initSyncState())
  const handle = repo.findWithProgress<{ n: number }>(
    'automerge:2d6boQNDTZGSC3m34gMAeeLf4kcA' as never,
  ).handle
  const documentId = handle.documentId as DocumentId
  await vi.advanceTimersByTimeAsync(10)
  network.deliver({
    type: 'sync',
    senderId: 'relay' as PeerId,
    targetId: 'device' as PeerId,
    documentId,
    data: hello!,
  })
  await vi.advanceTimersByTimeAsync(10)
  expect(handle.isReady()).toBe(false)

  network.peer('till-2') // begins the document's sync with it: awaits readiness
  await vi.advanceTimersByTimeAsync(130_000)
  await new Promise((resolve) => setImmediate(resolve)) // let Node report unhandled rejections
  return { reports, documentId }
}

test('guardBeginSync reports a sync start that timed out to its Repo, and nothing is unhandled', async () => {
  const { reports, documentId } = await documentNeverReady()
  expect(unhandled).toEqual([])
  expect(reports.length).toBeGreaterThan(0)
  expect(reports.every((r) => r.documentId === documentId)).toBe(true)
  expect((reports[0]!.err as Error).name).toBe('TimeoutError')
})

test('guardBeginSync reports the begin-sync-failed event of an automerge-repo with the upstream fix (patch 02)', () => {
  const repo = new Repo({ network: [] })
  const reports: { err: unknown; documentId: string }[] = []
  guardBeginSync(repo, (err, documentId) => reports.push({ err, documentId }))
  const error = new Error('not ready in time')
  // What a build with patches/automerge-repo/02-report-begin-sync-failure.patch emits.
  const event = { type: 'begin-sync-failed', documentId: 'doc-1', error }
  repo.emit('doc-metrics', event as never)
  repo.emit('doc-metrics', { type: 'doc-denied', documentId: 'doc-2' } as never)
  expect(reports).toEqual([{ err: error, documentId: 'doc-1' }])
})
