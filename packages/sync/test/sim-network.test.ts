// The simulated network's own contract: what it promises the scenario tests.
import type { Message, PeerId } from '@automerge/automerge-repo/slim'
import { afterEach, expect, test, vi } from 'vitest'
import { createSimNetwork, type SimNetworkAdapter } from '../src/testing/index.js'
import { advance, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

interface Probe {
  readonly adapter: SimNetworkAdapter
  readonly events: string[]
  readonly received: string[]
}

function node(net: ReturnType<typeof createSimNetwork>, name: string, kind?: 'hub'): Probe {
  const adapter = net.adapter(name, kind ? { kind } : {})
  const events: string[] = []
  const received: string[] = []
  adapter.on('peer-candidate', ({ peerId }) => events.push(`+${peerId}`))
  adapter.on('peer-disconnected', ({ peerId }) => events.push(`-${peerId}`))
  adapter.on('message', (m) => received.push(String((m as { n?: number }).n)))
  adapter.connect(name as PeerId, {})
  return { adapter, events, received }
}

function message(from: string, to: string, n: number): Message {
  return { type: 'ephemeral', senderId: from, targetId: to, n } as unknown as Message
}

test('links announce peers, deliver in order, and partitions/heals are seen by both sides', async () => {
  useSimTime()
  const net = createSimNetwork({ seed: 1, faults: { minDelayMs: 1, maxDelayMs: 50 } })
  const a = node(net, 'a')
  const hub = node(net, 'hub', 'hub')
  net.link('a', 'hub')
  expect(a.events).toEqual(['+hub'])
  expect(hub.events).toEqual(['+a'])
  expect(a.adapter.kindOf('hub' as PeerId)).toBe('hub')
  expect(hub.adapter.kindOf('a' as PeerId)).toBeUndefined()
  expect(a.adapter.endpoints().map((e) => [e.url, e.kind, e.state])).toEqual([
    ['sim://hub', 'hub', 'open'],
  ])

  for (let n = 0; n < 20; n++) a.adapter.send(message('a', 'hub', n))
  await advance(100)
  expect(hub.received).toEqual(Array.from({ length: 20 }, (_, n) => String(n)))

  net.partition('a', 'hub')
  expect(a.events.at(-1)).toBe('-hub')
  expect(a.adapter.endpoints()[0]?.state).toBe('closed')
  a.adapter.send(message('a', 'hub', 99))
  await advance(100)
  expect(hub.received).not.toContain('99')
  net.heal('a', 'hub')
  expect(a.events).toEqual(['+hub', '-hub', '+hub'])
})

test('a lost message ends the connection asynchronously, never inside send(), then it comes back', async () => {
  useSimTime()
  const net = createSimNetwork({
    seed: 2,
    faults: { dropRate: 1, dropBreaksConnection: true, reconnectDelayMs: 100 },
  })
  const a = node(net, 'a')
  const hub = node(net, 'hub', 'hub')
  net.link('a', 'hub')
  a.adapter.send(message('a', 'hub', 1))
  // automerge-repo is not re-entrant inside send(): the disconnect must come later.
  expect(a.events).toEqual(['+hub'])
  expect(hub.events).toEqual(['+a'])
  await advance(1)
  expect(a.events).toEqual(['+hub', '-hub'])
  net.setFaults({})
  await advance(150)
  expect(a.events).toEqual(['+hub', '-hub', '+hub'])
  a.adapter.send(message('a', 'hub', 2))
  await advance(50)
  expect(hub.received).toEqual(['2'])
  expect(net.stats.dropped).toBeGreaterThanOrEqual(1)
})

test('duplicates arrive twice, a killed node disappears without a goodbye, a new adapter replaces it', async () => {
  useSimTime()
  const net = createSimNetwork({ seed: 3, faults: { duplicateRate: 1 } })
  const a = node(net, 'a')
  const hub = node(net, 'hub', 'hub')
  net.link('a', 'hub')
  a.adapter.send(message('a', 'hub', 7))
  await advance(50)
  expect(hub.received).toEqual(['7', '7'])
  expect(net.stats.duplicated).toBe(1)

  net.kill('a')
  expect(hub.events.at(-1)).toBe('-a')
  expect(a.events.at(-1)).toBe('+hub') // the dead side hears nothing
  a.adapter.send(message('a', 'hub', 8))
  await advance(50)
  expect(hub.received).not.toContain('8')

  const again = node(net, 'a')
  expect(again.events).toEqual(['+hub'])
  expect(hub.events.at(-1)).toBe('+a')
})
