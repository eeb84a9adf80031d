import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RelayError, RelayErrorKind } from '../errors.js'

/** File name of the generated secret inside the data directory. */
export const SECRET_FILE = 'secret'
/** Environment variable that holds the signing secret. */
export const SECRET_ENV = 'TABSYNC_SECRET'

/** Where the secret came from: the environment, an existing file, or a file just created. */
export type SecretSource = 'env' | 'file' | 'created'

/** A resolved signing secret. */
export interface ResolvedSecret {
  readonly secret: string
  readonly source: SecretSource
  /** The secret file, unless the secret came from the environment. */
  readonly path: string | undefined
}

/**
 * Reads `<dataDir>/secret`, creating it (32 random bytes, hex, mode 0600) when absent. The
 * embedded default for a relay run without `TABSYNC_SECRET`: tokens stay valid across restarts.
 */
export async function loadOrCreateSecret(dataDir: string): Promise<ResolvedSecret> {
  const path = join(dataDir, SECRET_FILE)
  try {
    const secret = (await readFile(path, 'utf8')).trim()
    if (secret.length < 16) {
      throw new RelayError(RelayErrorKind.invalidInput, 'weak-secret', `${path} is too short`)
    }
    return { secret, source: 'file', path }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  await mkdir(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('hex')
  try {
    // 'wx': two processes starting at once must not overwrite each other's secret.
    await writeFile(path, secret + '\n', { mode: 0o600, flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecret(dataDir)
    throw e
  }
  return { secret, source: 'created', path }
}

/** `TABSYNC_SECRET` when set (and long enough), else {@link loadOrCreateSecret}. */
export async function resolveSecret(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedSecret> {
  const fromEnv = env[SECRET_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) {
      throw new RelayError(RelayErrorKind.invalidInput, 'weak-secret', `${SECRET_ENV} is too short`)
    }
    return { secret: fromEnv, source: 'env', path: undefined }
  }
  return loadOrCreateSecret(dataDir)
}
