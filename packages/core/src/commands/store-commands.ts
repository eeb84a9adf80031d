import { check, TabsyncError, ErrorKind } from '../errors.js'
import { isId } from '../ids.js'
import { encode } from '../schema/encoding.js'
import { tableDaysFrom, type DeviceInfo, type StoreDoc, type TableInfo } from '../schema/store.js'
import { append, checkInt, checkText } from './context.js'

/** Adds or renames a device of the store (back office, or a device pairing itself). */
export function registerDevice(doc: StoreDoc, device: DeviceInfo): void {
  check(isId(device.id), 'device id is malformed')
  checkText(device.name, 80, 'device name', true)
  check(['terminal', 'hub', 'printer', 'backoffice'].includes(device.role), 'unknown device role')
  const existing = doc.devices[device.id]
  if (existing && existing.name.val === device.name && existing.role.val === device.role) return
  append(doc.devices, device.id, encode(device))
}

/** Adds a table whose table document already exists at `table.url`. */
export function addTable(doc: StoreDoc, table: TableInfo): void {
  check(isId(table.id), 'table id is malformed')
  check(!doc.tables[table.id], `table ${table.id} exists already`)
  checkText(table.label, 40, 'label', true)
  checkText(table.area, 40, 'area', true)
  checkInt(table.seats, 0, 99, 'seats')
  check(table.url.startsWith('automerge:'), 'table url must be an automerge URL')
  append(doc.tables, table.id, encode(table))
}

/**
 * Opts the store in to table-day documents from business date `from` (YYYY-MM-DD; a manager's
 * command, or set at creation): from that day on, devices of this version file order
 * references in table-day documents and retire the table documents, which tills of the
 * previous version then refuse to write ("update this device"). Update those tills and the
 * relays first. Only ever moves earlier: a later date would send readers of the days between
 * to the table documents. Returns whether it wrote.
 */
export function startTableDays(doc: StoreDoc, from: string): boolean {
  if (typeof from !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(from)) {
    throw new TabsyncError(ErrorKind.invalidInput, `tableDaysFrom must be YYYY-MM-DD, not ${from}`)
  }
  const current = tableDaysFrom(doc)
  if (current !== undefined && current <= from) return false
  ;(doc as { tableDaysFrom?: unknown }).tableDaysFrom = encode(from)
  return true
}
