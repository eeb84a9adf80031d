#!/usr/bin/env node
// The `tabsync-printer` executable (package.json `bin` -> dist/cli/bridge-bin.js). In this
// workspace, bin/tabsync-printer.js runs the same file from the sources.
import { runBridgeCli } from './bridge-main.js'

process.exit(await runBridgeCli(process.argv.slice(2)))
