import {
  parseAutomergeUrl,
  type AutomergeUrl,
  type DocumentId,
} from '@automerge/automerge-repo/slim'

/** The document id of an automerge URL, or undefined when it is not one (a peer wrote it). */
export function documentIdOf(url: string): DocumentId | undefined {
  try {
    return parseAutomergeUrl(url as AutomergeUrl).documentId
  } catch {
    return undefined
  }
}
