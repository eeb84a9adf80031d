// Child process: a Hocuspocus (Yjs) relay, the Yjs column beside the automerge-repo relays.
import { startHocuspocusRelay } from '../peers/hocuspocus-relay.js'
import { serve } from './serve.js'

const directory = process.env['TABSYNC_BENCH_DIR']
const token = process.env['TABSYNC_BENCH_SECRET']
if (!directory || !token) throw new Error('TABSYNC_BENCH_DIR and TABSYNC_BENCH_SECRET are required')
const relay = await startHocuspocusRelay(directory, token)
serve(
  {
    stats: () => ({ rssMb: process.memoryUsage().rss / 2 ** 20 }),
  },
  { port: relay.port, url: relay.url },
  () => relay.close(),
)
