import { Repo } from '@automerge/automerge-repo'
import { flushSync } from 'svelte'
import { expect, test } from 'vitest'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { openDevice } from '@tabsync/sync'
import { bindDays, bindDoc, bindSource, bindWatch } from './doc-store.svelte.js'

interface Counter {
  n: number
  items: string[]
}

test('a bound handle follows local changes and stops after destroy', async () => {
  const repo = new Repo()
  const handle = repo.create<Counter>({ n: 1, items: [] })
  const bound = bindDoc(handle, (d) => d.n * 10)
  expect(bound.current).toBe(10)
  handle.change((d) => {
    d.n = 2
  })
  expect(bound.current).toBe(20)
  bound.destroy()
  handle.change((d) => {
    d.n = 3
  })
  expect(bound.current).toBe(20)
  await repo.shutdown()
})

test('an effect reading the binding re-runs on each change, including merged remote changes', async () => {
  const repo = new Repo()
  const handle = repo.create<Counter>({ n: 0, items: [] })
  const bound = bindDoc(handle, (d) => [...d.items])
  const seen: string[][] = []
  const stop = $effect.root(() => {
    $effect(() => {
      seen.push(bound.current)
    })
  })
  flushSync()
  handle.change((d) => {
    d.items.push('a')
  })
  flushSync()
  // A change made elsewhere and merged in (as sync does) updates the binding too.
  const other = new Repo()
  const copy = other.import<Counter>(
    repo.export ? ((await repo.export(handle.url)) as Uint8Array) : new Uint8Array(),
  )
  copy.change((d) => {
    d.items.push('b')
  })
  handle.merge(copy)
  flushSync()
  expect(seen).toEqual([[], ['a'], ['a', 'b']])
  stop()
  bound.destroy()
  await repo.shutdown()
  await other.shutdown()
})

test('a bound source follows its pushes and unsubscribes on destroy', () => {
  let push: ((v: number) => void) | undefined
  let unsubscribed = false
  const bound = bindSource(0, (cb) => {
    push = cb
    return () => {
      unsubscribed = true
    }
  })
  push?.(5)
  expect(bound.current).toBe(5)
  bound.destroy()
  expect(unsubscribed).toBe(true)
})

test('bindDays follows a device’s recent business days and stops after destroy', async () => {
  const device = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
  await device.createStore({ ...demoStoreInit('store-1', () => ''), tables: DEMO_TABLES })
  const days = bindDays(device)
  await expect.poll(() => days.dates.length === 2 && days.loading === 0).toBe(true)
  expect(days.dates[0]).toBe(device.businessDate())
  const { url } = await device.openOrder('t4')
  await expect.poll(() => days.current.map((o) => o.url)).toEqual([url])
  expect(days.current[0]?.tableId).toBe('t4')

  days.destroy()
  const later = await device.openOrder('t5')
  await device.orderSummary(later.url)
  await new Promise((r) => setTimeout(r, 200))
  expect(days.current.map((o) => o.url)).toEqual([url])
  await device.close()
})

test('a watched source follows its pushes, moves to a new source when what it reads changes, and stops with its owner', () => {
  const pushes = new Map<string, (v: string) => void>()
  const live = new Set<string>()
  let url = $state('a')
  let bound: { readonly current: string | undefined } | undefined
  const stop = $effect.root(() => {
    bound = bindWatch<string>((cb) => {
      const watched = url
      pushes.set(watched, cb)
      live.add(watched)
      return () => live.delete(watched)
    })
  })
  flushSync()
  expect(bound!.current).toBeUndefined()
  pushes.get('a')!('summary of a')
  expect(bound!.current).toBe('summary of a')
  url = 'b'
  flushSync()
  expect([...live]).toEqual(['b'])
  // The old source's value stays until the new one pushes.
  expect(bound!.current).toBe('summary of a')
  pushes.get('b')!('summary of b')
  expect(bound!.current).toBe('summary of b')
  stop()
  expect([...live]).toEqual([])
})
