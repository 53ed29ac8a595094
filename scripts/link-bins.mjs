// In a checkout, links this package's own bins into node_modules/.bin, so that
// `npx prockit tree` (the Quick start) runs the local build at once: without the links npx
// installs the checkout into its cache as a file: dependency and builds it a second time.
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { relative } from 'node:path'

const root = new URL('../', import.meta.url)
const { bin = {} } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
const binDir = new URL('node_modules/.bin/', root)
mkdirSync(binDir, { recursive: true })
for (const [name, target] of Object.entries(bin)) {
  const link = new URL(name, binDir)
  rmSync(link, { force: true })
  symlinkSync(relative(binDir.pathname, new URL(target, root).pathname), link.pathname)
}
