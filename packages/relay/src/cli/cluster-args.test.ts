import { describe, expect, test } from 'vitest'
import { isRelayError } from '../errors.js'
import { clusterArgs } from './cluster-args.js'
import { parseCliArgs } from './parse-args.js'

const server = { host: '10.0.0.5', port: 8787 }

describe('cluster arguments', () => {
  test('without --postgres (flag or env) the relay is a single node on files', () => {
    expect(parseCliArgs(['serve'])).toMatchObject({ cluster: undefined })
    expect(clusterArgs({}, server, {})).toBeUndefined()
  })

  test('flags win over the environment, advertise defaults to the concrete host and port', () => {
    expect(
      parseCliArgs([
        'serve',
        '--postgres',
        'postgres://db/x',
        '--node-id',
        'n1',
        '--lease-ms',
        '3000',
      ]),
    ).toMatchObject({
      cluster: {
        postgres: 'postgres://db/x',
        nodeId: 'n1',
        advertise: 'ws://127.0.0.1:8787/sync',
        leaseMs: 3000,
      },
    })
    const env = {
      TABSYNC_POSTGRES_URL: 'postgres://env/db',
      TABSYNC_NODE_ID: 'env-node',
      TABSYNC_ADVERTISE: 'wss://env.example/sync',
      TABSYNC_LEASE_MS: '5000',
      TABSYNC_WRITE_AUDIT: '1',
    }
    expect(clusterArgs({}, server, env)).toEqual({
      postgres: 'postgres://env/db',
      nodeId: 'env-node',
      advertise: 'wss://env.example/sync',
      leaseMs: 5000,
      writeAudit: true,
    })
    expect(clusterArgs({ 'node-id': 'flag-node' }, server, env)?.nodeId).toBe('flag-node')
  })

  test.each([
    [{ 'node-id': 'n1' }, server],
    [{ postgres: 'mysql://x' }, server],
    [{ postgres: 'postgres://x', 'lease-ms': '50' }, server],
    [{ postgres: 'postgres://x' }, { host: '0.0.0.0', port: 8787 }],
    [{ postgres: 'postgres://x' }, { host: '127.0.0.1', port: 0 }],
    [{ postgres: 'postgres://x', advertise: 'http://x/sync' }, server],
    [{ postgres: 'postgres://x', advertise: `ws://${'a'.repeat(120)}/sync` }, server],
  ])('bad cluster arguments are refused with a typed error: %j on %j', (values, at) => {
    let error: unknown
    try {
      clusterArgs(values, at, {})
    } catch (e) {
      error = e
    }
    expect(isRelayError(error, 'invalid-input')).toBe(true)
  })
})
