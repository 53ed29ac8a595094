// A Rust panic must reach JavaScript as an error, never abort the host. The panic paths
// exist only in a build with `--features panic-test`, which this test makes on the side.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const root = fileURLToPath(new URL('..', import.meta.url))

test('a panic in a native function becomes a JS error, sync and async, and the host lives on', (t) => {
  t.timeout(15 * 60 * 1000) // a debug build of the binding crate with the test feature
  const targetDir = join(root, 'target', 'panic-test')
  execFileSync('cargo', ['build', '-p', 'prockit-napi', '--features', 'panic-test', '--target-dir', targetDir], { cwd: root, stdio: 'ignore' })
  const module = join(mkdtempSync(join(tmpdir(), 'prockit-panic-')), 'prockit-panic.node')
  copyFileSync(join(targetDir, 'debug', 'libprockit_napi.so'), module)
  const script = `
    const binding = require(${JSON.stringify(module)})
    let sync
    try { binding.panicForTest('boom-sync'); sync = 'no error' } catch (e) { sync = { isError: e instanceof Error, message: e.message } }
    binding.panicForTestAsync('boom-async').then(
      () => console.log(JSON.stringify({ sync, async: 'no error' })),
      (e) => console.log(JSON.stringify({ sync, async: { isError: e instanceof Error, message: e.message }, stillWorks: binding.readStat(process.pid, null).pid === process.pid })),
    )`
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const seen = JSON.parse(out) as { sync: { isError: boolean; message: string }; async: { isError: boolean; message: string }; stillWorks: boolean }
  t.true(seen.sync.isError)
  t.regex(seen.sync.message, /boom-sync/)
  t.true(seen.async.isError)
  t.regex(seen.async.message, /panic/)
  t.true(seen.stillWorks, 'the module keeps working after both panics')
})
