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

/** The napi-rs name of this machine's build, e.g. `linux-x64-gnu`, as the loader picks it. */
function nativeTarget(): string {
  // glibc reports its version; musl does not (the loader reads /usr/bin/ldd, to the same end).
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  return `${process.platform}-${process.arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
}

/** The first line of every attempt the generated loader made, oldest first. */
function attempts(error: unknown): string[] {
  const lines: string[] = []
  for (let cause = (error as { cause?: unknown })?.cause; cause instanceof Error; cause = cause.cause) {
    lines.unshift(cause.message.split('\n')[0] ?? '')
  }
  return lines
}

function loadBinding(): typeof Binding {
  try {
    // Compiled to dist/lib/native.js; the generated loader sits at the package root. It tries
    // ./prockit.<target>.node (a local build) and then the package prockit-<target>.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../binding.js')
  } catch (cause) {
    const target = nativeTarget()
    const packageName = `prockit-${target}`
    const tried = attempts(cause)
    throw Object.assign(
      new Error(
        `prockit has no native binary that loads on ${target}: it expected the package ${packageName} ` +
          `(an optional dependency of prockit) or prockit.${target}.node beside its binding.js. ` +
          'To fix it, install with optional dependencies, or build from source with cargo: npm rebuild prockit / npm run build.' +
          (tried.length > 0 ? `\nAttempts:\n${tried.map((line) => `  - ${line}`).join('\n')}` : ''),
        { cause },
      ),
      { code: 'ERR_PROCKIT_NO_BINARY', target, packageName },
    )
  }
}

export const native: typeof Binding = loadBinding()

/** Clock ticks per second, page size and boot time, read once: they do not change. */
export const systemFacts = native.systemFacts()
