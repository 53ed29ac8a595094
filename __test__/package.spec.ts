// The published shape: `npm pack` of prockit and of this machine's platform package, installed
// into an empty project by a user who has no Rust toolchain, loaded by Node 20 and by Debian's
// Node 18.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string
  optionalDependencies: Record<string, string>
  napi: { targets: string[] }
}

const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } }
const TARGET = `linux-${process.arch}-${report.header.glibcVersionRuntime ? 'gnu' : 'musl'}`
const PLATFORM_PACKAGE = `prockit-${TARGET}`
const BINARY = `prockit.${TARGET}.node`

/** PATH without any directory that holds cargo: the user who installs has no Rust. */
const NO_CARGO_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !existsSync(join(dir, 'cargo'))).join(delimiter),
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: NO_CARGO_ENV, timeout: 120_000, ...options })
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr), error: result.error }
}

/** `npm pack --json` in `dir`: the tarball's path, size and file list. */
function pack(dir: string, destination: string) {
  // --ignore-scripts: `prepare` would rebuild the tree that the other test files are using.
  const packed = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], { cwd: dir })
  if (packed.status !== 0) throw new Error(`npm pack in ${dir}: ${packed.stderr}`)
  const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[]
  return { ...info!, path: join(destination, info!.filename), paths: info!.files.map((file) => file.path) }
}

const work = mkdtempSync(join(tmpdir(), 'prockit-package-'))
const app = join(work, 'app')
const installed = { main: { path: '', size: 0, paths: [] as string[] }, platform: { path: '', size: 0, paths: [] as string[] }, seconds: 0 }

test.before('pack prockit and its platform package, install both with no cargo on PATH', (t) => {
  t.timeout(240_000)
  if (!existsSync(join(REPO, BINARY))) throw new Error(`${BINARY} is missing: run npm run build first`)
  // The platform package as `napi artifacts` fills it in the publish job: its stub plus the binary.
  const stage = join(work, TARGET)
  mkdirSync(stage)
  copyFileSync(join(REPO, 'npm', TARGET, 'package.json'), join(stage, 'package.json'))
  copyFileSync(join(REPO, BINARY), join(stage, BINARY))
  const main = pack(REPO, work)
  const platform = pack(stage, work)
  installed.main = main
  installed.platform = platform

  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  t.not(run('sh', ['-c', 'command -v cargo']).status, 0, 'cargo must not be on the PATH of the install')
  const started = process.hrtime.bigint()
  const install = run('npm', ['install', '--no-audit', '--no-fund', main.path, platform.path], { cwd: app })
  installed.seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (install.status !== 0) throw new Error(`npm install: ${install.stderr}`)
  t.log(
    `main tarball ${(main.size / 1024).toFixed(0)} kB (${main.paths.length} files), ` +
      `${PLATFORM_PACKAGE} ${(platform.size / 1024).toFixed(0)} kB, installed in ${installed.seconds.toFixed(1)} s`,
  )
})

test.after.always('remove the temporary project', () => {
  rmSync(work, { recursive: true, force: true })
})

test.serial('every napi target has an npm/ package with its os, cpu and libc, an optional dependency at the same version', (t) => {
  const expected: Record<string, string> = {}
  for (const triple of pkg.napi.targets) {
    const [arch, , , abi] = triple.split('-') as [string, string, string, string]
    const cpu = arch === 'x86_64' ? 'x64' : 'arm64'
    const name = `linux-${cpu}-${abi}`
    const stub = JSON.parse(readFileSync(join(REPO, 'npm', name, 'package.json'), 'utf8')) as Record<string, unknown>
    const { name: stubName, version, os, cpu: stubCpu, libc, main, files } = stub
    t.deepEqual(
      { name: stubName, version, os, cpu: stubCpu, libc, main, files },
      { name: `prockit-${name}`, version: pkg.version, os: ['linux'], cpu: [cpu], libc: [abi === 'gnu' ? 'glibc' : 'musl'], main: `prockit.${name}.node`, files: [`prockit.${name}.node`] },
    )
    expected[`prockit-${name}`] = pkg.version
  }
  t.deepEqual(pkg.optionalDependencies, expected)
})

test.serial('the main tarball ships JavaScript and the Rust sources but no binary; the platform tarball ships the binary', (t) => {
  const { main, platform } = installed
  t.false(main.paths.some((path) => path.endsWith('.node')), 'no .node in the main package')
  for (const path of ['binding.js', 'dist/index.js', 'dist/index.mjs', 'dist/lib/cli/prockit.js', 'scripts/install.cjs']) {
    t.true(main.paths.includes(path), path)
  }
  for (const path of ['Cargo.toml', 'Cargo.lock', '.cargo/config.toml', 'crates/prockit-napi/Cargo.toml', 'crates/prockit-napi/src/lib.rs']) {
    t.true(main.paths.includes(path), `${path}: the install script builds from these sources`)
  }
  t.deepEqual(platform.paths.sort(), ['package.json', BINARY])
})

test.serial('installed with no cargo: npx prockit tree works, require() and import() load the platform package', (t) => {
  const tree = run('npx', ['--no-install', 'prockit', 'tree'], { cwd: app })
  t.is(tree.status, 0, tree.stderr)
  t.regex(tree.stdout, /^1 \S/)

  const probe = (kind: 'require' | 'import') =>
    [
      kind === 'require' ? "const p = require('prockit')" : "const p = await import('prockit')",
      "const loaded = Object.keys(require.cache).filter((file) => file.endsWith('.node'))",
      'console.log(JSON.stringify({ version: process.version, self: p.Process.fromPid(process.pid).pid === process.pid,',
      '  tree: p.getProcessTree().pid, loaded }))',
    ].join('\n')
  const cjs = run(process.execPath, ['-e', probe('require')], { cwd: app })
  t.is(cjs.status, 0, cjs.stderr)
  const viaRequire = JSON.parse(cjs.stdout) as { self: boolean; tree: number; loaded: string[] }
  t.true(viaRequire.self)
  t.is(viaRequire.tree, 1)
  t.deepEqual(viaRequire.loaded, [join(app, 'node_modules', PLATFORM_PACKAGE, BINARY)], 'the binary comes from the platform package')

  // `import()` in a CommonJS -e script, so that `require` is there for the probe as well.
  const esm = run(process.execPath, ['-e', `(async () => { ${probe('import')} })().catch((e) => { console.error(e); process.exit(1) })`], { cwd: app })
  t.is(esm.status, 0, esm.stderr)
  t.like(JSON.parse(esm.stdout), { self: true, tree: 1 })
})

test.serial('without a platform package: ERR_PROCKIT_NO_BINARY names the target, the package and the fix; the install script explains', (t) => {
  const platformDir = join(app, 'node_modules', PLATFORM_PACKAGE)
  const aside = join(work, 'aside')
  renameSync(platformDir, aside)
  try {
    const load = run(process.execPath, ['-e', "try { require('prockit') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, target: e.target, cause: !!e.cause })) }"], { cwd: app })
    t.is(load.status, 0, load.stderr)
    const error = JSON.parse(load.stdout) as { code: string; message: string; target: string; cause: boolean }
    t.is(error.code, 'ERR_PROCKIT_NO_BINARY')
    t.is(error.target, TARGET)
    t.true(error.cause, 'the loader error is kept as cause')
    t.true(error.message.includes(`on ${TARGET}`), error.message)
    t.true(error.message.includes(`the package ${PLATFORM_PACKAGE}`), error.message)
    t.true(error.message.includes('install with optional dependencies, or build from source with cargo: npm rebuild prockit / npm run build'), error.message)
    t.regex(error.message, new RegExp(`Cannot find module '${PLATFORM_PACKAGE}'`), 'the attempts are listed')

    // `npm rebuild prockit` runs the install script: with no cargo it says what to do and succeeds.
    const rebuild = run('npm', ['rebuild', 'prockit', '--foreground-scripts'], { cwd: app })
    t.is(rebuild.status, 0, rebuild.stderr)
    t.regex(rebuild.stderr + rebuild.stdout, new RegExp(`no prebuilt binary for ${TARGET} .*${PLATFORM_PACKAGE}.*cargo is not on PATH`))
    t.false(readdirSync(join(app, 'node_modules', 'prockit')).some((file) => file.endsWith('.node')))
  } finally {
    renameSync(aside, platformDir)
  }
})

const hasCargo = spawnSync('cargo', ['--version']).status === 0

;(hasCargo ? test.serial : test.skip)('with cargo and no platform package, installing builds the binary from the shipped sources', (t) => {
  t.timeout(600_000)
  const project = join(work, 'from-source')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'from-source', version: '1.0.0', private: true }))
  // One job, so that the other test files keep a core; the crates come from cargo's cache.
  const env = { ...process.env, CARGO_BUILD_JOBS: '1' }
  const started = process.hrtime.bigint()
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', installed.main.path], { cwd: project, env, timeout: 540_000 })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  t.is(install.status, 0, install.stderr)
  t.regex(install.stderr, new RegExp(`built ${BINARY.replaceAll('.', '\\.')}`))
  const dir = join(project, 'node_modules', 'prockit')
  t.true(existsSync(join(dir, BINARY)))
  t.false(existsSync(join(dir, 'target')), 'the build tree is removed')
  const load = run(process.execPath, ['-p', "require('prockit').getProcessTree().pid"], { cwd: project })
  t.is(load.status, 0, load.stderr)
  t.is(load.stdout.trim(), '1')
  t.log(`npm install with a cargo build: ${seconds.toFixed(0)} s`)
})

// Debian's nodejs 18 is never installed (it would replace this machine's Node): its packages are
// downloaded and unpacked into a cache. Debian builds node with acorn, cjs-module-lexer and undici
// read from /usr/share/nodejs at start-up, so it runs in a private mount namespace in which the
// unpacked /usr/share is laid over the real one (nothing on the machine changes).
const DEBIAN_NODE = join(REPO, 'node_modules', '.cache', 'prockit-debian-node18')
const canRunDebianNode =
  process.getuid?.() === 0 && run('sh', ['-c', 'command -v apt-get && command -v unshare && command -v dpkg']).status === 0

function debianNode18(): string {
  const root = join(DEBIAN_NODE, 'root')
  const node = join(root, 'usr', 'bin', 'node')
  if (existsSync(node)) return root
  const debs = join(DEBIAN_NODE, 'debs')
  mkdirSync(debs, { recursive: true })
  const madison = run('apt-cache', ['madison', 'nodejs']).stdout
  const version = /\|\s*(18\.[^\s|]+)\s*\|/.exec(madison)?.[1]
  if (!version) throw new Error(`Debian has no nodejs 18 here (apt-get update first?):\n${madison}`)
  const depends = (spec: string) =>
    (/^Depends: (.*)$/m.exec(run('apt-cache', ['show', spec]).stdout)?.[1] ?? '').split(',').map((dep) => dep.trim().split(/[\s|]/)[0]!)
  const libnode = depends(`nodejs=${version}`).find((name) => name.startsWith('libnode'))
  if (!libnode) throw new Error(`nodejs=${version} does not depend on a libnode`)
  // The C runtime stays the machine's own: the dynamic loader must match its libc.
  const system = new Set(['libc6', 'libgcc-s1', 'libstdc++6', 'libssl3', 'zlib1g'])
  const packages = [`nodejs=${version}`, `${libnode}=${version}`, ...depends(`${libnode}=${version}`).filter((name) => !system.has(name))]
  const download = run('apt-get', ['download', '-q', ...packages], { cwd: debs })
  if (download.status !== 0) throw new Error(`apt-get download ${packages.join(' ')}: ${download.stderr}`)
  for (const deb of readdirSync(debs).filter((file) => file.endsWith('.deb'))) {
    const unpack = run('dpkg', ['-x', join(debs, deb), root])
    if (unpack.status !== 0) throw new Error(`dpkg -x ${deb}: ${unpack.stderr}`)
  }
  return root
}

;(canRunDebianNode ? test.serial : test.skip)("the same binary loads in Debian's Node 18: prockit tree, require() and import()", (t) => {
  t.timeout(180_000)
  const root = debianNode18()
  const node = join(root, 'usr', 'bin', 'node')
  const env = { ...NO_CARGO_ENV, LD_LIBRARY_PATH: join(root, 'usr', 'lib', `${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-linux-gnu`) }
  const inDebianNode = (...args: string[]) =>
    run(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t overlay overlay -o "lowerdir=$0:/usr/share" /usr/share && exec "$@"', join(root, 'usr', 'share'), node, ...args],
      { cwd: app, env },
    )
  const version = inDebianNode('--version')
  t.is(version.status, 0, version.stderr)
  t.regex(version.stdout, /^v18\./)
  const tree = inDebianNode(join(app, 'node_modules', '.bin', 'prockit'), 'tree')
  t.is(tree.status, 0, tree.stderr)
  t.regex(tree.stdout, /^1 \S/)
  const cjs = inDebianNode('-p', "const p = require('prockit'); `${process.version} ${p.Process.fromPid(process.pid).pid === process.pid}`")
  t.is(cjs.status, 0, cjs.stderr)
  t.regex(cjs.stdout, /^v18\.\S+ true/)
  const esm = inDebianNode('--input-type=module', '-e', "const p = await import('prockit'); console.log(process.version, p.getProcessTree().pid)")
  t.is(esm.status, 0, esm.stderr)
  t.regex(esm.stdout, /^v18\.\S+ 1/)
})
