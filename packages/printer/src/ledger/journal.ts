import * as fs from 'node:fs'
import * as path from 'node:path'
import { PrinterError, PrinterErrorKind } from '../errors.js'

/**
 * An append-only journal file: one JSON object per line, each append written and fsync'd before
 * `append` returns. Synchronous on purpose: the exactly-once protocol needs "durable before the
 * next step" and a pure-JS file needs no native add-on to survive `kill -9` or a power cut.
 */
export interface Journal<T> {
  readonly path: string
  /** Writes one record as a line and fsyncs it. Throws if the journal is closed. */
  append(record: T): void
  close(): void
}

/** What {@link openJournal} found in the file. */
export interface OpenedJournal<T> {
  readonly journal: Journal<T>
  /** Every intact record, in file order. */
  readonly records: T[]
  /** Bytes of a torn tail (an interrupted last write) that were cut off, 0 when clean. */
  readonly truncatedBytes: number
}

/**
 * Opens (or creates) a journal. A torn tail, meaning an unterminated last line or invalid lines
 * with nothing valid after them, is what a crash mid-append leaves: it is cut off so the next
 * append starts on a clean line. An invalid line followed by valid ones is real corruption and
 * throws `ledger-corrupt` (a human must look; guessing could print twice).
 *
 * @param parse validates one decoded JSON value; throws on anything that is not a record.
 */
export function openJournal<T>(file: string, parse: (value: unknown) => T): OpenedJournal<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const existed = fs.existsSync(file)
  const content = existed ? fs.readFileSync(file) : Buffer.alloc(0)
  const records: T[] = []
  let validEnd = 0
  let offset = 0
  let firstBad: { line: number; error: string } | undefined
  let lineNo = 0
  while (offset < content.length) {
    const nl = content.indexOf(0x0a, offset)
    if (nl < 0) break // unterminated: torn
    lineNo++
    const text = content.subarray(offset, nl).toString('utf8')
    offset = nl + 1
    if (text.trim() === '') {
      if (!firstBad) validEnd = offset
      continue
    }
    try {
      const record = parse(JSON.parse(text))
      if (firstBad) {
        throw new PrinterError(
          PrinterErrorKind.ledgerCorrupt,
          `ledger ${file}: line ${firstBad.line} is unreadable (${firstBad.error}) and valid lines follow it`,
          { file, line: firstBad.line },
        )
      }
      records.push(record)
      validEnd = offset
    } catch (e) {
      if (e instanceof PrinterError) throw e
      firstBad ??= { line: lineNo, error: e instanceof Error ? e.message : String(e) }
    }
  }
  const truncatedBytes = content.length - validEnd
  if (truncatedBytes > 0) {
    fs.truncateSync(file, validEnd)
  }
  const fd = fs.openSync(file, 'a')
  if (truncatedBytes > 0) fs.fsyncSync(fd)
  if (!existed) fsyncDirectory(path.dirname(file))
  let open = true
  const journal: Journal<T> = {
    path: file,
    append(record) {
      if (!open) throw new PrinterError(PrinterErrorKind.stopped, 'the ledger is closed')
      // One write call per line: a crash leaves a whole line or a torn tail, never a mix.
      fs.writeSync(fd, JSON.stringify(record) + '\n')
      fs.fsyncSync(fd)
    },
    close() {
      if (!open) return
      open = false
      fs.closeSync(fd)
    },
  }
  return { journal, records, truncatedBytes }
}

/** Makes a newly created file's directory entry durable too (else a power cut can lose it). */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // Some file systems refuse fsync on directories; the file's own fsync still holds.
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}
