import { parseArgs } from 'node:util'
import { PRINTER_VERSION } from './version.js'
import { startFakePrinter, FakePrinterMode, type FakeReceipt } from '../fake/fake-printer.js'

const USAGE = `Usage: tabsync-fake-printer [--port 9100] [--host 127.0.0.1] [--mode ok]

A fake ESC/POS network printer: prints each ticket it receives as text on stdout.
Type a mode on stdin to change behaviour: ok, refuse, stall, drop, paper-out.

  --help, -h      this text
  --version, -V   the version of @tabsync/printer
`

/** Formats a received ticket for a terminal (a paper-like frame). */
export function formatReceipt(r: FakeReceipt): string {
  const width = Math.max(20, ...r.text.split('\n').map((l) => l.length))
  const edge = '+' + '-'.repeat(width + 2) + '+'
  const body = r.text.split('\n').map((l) => `| ${l.padEnd(width)} |`)
  const tail = r.complete ? edge : `${edge.slice(0, -1)}~ (connection lost mid-ticket)`
  return [edge, ...body, tail].join('\n') + '\n'
}

/** `tabsync-fake-printer`: runs until SIGINT/SIGTERM. Returns the exit code. */
export async function runFakePrinterCli(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '9100' },
      host: { type: 'string', default: '127.0.0.1' },
      mode: { type: 'string', default: 'ok' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  })
  if (values.version) {
    process.stdout.write(PRINTER_VERSION + '\n')
    return 0
  }
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  process.stderr.write(`tabsync-fake-printer ${PRINTER_VERSION}: starting\n`)
  const modes = Object.values(FakePrinterMode) as string[]
  const printer = await startFakePrinter({
    port: Number(values.port),
    host: values.host,
    onReceipt: (r) => process.stdout.write(formatReceipt(r)),
  })
  const setMode = async (mode: string) => {
    if (!modes.includes(mode)) return process.stderr.write(`modes: ${modes.join(', ')}\n`)
    await printer.setMode(mode as FakePrinterMode)
    process.stderr.write(`fake printer: ${mode}\n`)
  }
  await setMode(values.mode)
  process.stderr.write(`fake printer listening on ${printer.url}\n`)
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk: string) => {
    for (const line of chunk
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      setMode(line).catch((e: unknown) => process.stderr.write(`${String(e)}\n`))
    }
  })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  process.stdin.pause()
  await printer.close()
  return 0
}
