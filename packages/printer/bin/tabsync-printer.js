#!/usr/bin/env node
// The print bridge CLI: TypeScript sources run through tsx.
import { register } from 'tsx/esm/api'

register()
const { runBridgeCli } = await import('../src/cli/bridge-main.ts')
process.exit(await runBridgeCli(process.argv.slice(2)))
