import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Serves the built terminal from `root`: files by path, `index.html` for `/` (the app routes
 * itself in the URL's hash, so no other path is a page of it), 404 for anything else, so a
 * mistyped API path or a probe of `/metrics` is not answered with the app's HTML. Hashed assets
 * are cached for a year; the service worker and HTML never.
 */
export async function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  let file = normalize(join(root, path))
  if (!file.startsWith(root + sep) && file !== root) {
    res.writeHead(403).end()
    return
  }
  let info = await stat(file).catch(() => undefined)
  if (!info || info.isDirectory()) {
    if (path !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: ${path}\n`)
      return
    }
    file = join(root, 'index.html')
    info = await stat(file).catch(() => undefined)
  }
  if (!info) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not built: run `npm run build`.')
    return
  }
  const immutable = file.includes(`${sep}assets${sep}`)
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  })
  createReadStream(file).pipe(res)
}
