/** An object with a Repo's public face and none of automerge-repo's internals (hook probes). */
export class NotARepo {
  create(): { documentId: string } {
    return { documentId: 'x' }
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
