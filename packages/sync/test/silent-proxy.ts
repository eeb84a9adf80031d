// A TCP proxy that can go silent: packets stop, nothing is reset (what a dead ISP line or a flaky
// access point does). Used to prove every link notices silence on its own.
import { createServer, connect, type Server, type Socket } from 'node:net'

/** A running {@link startSilentProxy}. */
export interface SilentProxy {
  readonly port: number
  /** `ws://127.0.0.1:<port>/sync` */
  readonly syncUrl: string
  /** Connections accepted so far (for "it tried again" checks). */
  readonly accepted: () => number
  /**
   * Stops forwarding in both directions without closing anything: bytes already sent are held
   * (as TCP would retransmit them), a side that closes is not told to the other (no FIN or RST
   * gets through), new connections are accepted but lead nowhere.
   */
  silence(): void
  /** Forwards again: held bytes flow, held connections reach the target. */
  resume(): void
  close(): Promise<void>
}

interface Pair {
  readonly client: Socket
  upstream: Socket | undefined
  /** Bytes held while silent, per direction. */
  readonly toUpstream: Buffer[]
  readonly toClient: Buffer[]
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `127.0.0.1:<targetPort>`. */
export async function startSilentProxy(targetPort: number): Promise<SilentProxy> {
  let silent = false
  let accepted = 0
  const pairs = new Set<Pair>()

  const flush = (pair: Pair) => {
    if (!pair.upstream) {
      dial(pair)
      return
    }
    for (const b of pair.toUpstream.splice(0)) pair.upstream.write(b)
    for (const b of pair.toClient.splice(0)) pair.client.write(b)
  }
  /** Pairs one side of which closed while silent: the other side learns it on resume. */
  const ended = new Set<Pair>()
  const end = (pair: Pair) => {
    if (silent) {
      ended.add(pair)
      return
    }
    pairs.delete(pair)
    pair.client.destroy()
    pair.upstream?.destroy()
  }
  const dial = (pair: Pair) => {
    const upstream = connect(targetPort, '127.0.0.1')
    pair.upstream = upstream
    upstream.on('data', (d: Buffer) => (silent ? pair.toClient.push(d) : pair.client.write(d)))
    upstream.on('error', () => end(pair))
    upstream.on('close', () => end(pair))
    for (const b of pair.toUpstream.splice(0)) upstream.write(b)
  }

  const server: Server = createServer((client) => {
    accepted++
    const pair: Pair = { client, upstream: undefined, toUpstream: [], toClient: [] }
    pairs.add(pair)
    client.on('data', (d: Buffer) =>
      silent || !pair.upstream ? pair.toUpstream.push(d) : pair.upstream.write(d),
    )
    client.on('error', () => end(pair))
    client.on('close', () => end(pair))
    if (!silent) dial(pair)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    syncUrl: `ws://127.0.0.1:${port}/sync`,
    accepted: () => accepted,
    silence() {
      silent = true
    },
    resume() {
      silent = false
      for (const pair of ended) end(pair)
      ended.clear()
      for (const pair of pairs) flush(pair)
    },
    async close() {
      silent = false
      for (const pair of [...pairs]) end(pair)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
