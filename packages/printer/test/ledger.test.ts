import * as fs from 'node:fs'
import * as path from 'node:path'
import { expect, test } from 'vitest'
import { openJournal } from '../src/ledger/journal.js'
import { INTERRUPTED, openPrintLedger } from '../src/ledger/print-ledger.js'
import { tempDir } from './helpers.js'

const parseAny = (v: unknown) => {
  if (typeof v !== 'object' || v === null || !('n' in v)) throw new Error('not a record')
  return v as { n: number }
}

test('a torn last line (a crash mid-append) is cut off and appending resumes on a clean line', () => {
  const file = path.join(tempDir(), 'j.jsonl')
  const first = openJournal(file, parseAny)
  first.journal.append({ n: 1 })
  first.journal.append({ n: 2 })
  first.journal.close()
  fs.appendFileSync(file, '{"n":3, "torn')
  const second = openJournal(file, parseAny)
  expect(second.records).toEqual([{ n: 1 }, { n: 2 }])
  expect(second.truncatedBytes).toBe('{"n":3, "torn'.length)
  second.journal.append({ n: 4 })
  second.journal.close()
  expect(fs.readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n')
})

test('garbage at the end (power cut) is a torn tail; garbage followed by records is corruption', () => {
  const dir = tempDir()
  const tail = path.join(dir, 'tail.jsonl')
  fs.writeFileSync(tail, '{"n":1}\n\u0000\u0000\u0000\n')
  expect(openJournal(tail, parseAny).records).toEqual([{ n: 1 }])
  const middle = path.join(dir, 'middle.jsonl')
  fs.writeFileSync(middle, '{"n":1}\nnot json\n{"n":2}\n')
  expect(() => openJournal(middle, parseAny)).toThrow(/line 2 is unreadable/)
})

test('the ledger replays transitions; a ticket left in SENDING comes back uncertain', () => {
  const dir = tempDir()
  const a = openPrintLedger(dir)
  const j1 = a.beginSend({
    printerId: 'p',
    ticketId: 't1',
    orderUrl: 'automerge:o',
    quantities: { l1: 2 },
    reprint: false,
  })
  a.printed('p', 't1', j1)
  a.recorded('p', 't1', j1, 'printed')
  a.beginSend({
    printerId: 'p',
    ticketId: 't2',
    orderUrl: 'automerge:o',
    quantities: { l2: 1 },
    reprint: false,
  })
  a.duplicate('p', 't3', 'automerge:o')
  a.close()

  const b = openPrintLedger(dir)
  expect(b.get('p', 't1')).toMatchObject({ state: 'printed', uncertain: false, unrecorded: [] })
  expect(b.get('p', 't2')).toMatchObject({
    state: 'sending',
    uncertain: true,
    uncertainReason: INTERRUPTED,
    quantities: { l2: 1 },
  })
  expect(b.get('p', 't3')).toMatchObject({
    state: 'duplicate',
    unrecorded: [{ outcome: 'duplicate' }],
  })
  // A human confirms t2; a reprint of t1 is recorded as a reprint.
  b.confirm('p', 't2')
  const j2 = b.beginSend({
    printerId: 'p',
    ticketId: 't1',
    orderUrl: 'automerge:o',
    quantities: { l1: 2 },
    reprint: true,
  })
  b.printed('p', 't1', j2)
  b.close()

  const c = openPrintLedger(dir)
  expect(c.get('p', 't2')).toMatchObject({ state: 'printed', unrecorded: [{ outcome: 'printed' }] })
  expect(c.get('p', 't1')).toMatchObject({
    state: 'printed',
    reprints: 1,
    quantities: { l1: 2 },
    unrecorded: [{ outcome: 'reprinted' }],
  })
  c.close()
})

test('settled entries older than the retention are compacted away; open ones are kept', () => {
  const dir = tempDir()
  let now = 1_000
  const a = openPrintLedger(dir, { now: () => now })
  const j = a.beginSend({
    printerId: 'p',
    ticketId: 'old',
    orderUrl: 'automerge:o',
    quantities: { l: 1 },
    reprint: false,
  })
  a.printed('p', 'old', j)
  a.recorded('p', 'old', j, 'printed')
  a.beginSend({
    printerId: 'p',
    ticketId: 'stuck',
    orderUrl: 'automerge:o',
    quantities: { l: 1 },
    reprint: false,
  })
  a.close()
  now += 10 * 24 * 3_600_000
  const b = openPrintLedger(dir, { now: () => now })
  expect(b.get('p', 'old')).toBeUndefined()
  expect(b.get('p', 'stuck')?.uncertain).toBe(true)
  b.close()
  expect(
    fs.readFileSync(path.join(dir, 'print-ledger.jsonl'), 'utf8').trim().split('\n'),
  ).toHaveLength(1)
})
