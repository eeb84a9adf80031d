// The README's example runs, against a real relay.
import { expect, test } from 'vitest'
import { quickstart } from '../example/quickstart.js'

test('the quickstart example runs end to end', async () => {
  const lines: string[] = []
  const result = await quickstart((l) => lines.push(l))
  expect(result).toEqual({ orders: 1, status: 'paid', total: 2890 + 2 * 750 })
  expect(lines).toHaveLength(4)
})
