/*
 * The invariant catalogue (DESIGN.md merge rule 6): every rule a command enforces on one device,
 * and what a merged state does about it. Two devices that were apart can each do something
 * allowed that together breaks a rule; for each rule it is decided here whether the derived
 * views keep it deterministically (`derived`) or a derived conflict names it (`conflict`), shows
 * in every view that would mislead (status is `needs-attention`, never "paid" or "closed and
 * settled") and offers actions that fix it, each an appended entry. Nothing is deleted.
 * `invariantViolations` checks a summary against it; the property test in
 * test/invariants.test.ts proves every row on random concurrent histories.
 */

/** How a merged state keeps a rule. */
export const MergeBehaviour = {
  /** The derived views keep the rule whatever merged: no conflict needed. */
  derived: 'derived',
  /** A conflict names the broken rule and offers the fix (sometimes with a derived bound too). */
  conflict: 'conflict',
  /** The document's structure makes a violation impossible (keyed maps, counters). */
  structural: 'structural',
} as const
export type MergeBehaviour = (typeof MergeBehaviour)[keyof typeof MergeBehaviour]

/** One row of the catalogue. */
export interface Invariant {
  readonly id: string
  /** The rule as one device enforces it. */
  readonly rule: string
  /** The commands that refuse to break it on one device. */
  readonly enforcedBy: readonly string[]
  readonly merged: MergeBehaviour
  /** What the merged state does, in words. */
  readonly decision: string
  /** The conflict kind that names it, for `conflict` rows. */
  readonly conflict?: string
  /** The actions that conflict offers (each an appended entry). */
  readonly fixes?: readonly string[]
}

/** Every invariant, in the order of the core README's merge-rules section. */
export const INVARIANTS = [
  {
    id: 'quantity-at-least-one',
    rule: 'a line that is not voided has quantity at least 1 (void it instead)',
    enforcedBy: ['addLine', 'changeQuantity'],
    merged: 'conflict',
    decision:
      'two devices each taking one off can reach 0 or less: the line bills 0 units (never negative) and a quantity-below-one conflict asks to void it or set a quantity; status is needs-attention, never paid',
    conflict: 'quantity-below-one',
    fixes: ['void-line', 'change-quantity'],
  },
  {
    id: 'quantity-at-most-max',
    rule: 'a line has quantity at most 999',
    enforcedBy: ['addLine', 'changeQuantity'],
    merged: 'conflict',
    decision:
      'concurrent increments add: the line bills and cooks at most 999 and a quantity-above-max conflict offers the change that brings the counter back to 999, or accepting 999',
    conflict: 'quantity-above-max',
    fixes: ['change-quantity', 'acknowledge'],
  },
  {
    id: 'quantity-at-least-fired',
    rule: 'a line cannot go below the units already sent to the kitchen',
    enforcedBy: ['changeQuantity'],
    merged: 'conflict',
    decision:
      'the effective quantity is never below the fired units, and the check bills the fired units (the kitchen cooks them); a removed-after-fire conflict tells staff the removal did not take, to accept or to void the line',
    conflict: 'removed-after-fire',
    fixes: ['acknowledge', 'void-line'],
  },
  {
    id: 'refund-at-most-payment',
    rule: 'a payment is refunded at most its amount',
    enforcedBy: ['refund'],
    merged: 'conflict',
    decision:
      'refunds of a payment count at most its amount in every total (paid never goes negative, the balance never exceeds the total); an over-refunded conflict names the excess so staff check the drawer or card terminal',
    conflict: 'over-refunded',
    fixes: ['acknowledge'],
  },
  {
    id: 'paid-not-negative',
    rule: 'what an order has been paid (payments minus refunds) is never negative',
    enforcedBy: ['refund'],
    merged: 'derived',
    decision: 'follows from refunds counting at most their payment',
  },
  {
    id: 'no-overpayment',
    rule: 'a payment is never more than the balance due',
    enforcedBy: ['takePayment'],
    merged: 'conflict',
    decision: 'an overpaid conflict names the amount, to refund it or accept it (a tip)',
    conflict: 'overpaid',
    fixes: ['refund', 'acknowledge'],
  },
  {
    id: 'one-payment-per-key',
    rule: "a payment's idempotency key records it once",
    enforcedBy: ['takePayment'],
    merged: 'structural',
    decision:
      'payments are keyed by their key in a map: a retried or re-delivered payment is the same entry; a transfer copies it under the same key',
  },
  {
    id: 'close-when-settled',
    rule: 'a check is closed only when nothing is due, and nothing is added to a closed check',
    enforcedBy: ['closeOrder', 'addLine', 'takePayment', 'changeQuantity', 'fire', 'addAdjustment'],
    merged: 'conflict',
    decision:
      'a changed-after-close conflict per line added after the close (reopen, or accept the line) and one for the balance due, which cannot be accepted: reopen it and take the payment. Status is never closed while money is due',
    conflict: 'changed-after-close',
    fixes: ['reopen', 'acknowledge'],
  },
  {
    id: 'cancel-only-empty',
    rule: 'only an empty check (no line, no payment) is cancelled',
    enforcedBy: ['cancelOrder'],
    merged: 'conflict',
    decision:
      'a changed-after-cancel conflict when another device added a line or a payment meanwhile; reopen brings the check back',
    conflict: 'changed-after-cancel',
    fixes: ['reopen'],
  },
  {
    id: 'fired-once',
    rule: 'a unit is fired to the kitchen once',
    enforcedBy: ['fire'],
    merged: 'conflict',
    decision:
      'overlapping tickets count each unit once (the printer prints it once); a fired-twice conflict asks the kitchen to confirm',
    conflict: 'fired-twice',
    fixes: ['acknowledge'],
  },
  {
    id: 'void-reaches-kitchen',
    rule: 'a fired line that is voided sends a VOID ticket',
    enforcedBy: ['voidLine'],
    merged: 'conflict',
    decision: 'a void-needs-ticket conflict until the VOID ticket is sent',
    conflict: 'void-needs-ticket',
    fixes: ['send-void-ticket'],
  },
  {
    id: 'one-value-per-field',
    rule: 'a descriptive field (note, table) has one value',
    enforcedBy: ['setNote', 'moveOrder'],
    merged: 'conflict',
    decision: 'last writer wins and a field-overwrite conflict lets staff choose the value',
    conflict: 'field-overwrite',
    fixes: ['choose-value'],
  },
  {
    id: 'splits-cover-payments',
    rule: 'every payment shows on a split check, and the checks add up to the order',
    enforcedBy: ['takePayment', 'splitCheck'],
    merged: 'derived',
    decision:
      "a whole-order payment, or one for a check the latest plan dropped, is shared over the checks by what each owes: the checks' totals, paid and balances always add up to the order's",
  },
  {
    id: 'status-truthful',
    rule: 'status says paid or closed only when nothing is due and nothing needs review',
    enforcedBy: ['closeOrder'],
    merged: 'derived',
    decision: 'any open conflict makes the status needs-attention; closed requires a zero balance',
  },
  {
    id: 'one-open-check-per-table',
    rule: 'a table has one open check',
    enforcedBy: ['openOrder (the terminal opens the existing check)'],
    merged: 'conflict',
    decision:
      'two devices opening a free table while apart make two checks: tableForks names them (two-open-checks) on every device, to combine them (transferOrder) or keep them apart on purpose (keepChecksApart)',
    conflict: 'two-open-checks',
    fixes: ['combine', 'keep-apart'],
  },
  {
    id: 'transfer-counts-once',
    rule: 'a line, adjustment or payment moved to another check counts in exactly one check',
    enforcedBy: ['transferOrder'],
    merged: 'conflict',
    decision:
      'an entry belongs to the order whose latest transfer entry naming it is `in`; two devices moving it at once move it once. Work done on the old copy after the move is named by changed-after-transfer',
    conflict: 'changed-after-transfer',
    fixes: ['acknowledge'],
  },
] as const satisfies readonly Invariant[]

/** The id of a catalogue invariant. */
export type InvariantId = (typeof INVARIANTS)[number]['id']
