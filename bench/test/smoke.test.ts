import { afterAll, expect, test } from 'vitest'
import { killAllChildren, startChild } from '../src/child/processes.js'
import { Path, Recorder, Unit, repeat } from '../src/figures.js'
import { inProcessSync, oneChangeMessage } from '../src/floors/automerge-sync.js'
import { bareForward } from '../src/floors/ws-floor.js'
import { table, type ResultFile } from '../src/report.js'
import { distribution } from '../src/stats.js'

afterAll(() => killAllChildren())

test('a tiny floor workload runs in a child process and yields well-formed figures', async () => {
  const relay = await startChild('bare-relay')
  const url = String(relay.ready['url'])
  expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
  const payload = oneChangeMessage()
  const recorder = new Recorder()
  const v = await repeat(2, async () => {
    const samples = await bareForward(url, { count: 10, intervalMs: 2, payload })
    expect(samples).toHaveLength(10)
    const inproc = inProcessSync(3)
    return {
      bare: distribution(samples).p50,
      inproc: distribution(inproc.samples).p50,
      bytes: inproc.messageBytes,
    }
  })
  await relay.stop()
  const floor = recorder.record(
    'smoke',
    { name: 'bare p50', path: Path.floor, unit: Unit.ms },
    v['bare'] as number[],
  )
  recorder.record(
    'smoke',
    { name: 'in-process p50', path: Path.floor, unit: Unit.ms, vs: floor, target: { value: 1e9 } },
    v['inproc'] as number[],
  )
  recorder.record(
    'smoke',
    { name: 'message bytes', path: Path.automerge, unit: Unit.bytes },
    v['bytes'] as number[],
  )

  const figures = recorder.figures()
  expect(figures.map((f) => f.id)).toEqual([
    'smoke.bare p50',
    'smoke.in-process p50',
    'smoke.message bytes',
  ])
  for (const f of figures) {
    expect(f.runs).toBe(2)
    expect(f.min).toBeLessThanOrEqual(f.median)
    expect(f.median).toBeLessThanOrEqual(f.max)
    expect(f.min).toBeGreaterThan(0)
  }
  const inproc = figures[1]
  expect(inproc?.vs).toBe('smoke.bare p50')
  expect(inproc?.ratio).toBeGreaterThan(0)
  expect(inproc?.met).toBe(true)
  expect(figures[0]?.ratio).toBeNull()
  expect(figures[2]?.median).toBeGreaterThan(100)

  // The table names every figure; the results file round-trips through JSON.
  const text = table(figures)
  for (const f of figures) expect(text).toContain(f.name)
  const file: Pick<ResultFile, 'figures'> = JSON.parse(JSON.stringify({ figures })) as never
  expect(file.figures).toEqual(figures)
})

test('a figure reported in only some runs is an error, not a silent gap', async () => {
  await expect(repeat(2, (run) => (run === 0 ? { a: 1, b: 2 } : { a: 1 }))).rejects.toThrow(
    /b was reported in 1\/2 runs/,
  )
  await expect(repeat(1, () => ({ a: Number.NaN }))).rejects.toThrow(/not a finite number/)
})
