/*
 * Every refusal staff see, in their words: core's typed errors (kind, details, and the message
 * core wrote for developers) mapped to sentences, amounts in the store's currency format. The
 * one place the terminal turns an error into text.
 */
import { isTabsyncError } from '@tabsync/core'
import { isSyncError } from '@tabsync/sync'

/** What a sentence needs from the store. */
export interface MessageContext {
  /** Minor units to the store's currency, e.g. 2700 -> "€27.00". */
  readonly money: (minor: number) => string
}

type Rule = readonly [RegExp, (m: RegExpExecArray, c: MessageContext) => string]

// Core's messages for developers, by the words core uses (see @tabsync/core commands).
const RULES: readonly Rule[] = [
  [
    /^amount (\d+) is more than the (-?\d+) due$/,
    (m, c) => `${c.money(Number(m[1]))} is more than the ${c.money(Number(m[2]))} due.`,
  ],
  [
    /^Balance due: (-?\d+)$/,
    (m, c) => `${c.money(Number(m[1]))} is still due: take payment first.`,
  ],
  [
    /^cash tendered is less than amount \+ tip$/,
    () => 'The cash given is less than the amount and tip.',
  ],
  [
    /^a reason is required to void a fired line$/,
    () => 'Give a reason: this line was already sent to the kitchen.',
  ],
  [
    /^(.+): choose (\d+) to (\d+)$/,
    (m) => (m[2] === m[3] ? `${m[1]}: choose ${m[2]}.` : `${m[1]}: choose ${m[2]} to ${m[3]}.`),
  ],
  [/^quantity cannot exceed (\d+)$/, (m) => `At most ${m[1]} of one line.`],
  [/^guests cannot go below 0$/, () => 'There are no guests to remove.'],
  [
    /^unknown menu item /,
    () => 'That item is no longer on the menu: it may have been changed on another device.',
  ],
  [/^unknown line /, () => 'That line is no longer on this check: another device changed it.'],
  [/^unknown table /, () => 'That table is no longer in the floor plan.'],
  [/^unknown payment /, () => 'That payment is no longer on this check.'],
  [/^there is no check (\d+)$/, (m) => `There is no check ${m[1]} any more: the split changed.`],
  [/^(.+) is (already )?voided$/, (m) => `${m[1]} is voided.`],
  [/^that line is voided$/, () => 'That line is voided.'],
  [/^the VOID ticket was already sent$/, () => 'The VOID ticket was already sent to the kitchen.'],
  [/^give a percentage or an amount, not both$/, () => 'Give a percentage or an amount, not both.'],
  [
    /^(\w+) must be a whole number from (\d+) to (\d+)$/,
    (m) => `${capital(m[1]!)} must be a whole number from ${m[2]} to ${m[3]}.`,
  ],
  [/^(.+) is required$/, (m) => `${capital(m[1]!)} is required.`],
]

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/**
 * The sentence to show for an error a command threw.
 *
 * @example
 * humanMessage(new TabsyncError('invalid-input', 'amount 50000 is more than the 2700 due'), ctx)
 * // '€500.00 is more than the €27.00 due.'
 */
export function humanMessage(e: unknown, c: MessageContext): string {
  // Only core's refusals map to the sentences below: a SyncError is also a TabsyncError, and its
  // `closed` (the device) or `forbidden` (another store's document) must not read as a check's.
  if (!isTabsyncError(e) || isSyncError(e)) {
    return 'Could not save on this device. Try again; if it persists, reload.'
  }
  const text = e.message
  for (const [re, say] of RULES) {
    const m = re.exec(text)
    if (m) return say(m, c)
  }
  switch (e.kind) {
    case 'closed':
      return 'This check is closed. Reopen it first.'
    case 'already-fired':
      return 'That was already sent to the kitchen.'
    case 'forbidden':
      return 'This device is not allowed to do that.'
    case 'conflict':
      return 'Another device changed this at the same time: look at Review.'
    case 'not-found':
      return 'That is no longer there: another device changed it.'
    default:
      // A message core wrote for people already (a full sentence), shown as is.
      return /^[A-Z].*[.!]$/.test(text) ? text : `${capital(text)}.`
  }
}
