// `--import` this to run a plain automerge-repo with its per-document sync throttle set to
// TABSYNC_BENCH_SYNC_THROTTLE_MS (stock: 100 ms, not configurable in 2.5.6). Bench only.
import { register } from 'node:module'

register('./sync-throttle-hook.mjs', import.meta.url)
