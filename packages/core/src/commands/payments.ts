import { TabsyncError, ErrorKind, check } from '../errors.js'
import { readPresent } from '../views/membership.js'
import { newId } from '../ids.js'
import { membership } from '../views/membership.js'
import { encode } from '../schema/encoding.js'
import type { OrderDoc, Payment, Tender } from '../schema/order.js'
import { readOrder } from '../schema/order.js'
import { orderTotals, refundedByPayment } from '../views/totals.js'
import {
  append,
  appendEntry,
  checkInput,
  checkInt,
  checkRef,
  checkText,
  own,
  stamp,
  type CommandContext,
} from './context.js'
import { assertOpen } from './order-lifecycle.js'

const MAX_AMOUNT = 100_000_000

export interface PaymentInput {
  /**
   * Idempotency key chosen by the caller before the first attempt (e.g. `newId()`): retrying
   * with the same key records nothing new.
   */
  readonly key: string
  readonly tender: Tender
  /** Amount applied to the check, minor units. */
  readonly amount: number
  readonly tip?: number
  /** Cash handed over; change = tendered - amount - tip. Defaults to amount + tip. */
  readonly tendered?: number
  /** Split check number (1..), or 0 / omitted for the whole order. */
  readonly check?: number
}

/**
 * Takes a payment. Refuses to apply more than the balance due (cash over it is change), so only
 * devices that were apart can overpay a check, and that shows as a conflict.
 * Returns the payment id (the key).
 */
export function takePayment(doc: OrderDoc, ctx: CommandContext, input: PaymentInput): string {
  checkInput(input, 'takePayment')
  check(
    typeof input.key === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(input.key),
    'payment key must be an idempotency key of 16-64 letters, digits, - or _ (use newId())',
  )
  if (own(doc.payments, input.key)) return input.key
  check(['cash', 'card', 'other'].includes(input.tender), 'tender must be cash, card or other')
  checkInt(input.amount, 1, MAX_AMOUNT, 'amount')
  const tip = input.tip ?? 0
  checkInt(tip, 0, MAX_AMOUNT, 'tip')
  const checkNo = input.check ?? 0
  checkInt(checkNo, 0, 50, 'check')
  const tendered = input.tender === 'cash' ? (input.tendered ?? input.amount + tip) : 0
  checkInt(tendered, 0, MAX_AMOUNT, 'tendered')
  check(
    input.tender !== 'cash' || tendered >= input.amount + tip,
    'cash tendered is less than amount + tip',
  )
  const order = readPresent(doc)
  assertOpen(order)
  const totals = orderTotals(order)
  const due = checkNo === 0 ? totals.balance : (totals.checks[checkNo - 1]?.balance ?? 0)
  check(checkNo === 0 || checkNo <= totals.checks.length, `there is no check ${checkNo}`)
  if (input.amount > due) {
    throw new TabsyncError(
      ErrorKind.invalidInput,
      `amount ${input.amount} is more than the ${due} due`,
      { due },
    )
  }
  const payment: Payment = {
    id: input.key,
    tender: input.tender,
    check: checkNo,
    amount: input.amount,
    tip,
    tendered,
    change: input.tender === 'cash' ? tendered - input.amount - tip : 0,
    ...stamp(ctx),
  }
  appendEntry(doc.payments, payment)
  return input.key
}

/** Refunds (part of) a payment, with a reason. Returns the refund id. */
export function refund(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { paymentId: string; amount: number; reason: string },
): string {
  checkInput(input, 'refund')
  checkRef(input.paymentId, 'paymentId')
  checkText(input.reason, 200, 'reason', true)
  checkInt(input.amount, 1, MAX_AMOUNT, 'amount')
  const order = membership(readOrder(doc)).present
  const payment = own(order.payments, input.paymentId)
  if (!payment) throw new TabsyncError(ErrorKind.notFound, `unknown payment ${input.paymentId}`)
  const already = refundedByPayment(order).get(payment.id) ?? 0
  check(
    input.amount <= payment.amount - already,
    `at most ${payment.amount - already} can be refunded`,
  )
  const id = newId()
  append(
    doc.refunds,
    id,
    encode({
      id,
      paymentId: input.paymentId,
      amount: input.amount,
      reason: input.reason,
      ...stamp(ctx),
    }),
  )
  return id
}
