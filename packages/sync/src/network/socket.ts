/** The part of a WebSocket (browser or `ws`) the link uses. */
export interface LinkSocket {
  readonly readyState: number
  /** The subprotocol the server selected ('' when none). */
  readonly protocol: string
  binaryType: string
  send(data: ArrayBuffer): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onclose: ((event: { code?: number; reason?: string }) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onerror: ((event: unknown) => void) | null
  /** Drops the connection without a closing handshake (`ws` only; a silent peer never answers one). */
  terminate?(): void
}

/** A socket plus what only Node can tell: the HTTP status of a refused upgrade. */
export interface OpenedSocket {
  readonly socket: LinkSocket
  /** HTTP status of a refused upgrade (Node only); undefined in browsers or when accepted. */
  readonly refusedStatus: () => number | undefined
}

/**
 * Opens a socket to a URL offering `protocols` (the wire version and the token, see
 * auth-protocol.ts; never put the token in the URL).
 */
export type SocketFactory = (url: string, protocols: readonly string[]) => Promise<OpenedSocket>

/** `WebSocket.OPEN`, the same in browsers and `ws`. */
export const SOCKET_OPEN = 1

/** True when this code runs in Node (not in a browser or a worker). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process
  return (
    typeof p?.versions?.node === 'string' &&
    typeof (globalThis as { window?: unknown }).window === 'undefined'
  )
}

interface WsModule {
  WebSocket: new (
    url: string,
    protocols: string[],
  ) => LinkSocket & {
    on(event: 'unexpected-response', cb: (req: unknown, res: { statusCode?: number }) => void): void
    terminate(): void
  }
}

/**
 * The default socket factory: `ws` in Node (it reports the HTTP status of a refused upgrade, so
 * a 401 is recognised), the global WebSocket elsewhere.
 */
export const defaultSocketFactory: SocketFactory = async (url, protocols) => {
  if (isNode()) {
    // A variable specifier keeps browser bundlers from trying to bundle `ws`.
    const specifier = 'ws'
    const mod = (await import(/* @vite-ignore */ specifier)) as WsModule & { default?: WsModule }
    const Ctor = mod.WebSocket ?? mod.default?.WebSocket
    let refused: number | undefined
    const socket = new Ctor(url, [...protocols])
    socket.on('unexpected-response', (_req, res) => {
      refused = res.statusCode ?? 0
      // Aborts the handshake: the socket then emits error and close like any failed attempt.
      socket.terminate()
    })
    return { socket, refusedStatus: () => refused }
  }
  const Ctor = (
    globalThis as unknown as { WebSocket: new (url: string, protocols: string[]) => LinkSocket }
  ).WebSocket
  return { socket: new Ctor(url, [...protocols]), refusedStatus: () => undefined }
}

/** `ws://h:p/sync` -> `http://h:p`, `wss://...` -> `https://...`. */
export function httpOrigin(wsUrl: string): string {
  const u = new URL(wsUrl)
  const protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol
  return `${protocol}//${u.host}`
}
