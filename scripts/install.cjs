#!/usr/bin/env node
// The published package's `install` hook. With a prebuilt binary (the optional dependency
// prockit-<target>) it does nothing. Without one it builds the binding from the sources the
// package ships (crates/, Cargo.toml, Cargo.lock, .cargo/) when cargo is on PATH, and
// otherwise says what to do; prockit's own ERR_PROCKIT_NO_BINARY says it again at require time.
'use strict'
const { copyFileSync, existsSync, rmSync } = require('node:fs')
const { delimiter, join } = require('node:path')
const { spawnSync } = require('node:child_process')

const root = join(__dirname, '..')

// A development checkout has the TypeScript sources, and its `prepare` script builds the
// binding and dist/ right after this hook: building here as well would build twice.
if (existsSync(join(root, 'index.ts'))) process.exit(0)

/** Loads prockit's binding the way the library does; returns the error, or null when it loads. */
function loadError() {
  try {
    require(join(root, 'dist', 'lib', 'native.js'))
    return null
  } catch (error) {
    return error
  }
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command)
  }
  return null
}

const error = loadError()
if (error === null) process.exit(0)
if (error.code !== 'ERR_PROCKIT_NO_BINARY') {
  // An unsupported platform, say: nothing that a build could mend.
  console.error(`prockit: ${error.message}`)
  process.exit(0)
}

const cargo = onPath('cargo')
if (cargo === null) {
  console.error(
    `prockit: no prebuilt binary for ${error.target} was installed (the optional dependency ${error.packageName}), ` +
      'and cargo is not on PATH to build one. Install with optional dependencies, or install Rust ' +
      '(https://rustup.rs) and run `npm rebuild prockit`.',
  )
  process.exit(0)
}

console.error(`prockit: no prebuilt binary for ${error.target}; building it from source with ${cargo} (a few minutes)`)
// A CARGO_TARGET_DIR of the user's own is used and kept; ours is removed after the build.
const ownTargetDir = !process.env.CARGO_TARGET_DIR
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target')
const build = spawnSync(
  cargo,
  ['build', '--release', '--locked', '--manifest-path', join(root, 'crates', 'prockit-napi', 'Cargo.toml')],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CARGO_TARGET_DIR: targetDir } },
)
if (build.status !== 0) {
  console.error(`prockit: cargo build failed (${build.error?.message ?? `exit status ${build.status}`}); see its output above`)
  process.exit(1)
}
copyFileSync(join(targetDir, 'release', 'libprockit_napi.so'), join(root, `prockit.${error.target}.node`))
// The build tree is hundreds of megabytes; only the addon is needed.
if (ownTargetDir) rmSync(targetDir, { recursive: true, force: true })

const after = loadError()
if (after !== null) {
  console.error(`prockit: the binary built from source does not load: ${after.message}`)
  process.exit(1)
}
console.error(`prockit: built prockit.${error.target}.node`)
