// psutil-extra: per-process details beyond psutil (groups, umask, signal sets, rlimits),
// each taking a pid or a Process. With a Process, reads are pinned to its identity.
import { Process } from './core'
import { callNative } from './errors'
import { readLive, withOneshotCache, type Target } from './live'
import { native } from './native'
import { signalName } from './signals'
import { invalidArgType, validatePid } from './validate'

export type ProcArg = number | Process

/** The signal sets of a process, as signal names ('SIGUSR1'). */
export interface SignalMasks {
  /** Pending for the main thread (SigPnd). */
  pending: Set<string>
  blocked: Set<string>
  ignored: Set<string>
  /** With a handler installed. */
  caught: Set<string>
  /** Pending for the whole process (ShdPnd). */
  processPending: Set<string>
}

/** [soft, hard]; Infinity is RLIM_INFINITY. */
export type RlimitPair = [soft: number, hard: number]

function targetOf(proc: unknown): Target {
  if (proc instanceof Process) return proc
  if (typeof proc === 'number') return { pid: validatePid(proc, 'proc'), startTicks: null }
  throw invalidArgType('proc', 'a pid (number) or a Process', proc)
}

// oneshotProc's caches, by pid. One per JS realm, so each worker thread has its own (the
// seed's "thread-local").
const oneshotCaches = new Map<number, Map<string, unknown>>()

/**
 * Runs `fn` with the reads about `pid` (by number or Process) sharing one read of each file;
 * an async `fn` keeps the cache until its promise settles.
 */
export function oneshotProc<T>(pid: ProcArg, fn: () => T): T {
  const { pid: key } = targetOf(pid)
  if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn)
  return withOneshotCache(oneshotCaches, key, fn)
}

function statusExtras(proc: ProcArg) {
  const target = targetOf(proc)
  return readLive(target, 'status', native.readStatusExtras, oneshotCaches.get(target.pid))
}

/** Checks that `proc` still is the process it names, for calls that go by pid alone. */
function checkedPid(proc: ProcArg): number {
  const target = targetOf(proc)
  readLive(target, 'stat', native.readStat, oneshotCaches.get(target.pid))
  return target.pid
}

/** The process group id (getpgid). */
export function procGetpgid(proc: ProcArg): number {
  const pid = checkedPid(proc)
  return callNative(() => native.getpgid(pid))
}

/** The session id (getsid). */
export function procGetsid(proc: ProcArg): number {
  const pid = checkedPid(proc)
  return callNative(() => native.getsid(pid))
}

/** The umask, without changing it (Linux 4.7+; ENOTSUP before). */
export function procGetUmask(proc: ProcArg): number {
  const { umask } = statusExtras(proc)
  if (umask === null || umask === undefined) {
    throw Object.assign(new Error('the kernel does not report umask (Linux 4.7 or later needed)'), { code: 'ENOTSUP' })
  }
  return umask
}

/** The supplementary group ids. */
export function procGetgroups(proc: ProcArg): number[] {
  return [...statusExtras(proc).groups]
}

/** The pending, blocked, ignored and caught signals. */
export function procGetSigmask(proc: ProcArg): SignalMasks {
  const extras = statusExtras(proc)
  const names = (numbers: number[]) => new Set(numbers.map(signalName))
  return {
    pending: names(extras.pending),
    blocked: names(extras.blocked),
    ignored: names(extras.ignored),
    caught: names(extras.caught),
    processPending: names(extras.processPending),
  }
}

const RESOURCES = new Set(native.rlimitNames())

function validateResource(resource: unknown): string {
  if (typeof resource !== 'string') throw invalidArgType('resource', "of type string (such as 'RLIMIT_NOFILE')", resource)
  if (!RESOURCES.has(resource)) {
    throw Object.assign(new TypeError(`The "resource" argument must be one of ${[...RESOURCES].join(', ')}. Received '${resource}'`), {
      code: 'ERR_INVALID_ARG_VALUE',
    })
  }
  return resource
}

function validateLimit(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (value !== Infinity && (!Number.isSafeInteger(value) || value < 0)) {
    throw Object.assign(new RangeError(`The value of "${name}" is out of range. It must be an integer >= 0 or Infinity. Received ${value}`), {
      code: 'ERR_OUT_OF_RANGE',
    })
  }
  return value
}

/** The [soft, hard] limits of `resource` ('RLIMIT_NOFILE'). Readable for any process (via /proc/[pid]/limits when prlimit is refused). */
export function procGetrlimit(proc: ProcArg, resource: string): RlimitPair {
  const target = targetOf(proc)
  const name = validateResource(resource)
  const [soft, hard] = callNative(() => native.prlimit(target.pid, target.startTicks, name, null, null))
  return [soft!, hard!]
}

/**
 * Gets, and with `newLimits` sets, the limits of `resource` on another process (prlimit);
 * returns the limits as they were. Soft and hard change together in one call, or not at
 * all: a soft limit above the hard one is refused (EINVAL) before anything changes.
 */
export function procRlimit(proc: ProcArg, resource: string, newLimits?: RlimitPair): RlimitPair {
  if (newLimits === undefined) return procGetrlimit(proc, resource)
  const target = targetOf(proc)
  const name = validateResource(resource)
  if (!Array.isArray(newLimits) || newLimits.length !== 2) throw invalidArgType('newLimits', 'an array [soft, hard]', newLimits)
  const soft = validateLimit(newLimits[0], 'newLimits[0]')
  const hard = validateLimit(newLimits[1], 'newLimits[1]')
  const [oldSoft, oldHard] = callNative(() => native.prlimit(target.pid, target.startTicks, name, soft, hard))
  return [oldSoft!, oldHard!]
}

/** A unix socket as /proc/net/unix lists it. */
export interface UnixSocket {
  /** The socket's inode: /proc/[pid]/fd/N of a process holding it reads `socket:[inode]`. */
  inode: number
  /** The path it is bound to; `@name` for an abstract name (NULs shown as '@'); `''` when unbound. */
  path: string
  /** True when it listens for connections. */
  listening: boolean
}

/** Every unix socket of our network namespace, from /proc/net/unix (rows a bound name could forge are left out). */
export function unixSockets(): UnixSocket[] {
  return callNative(() => native.readUnixSockets(null, null)) ?? []
}

/** The inodes of the sockets among the open fds of `proc` (any family), in fd order. */
export function procSocketInodes(proc: ProcArg): number[] {
  return readLive(targetOf(proc), 'fd-sockets', native.readSocketInodes)
}

/**
 * The unix sockets that `proc` holds open, with the paths they are bound to: its fds'
 * socket inodes matched against its own view of /proc/net/unix (its network namespace).
 * No lsof needed; root (or the process's owner) is, to read its fds.
 */
export function procUnixSockets(proc: ProcArg): UnixSocket[] {
  const target = targetOf(proc)
  const held = new Set(procSocketInodes(proc))
  const sockets = readLive(target, 'net/unix', native.readUnixSockets)
  return sockets.filter((socket) => held.has(socket.inode))
}
