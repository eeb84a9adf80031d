/*
 * Which order documents a device has loaded (opened) so far: the terminal puts them in the
 * detail of its `tabsync:terminal` mark, so the browser tests and the bench can count what a start
 * opened before its floor was on screen (issue 15: the floor needs no closed check opened).
 */
import type { Repo } from '@automerge/automerge-repo'

/** URLs of the order documents loaded in `repo` now. */
export function loadedOrderUrls(repo: Repo): string[] {
  return Object.values(repo.handles).flatMap((h) => {
    if (!h.isReady()) return []
    // `kind` is stored as an immutable string: its text is its String().
    const kind = (h.doc() as { kind?: unknown } | undefined)?.kind
    return kind !== undefined && String(kind) === 'order' ? [h.url] : []
  })
}
