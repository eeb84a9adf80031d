#!/usr/bin/env node
// The `tabsync-relay` executable (package.json `bin` -> dist/cli-main.js). In this workspace,
// bin/tabsync-relay.js runs the same file from the sources.
import { main } from './cli.js'

const code = await main(process.argv.slice(2))
if (code >= 0) process.exit(code)
