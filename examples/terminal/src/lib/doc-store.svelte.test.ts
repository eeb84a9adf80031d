import { Repo } from '@automerge/automerge-repo'
import { flushSync } from 'svelte'
import { expect, test } from 'vitest'
import { bindDoc, bindSource, bindWatch } from './doc-store.svelte.js'

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
