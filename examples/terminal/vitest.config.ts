import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineProject } from 'vitest/config'

// The svelte plugin compiles runes in `*.svelte.ts` for the unit tests of the reactive binding.
export default defineProject({
  // Tests run in Node, where the plugin would compile runes for the server (no effects): compile
  // for the client so `$effect` behaves as in the browser.
  plugins: [svelte({ dynamicCompileOptions: () => ({ generate: 'client' }) })],
  // Svelte's effects only run in its client build; Node-side modules are externalized and keep
  // Node's own resolution (ws, playwright-core, automerge's node entry).
  resolve: { conditions: ['browser'] },
  ssr: { resolve: { conditions: ['browser'], externalConditions: ['node'] } },
  test: {
    name: 'terminal',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The browser tests share one Chromium and one build: run the files one after another.
    fileParallelism: false,
    // Inline svelte so the `browser` condition above picks its client runtime.
    server: { deps: { inline: [/svelte/] } },
  },
})
