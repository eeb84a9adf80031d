import {
  deliverSteadySyncDirectly,
  shortcutIdleBeginSync,
  type RepoLike,
  type SteadySyncOptions,
} from '@tabsync/protocol'
import { EdgeDecodeHandoffMode, installEdgeDecodeHandoff } from './edge-decode-handoff.js'
import { shortcutUnchangedDocs, UnchangedDocShortcutMode } from './unchanged-doc-shortcut.js'
import { keepSyncStatesInWasm, WasmSyncStatesMode } from './wasm-sync-states.js'

// The relay's cuts of automerge-repo's and Automerge's per-message work (issue 17), installed
// together on the relay's repo at start. Each is a run-time hook that checks it takes effect and
// otherwise leaves the stock behaviour; each not taking effect is one `warn` line at start.
// Their upstream forms, where there is one: patches/README.md.

/** The shortcuts, by name (the bench's replay tool installs them one at a time). */
export const MessageShortcut = {
  /** Sync states kept in WebAssembly between calls (wasm-sync-states.ts). */
  syncStates: 'sync-states',
  /** The repo takes the edge's decode of a sync message (edge-decode-handoff.ts). */
  edgeDecode: 'edge-decode',
  /** automerge-repo's per-message `beginSync([])` answered at once (@tabsync/protocol). */
  idleBeginSync: 'idle-begin-sync',
  /** A root that did not change rebuilt in JavaScript (unchanged-doc-shortcut.ts). */
  unchangedDocs: 'unchanged-docs',
  /** Steady sync messages skip the share round over every peer (@tabsync/protocol). */
  steadySync: 'steady-sync',
} as const
export type MessageShortcut = (typeof MessageShortcut)[keyof typeof MessageShortcut]

export const MESSAGE_SHORTCUTS: readonly MessageShortcut[] = Object.values(MessageShortcut)

/** Where a shortcut that did not take effect is told (the relay's logger). */
export interface ShortcutLog {
  warn(message: string): void
}

const unsupported: Record<MessageShortcut, string> = {
  'sync-states':
    'Automerge is out of reach of the sync-state hook: states are converted per message',
  'edge-decode':
    'Automerge is out of reach of the decode hand-off: sync messages are decoded twice',
  'idle-begin-sync':
    'automerge-repo internals differ: every message begins a sync with no new peer at full cost',
  'unchanged-docs':
    'Automerge is out of reach of the unchanged-document shortcut: acks rebuild the root in wasm',
  'steady-sync':
    'automerge-repo internals differ: every message asks the share config about every peer',
}

/**
 * Installs the message shortcuts (`only`: some of them) for `repo`; the Automerge ones are
 * process-wide. `share` answers the repo's share config synchronously (see
 * `deliverSteadySyncDirectly`). Call right after `new Repo(...)`.
 *
 * @returns the shortcuts that took effect.
 */
export function installMessageShortcuts(
  repo: RepoLike,
  log: ShortcutLog,
  share: SteadySyncOptions,
  only: readonly MessageShortcut[] = MESSAGE_SHORTCUTS,
): MessageShortcut[] {
  const install: Record<MessageShortcut, () => boolean> = {
    'sync-states': () => keepSyncStatesInWasm() === WasmSyncStatesMode.installed,
    'edge-decode': () => installEdgeDecodeHandoff() === EdgeDecodeHandoffMode.installed,
    'idle-begin-sync': () => shortcutIdleBeginSync(repo),
    'unchanged-docs': () => shortcutUnchangedDocs() === UnchangedDocShortcutMode.installed,
    'steady-sync': () => deliverSteadySyncDirectly(repo, share),
  }
  const installed: MessageShortcut[] = []
  for (const name of only) {
    if (install[name]()) installed.push(name)
    else log.warn(unsupported[name])
  }
  return installed
}
