// Entry point run by bin/tabsync-relay.js.
import { main } from './cli.js'

const code = await main(process.argv.slice(2))
if (code >= 0) process.exit(code)
