// The Yjs peer relay: Hocuspocus (@hocuspocus/server), the usual way to run a Yjs sync server,
// with what a relay needs beside forwarding: a token checked per document and persistence. The
// persistence is Hocuspocus's own Database extension storing the whole document state in one
// file per document, with Hocuspocus's default debounce (its `onStoreDocument` runs 2 s after the
// last change, at least every 10 s): writes coalesced per document, as Yjs servers ship them.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Database } from '@hocuspocus/extension-database'
import { Server } from '@hocuspocus/server'

/** A running Hocuspocus relay. */
export interface HocuspocusRelay {
  readonly port: number
  /** `ws://127.0.0.1:port` */
  readonly url: string
  close(): Promise<void>
}

function fileOf(directory: string, name: string): string {
  return path.join(directory, `${encodeURIComponent(name)}.ystate`)
}

/**
 * Starts a Hocuspocus server on a loopback port (0 = any) that accepts connections carrying
 * `token` and stores each document's state under `directory`.
 */
export async function startHocuspocusRelay(
  directory: string,
  token: string,
  port = 0,
): Promise<HocuspocusRelay> {
  await mkdir(directory, { recursive: true })
  const server = new Server({
    port,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    async onAuthenticate(data) {
      if (data.token !== token) throw new Error('bad token')
    },
    extensions: [
      new Database({
        fetch: async ({ documentName }) => {
          try {
            return new Uint8Array(await readFile(fileOf(directory, documentName)))
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
            throw e
          }
        },
        store: async ({ documentName, state }) => {
          // Temporary file + rename, as the Tabsync relay writes, so a crash leaves a whole file.
          const file = fileOf(directory, documentName)
          await writeFile(`${file}.tmp`, state)
          await rename(`${file}.tmp`, file)
        },
      }),
    ],
  })
  await server.listen()
  const actual = server.address.port
  return {
    port: actual,
    url: `ws://127.0.0.1:${actual}`,
    close: () => server.destroy(),
  }
}
