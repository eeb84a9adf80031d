// Renders public/icon.svg to the PNG icons of the web app manifest with the system Chromium.
// Run once after changing the SVG: `npx tsx scripts/make-icons.ts` (the PNGs are committed).
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const pub = join(dirname(fileURLToPath(import.meta.url)), '..', 'public')
const svg = await readFile(join(pub, 'icon.svg'), 'utf8')
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
})
for (const size of [192, 512]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } })
  await page.setContent(
    `<style>html,body{margin:0;background:transparent}svg{width:${size}px;height:${size}px;display:block}</style>${svg}`,
  )
  await page.screenshot({ path: join(pub, `icon-${size}.png`), omitBackground: true })
  await page.close()
}
await browser.close()
