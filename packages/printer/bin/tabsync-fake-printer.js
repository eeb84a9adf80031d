#!/usr/bin/env node
// Development launcher, not published (the package's `bin` is the built dist/cli/fake-printer-bin.js): runs
// ../src/cli/fake-printer-bin.ts from the TypeScript sources through tsx, with the other @tabsync packages resolved to
// their sources too (the "@tabsync/source" export condition), so tests need no build.
import { register } from 'node:module'
import { register as registerTsx } from 'tsx/esm/api'

registerTsx()
register(
  'data:text/javascript,export function resolve(s, c, next) {' +
    ' return next(s, { ...c, conditions: [...c.conditions, "@tabsync/source"] }) }',
)
await import('../src/cli/fake-printer-bin.ts')
