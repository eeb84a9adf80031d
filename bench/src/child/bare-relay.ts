// Child process: the bare WebSocket relay floor.
import { startBareRelay } from '../floors/bare-relay.js'
import { serve } from './serve.js'

const relay = await startBareRelay()
serve(
  { stats: () => ({ rssMb: process.memoryUsage().rss / 2 ** 20 }) },
  { port: relay.port, url: `ws://127.0.0.1:${relay.port}` },
  () => relay.close(),
)
