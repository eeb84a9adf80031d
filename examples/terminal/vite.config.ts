import { fileURLToPath } from 'node:url'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defaultClientConditions, defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

export default defineConfig({
  plugins: [
    svelte(),
    VitePWA({
      registerType: 'autoUpdate',
      // Deferred: a parser-blocking script held the start chunk (and the floor) back.
      injectRegister: 'script-defer',
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png'],
      manifest: {
        name: 'Tabsync Terminal',
        short_name: 'Tabsync',
        description: 'Offline-first point-of-sale terminal (demo).',
        theme_color: '#1f2a37',
        background_color: '#f3f4f6',
        display: 'standalone',
        orientation: 'any',
        start_url: '/',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        // The Automerge wasm is ~3.6 MB: without this the app cannot start offline.
        maximumFileSizeToCacheInBytes: 12 * 1024 * 1024,
        globPatterns: ['**/*.{js,css,html,wasm,svg,png,webmanifest}'],
        navigateFallback: 'index.html',
        // Pairing, time and sync are live endpoints, never served from the cache.
        navigateFallbackDenylist: [
          /^\/pairing\.json/,
          /^\/time/,
          /^\/sync/,
          /^\/documents/,
          /^\/healthz/,
        ],
      },
    }),
  ],
  // The @tabsync/* packages from their sources (their "@tabsync/source" export condition), so the
  // terminal builds and reloads without building the packages first.
  resolve: {
    conditions: ['@tabsync/source', ...defaultClientConditions],
    // Automerge initialized from the wasm the start chunk fetches and compiles early
    // (src/lib/automerge-wasm.ts), for the app and the @tabsync/* packages alike.
    alias: [
      {
        find: /^@automerge\/automerge$/,
        replacement: fileURLToPath(new URL('src/lib/automerge-start.ts', import.meta.url)),
      },
    ],
  },
  // `vite dev` must not pre-bundle Automerge (its wasm import breaks in the optimizer).
  optimizeDeps: { exclude: ['@automerge/automerge'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  worker: { format: 'es' },
})
