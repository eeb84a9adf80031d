import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.source-conditions.js'

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'sync',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
