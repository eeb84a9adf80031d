import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.source-conditions.js'

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'protocol',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
})
