// The summary cache lists each order's chunk names without their bytes (issue 15). On a browser
// device the names come from IndexedDB's `getAllKeys` on the range automerge-repo's IndexedDB
// adapter reads (packages/sync/src/storage/key-listing.ts). This runs that listing in real
// Chromium against the real adapter and checks it names exactly the keys `loadRange` returns,
// for the prefixes the cache asks (a document, a day of summary blobs) and the tricky ones, and
// that the batched listing of many documents (one transaction) names per document exactly what
// `loadRange([id])` returns.
import { createServer, type Server } from 'node:http'
import { readFile, rm } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { artifacts, launchChromium } from './harness.js'
import type { ListingResult } from './key-listing-page/key-listing-page.js'

const pageDir = join(import.meta.dirname, 'key-listing-page')
const outDir = join(artifacts, 'key-listing-page')

let server: Server
let browser: Browser
let url: string

beforeAll(async () => {
  await rm(outDir, { recursive: true, force: true })
  await build({
    root: pageDir,
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
  server = createServer((req, res) => {
    const path = normalize(join(outDir, req.url === '/' ? 'index.html' : (req.url ?? '')))
    if (!path.startsWith(outDir)) return void res.writeHead(404).end()
    readFile(path).then(
      (body) => {
        const type = extname(path) === '.js' ? 'text/javascript' : 'text/html'
        res.writeHead(200, { 'content-type': type }).end(body)
      },
      () => res.writeHead(404).end(),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  url = `http://127.0.0.1:${address.port}/`
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe('key listing on IndexedDB in Chromium', () => {
  it('lists exactly the keys loadRange returns under each prefix and, all in one transaction, for each of many documents, without falling back to loadRange', async () => {
    const doc = '4NMNnkMhL8jKhbdyPH4jUGD2ZEpS'
    const keys = [
      [doc, 'snapshot', 'a1b2'],
      [doc, 'incremental', 'c3d4'],
      [doc, 'incremental', 'catch-up-9f'],
      [doc, 'sync-state', 'peer-1'],
      // A document id that extends the first one: not under its prefix.
      [`${doc}x`, 'incremental', 'e5f6'],
      ['tabsync-summaries', '2026-12-02', 'writer-a'],
      ['tabsync-summaries', '2026-12-02', 'writer-b'],
      ['tabsync-summaries', '2026-12-03', 'writer-a'],
      ['tabsync-summaries', '2026-12-020', 'writer-c'],
      ['weird', '__proto__', 'é ü 😀'],
    ]
    const prefixes = [
      [doc],
      [doc, 'incremental'],
      ['tabsync-summaries', '2026-12-02'],
      ['tabsync-summaries'],
      ['weird', '__proto__'],
      ['absent'],
    ]
    const page = await browser.newPage()
    try {
      await page.goto(url)
      await page.waitForFunction(() => typeof window.listingCases === 'function')
      const documents = [doc, `${doc}x`, 'weird', 'absent']
      const result: ListingResult = await page.evaluate(
        ([k, p, d]) => window.listingCases(k, p, d),
        [keys, prefixes, documents] as const,
      )
      expect(result.fellBack).toBe(false)
      for (const c of result.cases) expect(c.listed, c.prefix.join('/')).toEqual(c.loaded)
      const byPrefix = Object.fromEntries(result.cases.map((c) => [c.prefix.join('/'), c.listed]))
      // The expected sets, so that a listing and a loadRange both wrong cannot pass.
      expect(byPrefix[doc]).toEqual(
        keys
          .filter((k) => k[0] === doc)
          .map((k) => k.join('/'))
          .sort(),
      )
      expect(byPrefix['tabsync-summaries/2026-12-02']).toEqual([
        'tabsync-summaries/2026-12-02/writer-a',
        'tabsync-summaries/2026-12-02/writer-b',
      ])
      expect(byPrefix['weird/__proto__']).toEqual(['weird/__proto__/é ü 😀'])
      expect(byPrefix['absent']).toEqual([])
      // Many documents at once: each exactly its own keys (not those of an id extending it).
      expect(result.batched.map((c) => c.prefix[0])).toEqual(documents)
      expect(result.batchedTransactions).toBe(1)
      for (const c of result.batched) expect(c.listed, `batched ${c.prefix[0]}`).toEqual(c.loaded)
      expect(result.batched[0]!.listed).toEqual(byPrefix[doc])
      expect(result.batched[1]!.listed).toEqual([`${doc}x/incremental/e5f6`])
      expect(result.batched[3]!.listed).toEqual([])
    } finally {
      await page.close()
    }
  })
})
