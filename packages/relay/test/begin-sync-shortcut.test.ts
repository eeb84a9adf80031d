// @tabsync/protocol's begin-sync-shortcut.ts on real automerge-repo Repos: the empty sync start
// automerge-repo runs after every inbound message is answered at once for an opted-in Repo's
// ready documents, the document still syncs both ways, and a Repo that did not opt in is
// untouched. (In protocol's README; tested here because protocol does not depend on
// automerge-repo.)
import {
  NetworkAdapter,
  Repo,
  type AutomergeUrl,
  type DocHandle,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo'
import { idleBeginSyncsSkipped, shortcutIdleBeginSync } from '@tabsync/protocol'
import { expect, test } from 'vitest'
import { NotARepo } from './helpers/not-a-repo.js'

/** One end of an in-memory link between two Repos. */
class LinkEnd extends NetworkAdapter {
  other: LinkEnd | undefined
  #ready = false
  isReady(): boolean {
    return this.#ready
  }
  whenReady(): Promise<void> {
    return Promise.resolve()
  }
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#ready = true
    // Both ends connected: introduce each to the other.
    const other = this.other
    if (other?.peerId) {
      other.emit('peer-candidate', { peerId, peerMetadata: this.peerMetadata })
      this.emit('peer-candidate', { peerId: other.peerId, peerMetadata: other.peerMetadata ?? {} })
    }
  }
  disconnect(): void {}
  send(message: Message): void {
    const other = this.other
    setTimeout(() => other?.emit('message', message), 0)
  }
}

function linkedRepos(): { relay: Repo; device: Repo } {
  const a = new LinkEnd()
  const b = new LinkEnd()
  a.other = b
  b.other = a
  const relay = new Repo({
    network: [a],
    peerId: 'relay' as PeerId,
    sharePolicy: async () => false,
  })
  const device = new Repo({ network: [b], peerId: 'device' as PeerId })
  return { relay, device }
}

/** The relay's copy of `url`, once both ends are introduced and it has arrived. */
async function relayCopy(relay: Repo, url: AutomergeUrl): Promise<DocHandle<{ n: number[] }>> {
  await until(() => relay.peers.length > 0, 'the link is up')
  const copy = await relay.find<{ n: number[] }>(url, {
    allowableStates: ['ready', 'unavailable', 'requesting'],
  })
  await copy.whenReady()
  return copy
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

test('an opted-in Repo skips the empty sync start of each message, and the document still syncs both ways', async () => {
  const { relay, device } = linkedRepos()
  expect(shortcutIdleBeginSync(relay)).toBe(true)
  const handle = device.create<{ n: number[] }>({ n: [] })
  const copy = await relayCopy(relay, handle.url)
  const before = idleBeginSyncsSkipped()
  for (let i = 1; i <= 10; i++) {
    handle.change((d) => {
      d.n.push(i)
    })
    await until(() => copy.doc().n.length === i, `change ${i} on the relay`)
  }
  // Each message after the first sync start was answered at once.
  expect(idleBeginSyncsSkipped() - before).toBeGreaterThanOrEqual(10)
  // And the other way: the relay's change reaches the device (acks and replies still flow).
  copy.change((d) => {
    d.n.push(99)
  })
  await until(() => handle.doc().n.includes(99), "the relay's change on the device")
  await Promise.all([relay.shutdown(), device.shutdown()])
})

test('a Repo that did not opt in keeps every sync start', async () => {
  const { relay, device } = linkedRepos()
  const handle = device.create<{ n: number[] }>({ n: [] })
  const copy = await relayCopy(relay, handle.url)
  const before = idleBeginSyncsSkipped()
  for (let i = 1; i <= 5; i++) {
    handle.change((d) => {
      d.n.push(i)
    })
    await until(() => copy.doc().n.length === i, `change ${i} on the relay`)
  }
  expect(idleBeginSyncsSkipped()).toBe(before)
  await Promise.all([relay.shutdown(), device.shutdown()])
})

test('without the internals it needs, it reports false and changes nothing', () => {
  expect(shortcutIdleBeginSync(new NotARepo())).toBe(false)
})
