#!/usr/bin/env node
// A fake ESC/POS network printer for tests and the demo: prints tickets as text on stdout.
import { register } from 'tsx/esm/api'

register()
const { runFakePrinterCli } = await import('../src/cli/fake-printer-main.ts')
process.exit(await runFakePrinterCli(process.argv.slice(2)))
