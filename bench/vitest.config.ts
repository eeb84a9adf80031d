import { defineProject } from 'vitest/config'
import { sourceConditions } from '../vitest.source-conditions.js'

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'bench',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
})
