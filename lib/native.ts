// Loads the native binding once. Kept apart so that the platform check comes first and
// every other module imports a typed handle.
import type * as Binding from '../binding'

const SUPPORTED = 'linux (x64 and arm64, glibc and musl)'

if (process.platform !== 'linux') {
  throw Object.assign(
    new Error(`prockit reads Linux's /proc and supports only ${SUPPORTED}; this is ${process.platform}-${process.arch}`),
    { code: 'ERR_PROCKIT_UNSUPPORTED_PLATFORM' },
  )
}

// Compiled to dist/lib/native.js; the generated loader sits at the package root.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: typeof Binding = require('../../binding.js')

/** Clock ticks per second, page size and boot time, read once: they do not change. */
export const systemFacts = native.systemFacts()
