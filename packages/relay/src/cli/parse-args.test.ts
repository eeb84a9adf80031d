import { describe, expect, test } from 'vitest'
import { parseCliArgs } from './parse-args.js'

describe('command line', () => {
  test('serve defaults and options', () => {
    expect(parseCliArgs(['serve'])).toMatchObject({
      command: 'serve',
      port: 8787,
      host: '127.0.0.1',
      dataDir: './.tabsync/relay',
      upstream: undefined,
    })
    expect(
      parseCliArgs([
        'serve',
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--data',
        '/d',
        '--upstream',
        'wss://cloud/sync',
        '--upstream',
        'wss://cloud-2/sync',
        '--upstream-token',
        't',
        '--max-frame-bytes',
        '65536',
        '--messages-per-second',
        '50',
      ]),
    ).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/d',
      upstream: { url: 'wss://cloud/sync', alternateUrls: ['wss://cloud-2/sync'], token: 't' },
      limits: { maxFrameBytes: 65536, messagesPerSecond: 50 },
    })
  })

  test('token arguments', () => {
    expect(
      parseCliArgs([
        'token',
        '--store',
        's1',
        '--store',
        's2,s3',
        '--device',
        'till-1',
        '--role',
        'terminal',
      ]),
    ).toEqual({
      command: 'token',
      storeIds: ['s1', 's2', 's3'],
      deviceId: 'till-1',
      role: 'terminal',
      ttl: '12h',
      dataDir: './.tabsync/relay',
    })
  })

  test('bad input is refused with a message', () => {
    expect(() => parseCliArgs(['serve', '--port', 'x'])).toThrow(/--port/)
    expect(() => parseCliArgs(['serve', '--upstream', 'ws://x/sync'])).toThrow(/go together/)
    expect(() =>
      parseCliArgs(['serve', '--upstream', 'http://x', '--upstream-token', 't']),
    ).toThrow(/ws:\/\//)
    expect(() => parseCliArgs(['token', '--device', 'd', '--role', 'terminal'])).toThrow(/--store/)
    expect(() =>
      parseCliArgs(['token', '--store', 's', '--device', 'd', '--role', 'chef']),
    ).toThrow(/--role/)
    expect(() => parseCliArgs(['frobnicate'])).toThrow(/Unknown command/)
    expect(() => parseCliArgs(['serve', '--nope'])).toThrow()
  })

  test('query-string tokens are off unless --allow-query-token; --keep-alive-ms sets the heartbeat', () => {
    expect(parseCliArgs(['serve'])).toMatchObject({
      allowQueryToken: false,
      keepAliveMs: undefined,
    })
    expect(parseCliArgs(['serve', '--allow-query-token', '--keep-alive-ms', '1000'])).toMatchObject(
      { allowQueryToken: true, keepAliveMs: 1000 },
    )
    expect(() => parseCliArgs(['serve', '--keep-alive-ms', '5'])).toThrow(/--keep-alive-ms/)
  })

  test('--max-kept-bytes bounds the writes kept while storage fails', () => {
    expect(parseCliArgs(['serve', '--max-kept-bytes', '4096'])).toMatchObject({
      maxKeptBytes: 4096,
    })
    expect(() => parseCliArgs(['serve', '--max-kept-bytes', '0'])).toThrow(/--max-kept-bytes/)
    expect(() => parseCliArgs(['serve', '--max-kept-bytes', '1e'])).toThrow(/--max-kept-bytes/)
  })

  test('--help and --version answer on every command, never as an unknown option', () => {
    for (const command of [[], ['serve'], ['token'], ['help']]) {
      expect(parseCliArgs([...command, '--help'])).toEqual({ command: 'help' })
      expect(parseCliArgs([...command, '-h'])).toEqual({ command: 'help' })
      expect(parseCliArgs([...command, '--version'])).toEqual({ command: 'version' })
      expect(parseCliArgs([...command, '-V'])).toEqual({ command: 'version' })
    }
    expect(parseCliArgs(['serve', '--port', '1', '--help'])).toEqual({ command: 'help' })
  })
})
