// The relay's automerge-repo CPU per message, measured by replay (issue 17): a run of the
// relay-cost workload is too noisy on a loaded machine to see a 10% change, so this records the
// messages a relay Repo receives from real devices once (devices and relay in this process,
// in-memory links), then replays that same sequence into fresh relay Repos in child processes,
// with the relay's message shortcuts (relay/src/repo/message-shortcuts.ts) off or on, alternating,
// and reads each child's CPU (process.cpuUsage) over its second replay alone (the first warms the
// JIT up). Same messages, same order,
// no sockets, no devices: what differs between the variants is the shortcuts.
//
//   npx tsx --conditions=@tabsync/source bench/src/tools/relay-replay-cost.ts [devices] [changes] [rounds]
//   (defaults 10 devices, 150 changes, 6 rounds; TABSYNC_REPLAY_VARIANTS=stock,all,sync-states,...)
//
// Both variants decode each sync message once at the "edge" as the relay does (the stock
// variant then lets the repo decode it again).
import { fork } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as A from '@automerge/automerge'
import {
  cbor,
  NetworkAdapter,
  Repo,
  type DocHandle,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo'
import { setSyncThrottle } from '@tabsync/protocol'
import {
  handOffDecoded,
  installMessageShortcuts,
  MESSAGE_SHORTCUTS,
  type MessageShortcut,
} from '@tabsync/relay/internal'

type Order = { kind: string; storeId: string; lines: Record<string, { item: string; by: string }> }

/** The relay's side of every link: routes outbound messages to the device they name. */
class RelaySide extends NetworkAdapter {
  readonly devices = new Map<string, DeviceSide>()
  /** Every message the relay received, in order (recording); or nothing (replaying). */
  readonly received: Message[] = []
  isReady = () => true
  whenReady = () => Promise.resolve()
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
  }
  disconnect(): void {}
  send(message: Message): void {
    const device = this.devices.get(message.targetId)
    if (device) setImmediate(() => device.emit('message', message))
  }
  deliver(message: Message): void {
    this.received.push(message)
    this.emit('message', message)
  }
  introduce(peerId: string): void {
    this.emit('peer-candidate', { peerId: peerId as PeerId, peerMetadata: {} })
  }
}

class DeviceSide extends NetworkAdapter {
  readonly relay: RelaySide
  constructor(relay: RelaySide) {
    super()
    this.relay = relay
  }
  isReady = () => true
  whenReady = () => Promise.resolve()
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.relay.devices.set(peerId, this)
    this.emit('peer-candidate', { peerId: 'relay' as PeerId, peerMetadata: {} })
    this.relay.introduce(peerId)
  }
  disconnect(): void {}
  send(message: Message): void {
    setImmediate(() => this.relay.deliver(message))
  }
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('recording stalled')
    await new Promise((r) => setTimeout(r, 1))
  }
}

/** Devices and a stock relay Repo in this process; returns the relay's inbound messages. */
async function record(devices: number, changes: number): Promise<Message[]> {
  const side = new RelaySide()
  const relay = new Repo({
    network: [side],
    peerId: 'relay' as PeerId,
    shareConfig: { announce: async () => false, access: async () => true },
  })
  setSyncThrottle(relay, 0) // as the relay
  const repos = Array.from(
    { length: devices },
    (_, i) => new Repo({ network: [new DeviceSide(side)], peerId: `till-${i}` as PeerId }),
  )
  await until(() => relay.peers.length === devices)
  const first = repos[0]!.create<Order>({ kind: 'order', storeId: 's', lines: {} })
  const handles: DocHandle<Order>[] = [first]
  for (const repo of repos.slice(1)) {
    const h = await repo.find<Order>(first.url, { allowableStates: ['ready', 'requesting'] })
    await h.whenReady()
    handles.push(h)
  }
  for (let i = 0; i < changes; i++) {
    const h = handles[i % devices]!
    h.change((d) => {
      d.lines[`l${i}`] = { item: `dish ${i}`, by: `till-${i % devices}` }
    })
    await until(() => handles.every((x) => x.doc().lines[`l${i}`] !== undefined))
  }
  await new Promise((r) => setTimeout(r, 200)) // the last acknowledgements
  await Promise.all([relay, ...repos].map((r) => r.shutdown()))
  return side.received
}

/** Replays `messages` into a fresh relay Repo with `shortcuts`; returns CPU ms of the replay. */
async function replayOnce(
  messages: readonly Message[],
  shortcuts: readonly MessageShortcut[],
): Promise<number> {
  const side = new RelaySide()
  const relay = new Repo({
    network: [side],
    peerId: 'relay' as PeerId,
    shareConfig: { announce: async () => false, access: async () => true },
  })
  setSyncThrottle(relay, 0) // as the relay
  // The replay's share config allows everyone and never changes.
  const share = { mayAccess: () => true, shareVersion: () => 0 }
  installMessageShortcuts(relay, { warn: (m) => console.error(m) }, share, shortcuts)
  for (const peer of new Set(messages.map((m) => m.senderId))) side.introduce(peer)
  await new Promise((r) => setTimeout(r, 50))
  const cpu0 = process.cpuUsage()
  for (const message of messages) {
    if ((message.type === 'sync' || message.type === 'request') && message.data)
      handOffDecoded(message.data, A.decodeSyncMessage(message.data)) // the edge's decode
    side.emit('message', message)
    await new Promise((r) => setImmediate(r))
  }
  await new Promise((r) => setTimeout(r, 20))
  const cpu = process.cpuUsage(cpu0)
  await relay.shutdown()
  return (cpu.user + cpu.system) / 1000
}

/** Child: one warm-up replay (JIT), then the measured one; answers its CPU ms. */
async function replay(file: string, shortcuts: readonly MessageShortcut[]): Promise<void> {
  const messages = cbor.decode(await readFile(file)) as Message[]
  await replayOnce(messages, shortcuts)
  const cpuMs = await replayOnce(messages, shortcuts)
  process.send?.({ cpuMs, messages: messages.length })
}

function runChild(file: string, variant: string): Promise<{ cpuMs: number; messages: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--replay', file, variant], {
      execArgv: ['--conditions=@tabsync/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.once('message', (m) => resolve(m as { cpuMs: number; messages: number }))
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`child ${code}`))))
  })
}

const shortcutsOf = (variant: string): MessageShortcut[] =>
  variant === 'stock'
    ? []
    : variant === 'all'
      ? [...MESSAGE_SHORTCUTS]
      : (variant.split('+') as MessageShortcut[])

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

if (process.argv[2] === '--replay') {
  await replay(process.argv[3]!, shortcutsOf(process.argv[4]!))
} else {
  const [devices = 10, changes = 150, rounds = 6] = process.argv.slice(2).map(Number)
  const variants = (process.env['TABSYNC_REPLAY_VARIANTS'] ?? 'stock,all').split(',')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'relay-replay-'))
  const file = path.join(dir, 'messages.cbor')
  const messages = await record(devices, changes)
  await writeFile(file, cbor.encode(messages))
  console.log(
    `recorded ${messages.length} messages to the relay: ${devices} devices, ${changes} changes`,
  )
  const cpu: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]))
  for (let round = 0; round < rounds; round++) {
    // Alternate the order each round (A B, B A, ...): load drift hits every variant alike.
    const order = round % 2 === 0 ? variants : [...variants].reverse()
    for (const variant of order) {
      const { cpuMs } = await runChild(file, variant)
      cpu[variant]!.push(cpuMs)
      console.log(
        `round ${round + 1} ${variant}: ${cpuMs.toFixed(0)} ms CPU, ${(cpuMs / changes).toFixed(2)} ms/change`,
      )
    }
  }
  const base = median(cpu[variants[0]!]!)
  for (const variant of variants) {
    const m = median(cpu[variant]!)
    console.log(
      `${variant}: median ${m.toFixed(0)} ms CPU (${(m / changes).toFixed(2)} ms/change, ${((1000 * m) / messages.length).toFixed(0)} µs/message), ÷ ${variants[0]} ${(m / base).toFixed(2)}; min..max ${Math.min(...cpu[variant]!).toFixed(0)}..${Math.max(...cpu[variant]!).toFixed(0)}`,
    )
  }
  await rm(dir, { recursive: true, force: true })
}
