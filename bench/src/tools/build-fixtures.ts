// Builds (and caches) the day fixtures the full bench uses, so the bench run itself does not pay
// for them: `npx tsx bench/src/tools/build-fixtures.ts`.
import { cachedDay } from '../fixtures/day.js'

const log = (m: string) => process.stderr.write(`${m}\n`)
for (const size of [
  { orders: 2000, open: 60 },
  { orders: 150, open: 20 },
]) {
  const t = performance.now()
  await cachedDay(size, log)
  log(`${size.orders} orders ready in ${((performance.now() - t) / 1000).toFixed(1)} s`)
}
