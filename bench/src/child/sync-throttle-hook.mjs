// Loader hook: rewrites DocSynchronizer's `syncDebounceRate = 100` as it is loaded, which is
// what a `syncDebounceRate` option on Repo would do. Fails loudly if the source changed.
/* global process */
const target = /automerge-repo\/dist\/synchronizer\/DocSynchronizer\.js$/
const ms = Number(process.env.TABSYNC_BENCH_SYNC_THROTTLE_MS ?? '0')

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context)
  if (!target.test(url)) return result
  const source = String(result.source)
  if (!source.includes('syncDebounceRate = 100;')) {
    throw new Error('sync-throttle-hook: DocSynchronizer no longer has `syncDebounceRate = 100;`')
  }
  return {
    ...result,
    source: source.replace('syncDebounceRate = 100;', `syncDebounceRate = ${ms};`),
  }
}
