import * as A from '@automerge/automerge'
import { assertWritable } from '../schema/compat.js'
import { migrate, MIGRATIONS, type MigrationRegistry } from '../schema/migrations.js'

/**
 * Runs a command on a document the way every device must: a document written by a newer version
 * is refused (`newer-schema`, nothing written), an older one is first raised with the
 * deterministic migrations, then the command runs inside one Automerge change. A command that
 * throws leaves the document as it was (migrated or not). `@tabsync/sync`'s `device.run` does
 * the same on a repo handle.
 *
 * @example
 * const { doc: next, result: lineId } = runCommand(doc, (d) => addLine(d, ctx, { itemId: 'fries' }))
 */
export function runCommand<T, R>(
  doc: A.Doc<T>,
  command: (doc: T) => R,
  registry: MigrationRegistry = MIGRATIONS,
): { doc: A.Doc<T>; result: R } {
  assertWritable(doc, registry)
  const migrated = migrate(doc, registry)
  let result: R | undefined
  const changed = A.change(migrated, (d) => {
    result = command(d as T)
  })
  return { doc: changed, result: result as R }
}
