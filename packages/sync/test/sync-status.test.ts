import { expect, test } from 'vitest'
import { connectionState, type EndpointStatus } from '../src/index.js'

const ep = (kind: 'hub' | 'relay', state: EndpointStatus['state']): EndpointStatus => ({
  url: `ws://${kind}/sync`,
  kind,
  state,
  lastConnectedAt: null,
})

test('the connection state a terminal shows, for every mix of hub and relay', () => {
  expect(connectionState([])).toBe('offline')
  expect(connectionState([ep('relay', 'open')])).toBe('online')
  expect(connectionState([ep('relay', 'connecting')])).toBe('offline')
  expect(connectionState([ep('relay', 'token-rejected')])).toBe('offline')
  expect(connectionState([ep('hub', 'open')])).toBe('via-hub')
  expect(connectionState([ep('hub', 'open'), ep('relay', 'open')])).toBe('online')
  expect(connectionState([ep('hub', 'open'), ep('relay', 'closed')])).toBe('via-hub')
  expect(connectionState([ep('hub', 'closed'), ep('relay', 'open')])).toBe('via-relay')
  expect(connectionState([ep('hub', 'closed'), ep('relay', 'closed')])).toBe('offline')
})
