// The one list of test projects. Vitest 4 dropped workspace files, so this is a plain config with
// `test.projects`; `npm test` points vitest at it with `--config vitest.workspace.ts`.
import { defineConfig } from 'vitest/config'
import { sourceConditions } from './vitest.source-conditions.js'

export default defineConfig({
  test: {
    projects: [
      'packages/core',
      'packages/protocol',
      'packages/sync',
      'packages/relay',
      'packages/printer',
      'examples/terminal',
      'bench',
      // The root README's embedding example, run as written.
      {
        ...sourceConditions,
        test: { name: 'docs', root: 'docs', include: ['*.test.ts'], testTimeout: 60_000 },
      },
    ],
  },
})
