/**
 * What @tabsync/sync logs through: the four methods of a pino logger, so a pino instance (or a
 * child of one) is passed as is. Fields first, message second, as pino takes them:
 * `logger.warn({ err, documentId }, 'catch-up fetch failed')`.
 */
export interface Logger {
  debug(fields: object, message?: string): void
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
  error(fields: object, message?: string): void
}

const noop = (): void => {}

/** Logs nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

/**
 * The default of `openDevice`: warnings and errors on the console (prefixed `@tabsync/sync`),
 * nothing below. A failure a device works around (a peer's bad frame, a storage write that did
 * not happen, a server that refused a bulk fetch) is then visible without setup, and routine
 * events (a relay not reachable while offline) stay quiet; pass a pino logger for everything.
 */
export const consoleLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (fields, message) => console.warn(`@tabsync/sync: ${message ?? ''}`, fields),
  error: (fields, message) => console.error(`@tabsync/sync: ${message ?? ''}`, fields),
}
