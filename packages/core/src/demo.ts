// @tabsync/core/demo: a complete demo store, so a terminal, a test or a benchmark can start with
// nothing set up. Not part of the order model.

export { demoStoreInit, DEMO_TABLES } from './demo/demo-store.js'
export type { DemoTable } from './demo/demo-store.js'
