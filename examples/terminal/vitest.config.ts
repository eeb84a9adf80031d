import { fileURLToPath } from 'node:url'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineProject } from 'vitest/config'

const svelteClient = fileURLToPath(
  import.meta.resolve('svelte').replace(/index-server\.js$/, 'index-client.js'),
)

export default defineProject({
  // Tests run in Node, where the plugin would compile runes for the server (effects never run)
  // and `svelte` would resolve to its server build: compile for the client and alias `svelte`
  // to its client entry, so the runes binding behaves as in the browser. Only `svelte` itself:
  // a global `browser` condition would also switch Node-side packages (the print encoder) to
  // their browser builds.
  plugins: [svelte({ dynamicCompileOptions: () => ({ generate: 'client' }) })],
  // @tabsync/* resolve to their sources (the "@tabsync/source" export condition): no build needed.
  resolve: {
    alias: [{ find: /^svelte$/, replacement: svelteClient }],
    conditions: ['@tabsync/source', ...defaultClientConditions],
  },
  ssr: { resolve: { conditions: ['@tabsync/source', ...defaultServerConditions] } },
  test: {
    name: 'terminal',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The browser tests share one Chromium and one build: run the files one after another.
    fileParallelism: false,
    server: { deps: { inline: [/node_modules\/svelte\//] } },
  },
})
