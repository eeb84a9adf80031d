import * as A from '@automerge/automerge'
import type { Encoded } from './encoding.js'
import { encode, text } from './encoding.js'
import { CURRENT_SCHEMA } from './version.js'

/** A tax rate in basis points (2000 = 20%), either included in menu prices or added on top. */
export interface TaxRate {
  readonly id: string
  readonly name: string
  readonly basisPoints: number
  readonly inclusive: boolean
}

export interface Category {
  readonly id: string
  readonly name: string
  readonly position: number
}

/** One choice inside a modifier group, with its price in minor units (may be 0). */
export interface ModifierOption {
  readonly id: string
  readonly name: string
  readonly price: number
}

/** E.g. "Cooking" (pick exactly 1) or "Extras" (pick 0-3). */
export interface ModifierGroup {
  readonly id: string
  readonly name: string
  readonly min: number
  readonly max: number
  readonly options: readonly ModifierOption[]
}

export interface MenuItem {
  readonly id: string
  readonly name: string
  readonly categoryId: string
  /** Price in minor units. */
  readonly price: number
  /** Kitchen station that cooks it ('grill', 'bar', ...). */
  readonly station: string
  readonly taxRateId: string
  readonly modifierGroupIds: readonly string[]
  /** Course it is usually served in (1 = starters); staff may change it per line. */
  readonly course: number
}

/** A table, bar seat or takeaway slot, with the URL of its table document. */
export interface TableInfo {
  readonly id: string
  readonly label: string
  readonly seats: number
  readonly area: string
  readonly url: string
}

/** A table before its document exists (what a back office fills in to create a store). */
export type TableInit = Omit<TableInfo, 'url'>

export const DeviceRole = {
  terminal: 'terminal',
  /** A kitchen display: bumps tickets, nothing else (the relay enforces it). */
  kitchen: 'kitchen',
  hub: 'hub',
  printer: 'printer',
  backoffice: 'backoffice',
} as const
export type DeviceRole = (typeof DeviceRole)[keyof typeof DeviceRole]

export interface DeviceInfo {
  readonly id: string
  readonly name: string
  readonly role: DeviceRole
}

/** A kitchen printer and the stations whose tickets it prints. */
export interface PrinterInfo {
  readonly id: string
  readonly name: string
  readonly stations: readonly string[]
  /**
   * What characters this printer can print. Absent: the print bridge's default (Epson numbering,
   * code pages 437, 858, 852 and 866, which nearly every ESC/POS printer has). Text no listed
   * code page has is printed as a readable fallback, never as a guessed glyph.
   */
  readonly charset?: PrinterCharset
}

/** The code pages one printer has, as the print bridge's encoder names them. */
export interface PrinterCharset {
  /**
   * Whose numbering of code pages the printer uses (the `ESC t n` table): 'epson', 'star',
   * 'bixolon', 'citizen', 'xprinter', ... as @point-of-sale/receipt-printer-encoder names them.
   */
  readonly mapping: string
  /** Code pages to use, in order of preference, e.g. ['cp437', 'cp858', 'cp737', 'cp866']. */
  readonly codepages: readonly string[]
}

/** Everything a device needs about a store, reachable from the store document's URL. */
export interface StoreData {
  readonly schema: number
  readonly kind: 'store'
  readonly storeId: string
  readonly name: string
  /** ISO 4217, e.g. 'EUR'. */
  readonly currency: string
  /** IANA time zone of the store, for business days and hourly reports. */
  readonly timeZone: string
  /** Hour (0-23, store time) when the business day starts. */
  readonly dayStartHour: number
  readonly taxRates: Readonly<Record<string, TaxRate>>
  readonly categories: Readonly<Record<string, Category>>
  readonly modifierGroups: Readonly<Record<string, ModifierGroup>>
  readonly items: Readonly<Record<string, MenuItem>>
  readonly tables: Readonly<Record<string, TableInfo>>
  readonly devices: Readonly<Record<string, DeviceInfo>>
  readonly printers: Readonly<Record<string, PrinterInfo>>
  /**
   * First business date (YYYY-MM-DD) whose order references live in table-day documents
   * (table-day.ts) rather than in the table documents. Absent: the store has not opted in and
   * every device files references in the table documents, as the previous version does. Set by
   * `startTableDays` (or at creation); read it with {@link tableDaysFrom}.
   */
  readonly tableDaysFrom?: string
}

/** The store document as stored in Automerge. */
export type StoreDoc = Encoded<StoreData>

/** What a back office provides to create a store; `schema` and `kind` are filled in. */
export type StoreInit = Omit<StoreData, 'schema' | 'kind'>

/**
 * The initial content of a store document, for `A.from` or `repo.create`.
 * Create the table documents first: each table carries its document URL.
 */
export function initStoreDoc(init: StoreInit): StoreDoc {
  return encode<StoreData>({ ...init, schema: CURRENT_SCHEMA.store, kind: 'store' })
}

/**
 * The store's `tableDaysFrom`: in a document, the earliest of the values two managers wrote at
 * once (the later one would send readers of the days between to the table documents, past
 * references filed in table-days). Undefined when the store has not opted in.
 */
export function tableDaysFrom(store: StoreDoc | StoreData): string | undefined {
  const value = store.tableDaysFrom as A.ImmutableString | string | undefined
  if (value === undefined) return undefined
  let from = text(value)
  if (A.isAutomerge(store)) {
    const values = A.getConflicts(store as A.Doc<Record<string, unknown>>, 'tableDaysFrom') ?? {}
    for (const v of Object.values(values)) {
      const date = typeof v === 'string' ? v : A.isImmutableString(v) ? v.val : ''
      if (date !== '' && date < from) from = date
    }
  }
  return from
}

/** True when the references of business day `date` live in table-day documents. */
export function usesTableDays(store: StoreData, date: string): boolean {
  const from = store.tableDaysFrom
  return from !== undefined && date >= from
}
