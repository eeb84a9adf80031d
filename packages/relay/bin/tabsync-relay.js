#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npx tabsync-relay` works straight after npm install.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli-main.ts')
