import { expect, test } from 'vitest'
import { coalescedShareReevaluation } from './share-reevaluation.js'

/** A synchronizer whose passes are held until released, counting them. */
function heldSynchronizer() {
  const releases: (() => void)[] = []
  let passes = 0
  return {
    repo: {
      synchronizer: {
        reevaluateDocumentShare: () => {
          passes++
          return new Promise<void>((resolve) => releases.push(resolve))
        },
      },
    },
    passes: () => passes,
    release: async () => {
      releases.shift()?.()
      await new Promise((r) => setTimeout(r, 0))
    },
  }
}

test('settles arriving while a share pass runs share one next pass, not one pass each', async () => {
  const sync = heldSynchronizer()
  const changed = coalescedShareReevaluation(sync.repo, (err) => {
    throw err
  })
  changed()
  expect(sync.passes()).toBe(1)
  for (let i = 0; i < 50; i++) changed()
  expect(sync.passes()).toBe(1)
  await sync.release()
  // The 50 asks made during the first pass: one more pass, with every one of them in it.
  expect(sync.passes()).toBe(2)
  await sync.release()
  expect(sync.passes()).toBe(2)
  // Idle again: the next ask starts a pass at once.
  changed()
  expect(sync.passes()).toBe(3)
  await sync.release()
})

test('a failing pass is reported and the next ask runs a pass again', async () => {
  const errors: unknown[] = []
  let passes = 0
  const changed = coalescedShareReevaluation(
    {
      synchronizer: {
        reevaluateDocumentShare: () => {
          passes++
          return Promise.reject(new Error('boom'))
        },
      },
    },
    (err) => errors.push(err),
  )
  changed()
  await new Promise((r) => setTimeout(r, 0))
  expect(errors).toHaveLength(1)
  changed()
  await new Promise((r) => setTimeout(r, 0))
  expect(passes).toBe(2)
})
