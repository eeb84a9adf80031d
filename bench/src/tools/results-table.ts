// Prints a results file as a Markdown table: `npx tsx bench/src/tools/results-table.ts <file.json>`.
import { readFile } from 'node:fs/promises'
import { table, type ResultFile } from '../report.js'

const file = process.argv[2]
if (!file) throw new Error('usage: results-table <results.json>')
const result = JSON.parse(await readFile(file, 'utf8')) as ResultFile
const m = result.machine
process.stdout.write(
  `${result.mode} run, ${result.date.slice(0, 16).replace('T', ' ')} UTC, commit ${result.commit.slice(0, 8)}${result.dirty ? ' (dirty tree)' : ''}, ` +
    `${m.cores} × ${m.cpu}, ${Math.round(m.memoryMb / 1024)} GB, Node ${m.node}, load average at the end ${m.loadAverage.join(' / ')}, ` +
    `${result.durationSec} s; automerge ${result.versions['@automerge/automerge']}, automerge-repo ${result.versions['@automerge/automerge-repo']}, yjs ${result.versions['yjs']}.\n\n`,
)
process.stdout.write(`${table(result.figures, true)}\n`)
for (const s of result.skipped)
  process.stdout.write(`\nNot completed: ${s.workload}: ${s.reason.split('\n')[0]}\n`)
