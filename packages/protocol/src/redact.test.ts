import { expect, test } from 'vitest'
import { redactSecrets, redactUrl } from './redact.js'

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aWxsLTEifQ.c2lnbmF0dXJlLXBhcnQ'

test('JWTs, token parameters, bearer credentials and token subprotocols are redacted anywhere in a line', () => {
  const line = JSON.stringify({
    msg: `connect to ws://h/sync?token=opaque-123&x=1 failed`,
    header: 'Authorization: Bearer opaque-456',
    protocols: 'tabsync.v1, tabsync.token.opaque-789',
    err: `bad token ${JWT}`,
  })
  const out = redactSecrets(line)
  for (const secret of ['opaque-123', 'opaque-456', 'opaque-789', 'c2lnbmF0dXJlLXBhcnQ'])
    expect(out).not.toContain(secret)
  expect(out).toContain('x=1')
  expect(out).toContain('tabsync.v1')
  expect(JSON.parse(out)).toBeTypeOf('object')
})

test('lines without secrets pass unchanged, and URLs keep everything but the token', () => {
  const plain = '{"level":30,"deviceId":"till-1","msg":"peer joined"}'
  expect(redactSecrets(plain)).toBe(plain)
  expect(redactUrl(`wss://relay.example/sync?store=s1&token=${JWT}`)).toBe(
    'wss://relay.example/sync?store=s1&token=[redacted]',
  )
  expect(redactUrl('ws://hub.local:8787/sync')).toBe('ws://hub.local:8787/sync')
})
