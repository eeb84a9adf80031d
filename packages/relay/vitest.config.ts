import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.source-conditions.js'

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'relay',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
