import { CloseCode, isCloseCode } from '@tabsync/protocol'

/** What a link does after the relay closed its socket with a given code. */
export const CloseOutcome = {
  /** Retry with backoff (a drop, or a refusal that may pass next time). */
  retry: 'retry',
  /** The token cannot succeed again: report the token rejected, stop retrying. */
  tokenRejected: 'token-rejected',
  /** A write was refused and would be refused again: report `refused`, stop retrying. */
  refused: 'refused',
  /** Go to the node named in the close reason at once (cluster). */
  follow: 'follow',
} as const
export type CloseOutcome = (typeof CloseOutcome)[keyof typeof CloseOutcome]

/**
 * The link's answer to each close code of the protocol. The switch is exhaustive on purpose: a
 * code added to `@tabsync/protocol` does not compile here until the device decides what to do
 * with it. Codes outside the protocol (1006 from a dropped TCP connection, a proxy's 1011) retry.
 */
export function closeOutcome(code: number): CloseOutcome {
  if (!isCloseCode(code)) return CloseOutcome.retry
  switch (code) {
    case CloseCode.normal:
    case CloseCode.goingAway:
    case CloseCode.authTimeout:
    case CloseCode.protocolError:
    case CloseCode.tooManyConnections:
    case CloseCode.malformedFrame:
    case CloseCode.frameTooLarge:
    case CloseCode.replaced:
    case CloseCode.rateLimited:
    case CloseCode.storageFull:
      return CloseOutcome.retry
    case CloseCode.forgedSender:
    case CloseCode.tokenExpired:
    case CloseCode.revoked:
      return CloseOutcome.tokenRejected
    case CloseCode.forbiddenChange:
    case CloseCode.documentIdRefused:
      return CloseOutcome.refused
    case CloseCode.moved:
      return CloseOutcome.follow
    default: {
      const unhandled: never = code
      return unhandled
    }
  }
}
