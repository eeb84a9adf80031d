#!/usr/bin/env node
// The `tabsync-fake-printer` executable (package.json `bin` -> dist/cli/fake-printer-bin.js): a
// fake ESC/POS network printer for tests and the demo. In this workspace,
// bin/tabsync-fake-printer.js runs the same file from the sources.
import { runFakePrinterCli } from './fake-printer-main.js'

process.exit(await runFakePrinterCli(process.argv.slice(2)))
