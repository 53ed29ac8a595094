// Error classes with Node-style fields, and the mapping from the native layer's codes.
import { constants } from 'node:os'

export interface ProcessErrorDetails {
  code: string
  syscall?: string
  pid?: number
  /** The file a failed call was about (chdir, open, execve), as in Node's fs errors. */
  path?: string
}

/** The base of prockit's errors about a process: `code`, negative `errno`, `syscall`, `pid`. */
export class ProcessError extends Error {
  readonly code: string
  readonly errno: number | undefined
  readonly syscall: string | undefined
  readonly pid: number | undefined
  declare readonly path?: string

  constructor(message: string, details: ProcessErrorDetails) {
    super(message)
    this.name = new.target.name
    this.code = details.code
    const errno = (constants.errno as Record<string, number>)[details.code]
    this.errno = errno === undefined ? undefined : -errno
    this.syscall = details.syscall
    this.pid = details.pid
    if (details.path !== undefined) Object.defineProperty(this, 'path', { value: details.path, enumerable: true })
  }
}

/** The process does not exist, or its pid now belongs to another process (`ESRCH`). */
export class NoSuchProcess extends ProcessError {
  constructor(message: string, details: Omit<ProcessErrorDetails, 'code'> = {}) {
    super(message, { ...details, code: 'ESRCH' })
  }
}

/** The process exists but has ended and waits to be reaped by its parent. */
export class ZombieProcess extends NoSuchProcess {}

/** The kernel refused the operation (`EPERM` or `EACCES`). */
export class AccessDenied extends ProcessError {}

/** A wait ran out of time (`ETIMEDOUT`). */
export class TimeoutExpired extends ProcessError {
  readonly seconds: number
  constructor(seconds: number, pid?: number) {
    super(`timeout after ${seconds} seconds${pid === undefined ? '' : ` (pid ${pid})`}`, { code: 'ETIMEDOUT', pid })
    this.seconds = seconds
  }
}

/** A process survived SIGKILL for the whole timeout (seed: executor's ProcessTerminationFailed). */
export class ProcessTerminationFailed extends Error {
  readonly code = 'ERR_PROCESS_TERMINATION_FAILED'
  readonly process: object
  constructor(process: object, message: string) {
    super(message)
    this.name = 'ProcessTerminationFailed'
    this.process = process
  }
}

function pidOf(message: string): number | undefined {
  const match = /\(pid (\d+)\)$/.exec(message)
  return match ? Number(match[1]) : undefined
}

/** The path of "chdir: no such file or directory, '/nope'" (prockit-sys's Error::File). */
function pathOf(message: string): string | undefined {
  const match = /^[a-z_0-9]+: [^,']*, '(.*)'$/s.exec(message)
  return match ? match[1] : undefined
}

/**
 * Turns an error thrown by the native binding ("kill: no such process (pid 42)" with code
 * 'ESRCH') into prockit's classes; anything else is returned as it is.
 */
export function fromNative(error: unknown): unknown {
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== 'string') return error
  const { code, message } = error as Error & { code: string }
  const colon = message.indexOf(': ')
  const details = { syscall: colon > 0 ? message.slice(0, colon) : undefined, pid: pidOf(message), path: pathOf(message) }
  switch (code) {
    case 'ESRCH':
      return new NoSuchProcess(message, details)
    case 'EPERM':
    case 'EACCES':
      return new AccessDenied(message, { ...details, code })
    case 'ERR_OUT_OF_RANGE':
      return Object.assign(new RangeError(message), { code })
    case 'ERR_UNKNOWN_SIGNAL':
      return Object.assign(new TypeError(message), { code })
    default:
      return /^E[A-Z0-9]+$/.test(code) ? new ProcessError(message, { ...details, code }) : error
  }
}

/** Calls the native binding, rethrowing its errors as prockit's classes. */
export function callNative<T>(call: () => T): T {
  try {
    return call()
  } catch (error) {
    throw fromNative(error)
  }
}

/** The awaited twin of callNative. */
export async function awaitNative<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise
  } catch (error) {
    throw fromNative(error)
  }
}
