// Signal names and numbers, as Node spells them ('SIGTERM'), from the running system.
import { constants } from 'node:os'

const byName = constants.signals as Record<string, number>
const SIGRTMAX = 64

export type Signal = NodeJS.Signals | number

/** The number of a signal given by name ('SIGUSR1') or number (0 checks existence only). */
export function signalNumber(signal: unknown): number {
  if (typeof signal === 'number' && Number.isInteger(signal) && signal >= 0 && signal <= SIGRTMAX) return signal
  if (typeof signal === 'string' && Object.hasOwn(byName, signal)) return byName[signal]!
  if (typeof signal === 'string' || typeof signal === 'number') {
    throw Object.assign(new TypeError(`Unknown signal: ${String(signal)}`), { code: 'ERR_UNKNOWN_SIGNAL' })
  }
  throw Object.assign(
    new TypeError(`The "signal" argument must be of type string or number. Received ${signal === null ? 'null' : typeof signal}`),
    { code: 'ERR_INVALID_ARG_TYPE' },
  )
}

/** The name of a signal number ('SIGTERM'), or the number as text when it has none. */
export function signalName(signal: number): string {
  return Object.keys(byName).find((name) => byName[name] === signal) ?? String(signal)
}
