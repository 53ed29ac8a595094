// What the applications' command-line programs share: a logger on stderr with -v/-q
// verbosity, usage errors (exit 2) and the main() wrapper (failures exit 1).

/** Messages of a program on stderr: warnings and errors always, info by default, debug with -v. */
export class Logger {
  /** -1 and below: warnings and errors only; 0: info too; 1 and above: debug too. */
  verbosity = 0

  constructor(readonly name: string) {}

  debug(message: string): void {
    if (this.verbosity >= 1) this.#write(message)
  }

  info(message: string): void {
    if (this.verbosity >= 0) this.#write(message)
  }

  warn(message: string): void {
    this.#write(`warning: ${message}`)
  }

  error(message: string): void {
    this.#write(`error: ${message}`)
  }

  #write(message: string): void {
    process.stderr.write(`${this.name}: ${message}\n`)
  }
}

/** A command line that cannot be understood: the program prints its usage and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_PROCKIT_USAGE'
}

/** True for errors that mean "wrong arguments": ours and node:util parseArgs's. */
export function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
}

/** Prints a usage error with the usage text and gives exit status 2. */
export function usageFailure(name: string, error: unknown, usage: string): number {
  process.stderr.write(`${name}: ${(error as Error).message}\n\n${usage}`)
  return 2
}

/**
 * Runs a program's argument parser and gives what it parsed, or the exit status to return at
 * once: 0 after printing the usage for --help, 2 after printing a usage error.
 */
export function parseOrExit<T extends { help?: boolean }>(name: string, usage: string, parse: () => T): T | number {
  let parsed: T
  try {
    parsed = parse()
  } catch (error) {
    if (isUsageError(error)) return usageFailure(name, error, usage)
    throw error
  }
  if (parsed.help) {
    process.stdout.write(usage)
    return 0
  }
  return parsed
}

/**
 * Runs a program's main function with the command-line arguments and sets the exit status
 * it returns; an unexpected failure prints its message and exits 1.
 */
export function runProgram(name: string, main: (args: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    },
  )
}

/** "1 process", "2 processes". */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`
}

/** A duration for people: "0.42 seconds", "3 seconds", "2 minutes and 5 seconds". */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) {
    const rounded = Number(seconds.toFixed(2))
    return `${rounded} ${rounded === 1 ? 'second' : 'seconds'}`
  }
  const minutes = Math.floor(seconds / 60)
  const rest = Math.round(seconds - minutes * 60)
  return minutes > 0 ? `${pluralize(minutes, 'minute')} and ${pluralize(rest, 'second')}` : pluralize(rest, 'second')
}
