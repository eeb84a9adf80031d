import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { issueToken, startRelay, type RunningRelay } from '@tabsync/relay'
// README:begin
import { addLine, fire } from '@tabsync/core'
import { openDevice } from '@tabsync/sync'
// README:end
import type { Device, SyncStatus } from '@tabsync/sync'

/*
 * The embedding example in the root README runs here, as written: the block between the
 * README markers below must match the README's code block character for character.
 */

let relay: RunningRelay
let dir: string
let storeUrl: string
let token: string
const secret = 'readme-example-secret-readme-example'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tabsync-readme-'))
  relay = await startRelay({ port: 0, dataDir: join(dir, 'relay'), secret, logLevel: 'silent' })
  // The back office creates the store once; a till then needs only its URL and a token.
  const office = await openDevice({
    deviceId: 'office',
    storage: 'memory',
    endpoints: [relay.syncUrl],
    token: await issueToken({
      secret,
      deviceId: 'office',
      storeIds: ['bistro'],
      role: 'backoffice',
    }),
  })
  ;({ storeUrl } = await office.createStore({
    ...demoStoreInit('bistro', () => ''),
    tables: [...DEMO_TABLES],
  }))
  await synced(office)
  await office.close()
  token = await issueToken({ secret, deviceId: 'till-1', storeIds: ['bistro'], role: 'terminal' })
})

/** Resolves once the relay holds everything the device wrote. */
function synced(device: Device): Promise<void> {
  return new Promise((resolve) => {
    const check = (s: SyncStatus) => {
      if (s.state !== 'offline' && s.unsynced === 0) {
        off()
        resolve()
      }
    }
    const off = device.onStatus(check)
    check(device.status())
  })
}

afterAll(async () => {
  await relay.close()
  // The relay may still finish a throttled write after close(): retry the removal briefly.
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
})

test('the README embedding example runs as written', async () => {
  const endpoints = [relay.syncUrl]
  const storage = { directory: join(dir, 'till-1') }
  // README:begin
  const till = await openDevice({ deviceId: 'till-1', storeUrl, token, endpoints, storage })
  await till.ready() // the store (menu, tables) is loaded
  const { url } = await till.openOrder('t4', { guests: 2 })
  const medium = [{ groupId: 'cooking', optionId: 'medium' }]
  await till.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'burger', modifiers: medium }))
  await till.run(url, (doc, ctx) => fire(doc, ctx)) // resolves once saved to disk
  const { totals, status } = await till.orderSummary(url) // totals.total 1690, status.status 'fired'
  till.onStatus((s) => console.log(s.state, s.unsynced)) // 'via-relay' 0 ... 'offline' 1
  // README:end
  expect(totals.total).toBe(1690)
  expect(status.status).toBe('fired')
  await till.close()

  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Embedding')))?.[1] ?? ''
  const self = await readFile(new URL(import.meta.url), 'utf8')
  const marked = [...self.matchAll(/\/\/ README:begin\n([\s\S]*?)\/\/ README:end/g)]
    .map((m) => (m[1] ?? '').replace(/^ {2}/gm, ''))
    .join('\n')
  expect(block).toBe(marked)
})
