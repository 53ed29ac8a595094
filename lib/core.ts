// proc.core: processes as /proc describes them. stat fields are read eagerly (once, in
// bulk for findProcesses); everything else is read on first use and cached, as proc does.
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { basename, delimiter, isAbsolute, join } from 'node:path'

import type { ProcessTable, StatRecord } from '../binding'
import { awaitNative, callNative } from './errors'
import { native, systemFacts } from './native'
import { UnixProcess } from './unix'
import { invalidArgType, outOfRange, validatePid, validateString } from './validate'

/** The real, effective, saved set and filesystem ids of a `Uid:` or `Gid:` line. */
export interface OwnerIDs {
  real: number
  effective: number
  saved: number
  fs: number
}

/** What a Process is built from: the fields of one /proc/[pid]/stat (times in clock ticks). */
export type StatFields = StatRecord

/**
 * A Process class or subclass, for findProcesses(type) and getProcessTree(type). Typed by
 * its constructor only, because ProcessNode's tree links `parent` and `children` replace
 * psutil's methods of the same names (see lib/tree.ts).
 */
export type ProcessType<P extends object> = new (fields: StatFields) => P

/** Runs `read` and gives `fallback` if it throws: lazy properties never throw, as in proc. */
function unavailable<T>(read: () => T | null, fallback: T): T {
  try {
    return read() ?? fallback
  } catch {
    return fallback
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** [name, value, name, value…] from the native layer as an object. */
export function pairsToRecord(flat: string[]): Record<string, string> {
  const entries: [string, string][] = []
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i]!, flat[i + 1]!])
  return Object.fromEntries(entries)
}

/** The four ids of a `Uid:` or `Gid:` value of /proc/[pid]/status, or null. */
export function parseOwnerIds(value: string | undefined): OwnerIDs | null {
  const ids = value?.trim().split(/\s+/).map(Number)
  if (!ids || ids.length < 4 || !ids.every(Number.isSafeInteger)) return null
  const [real, effective, saved, fs] = ids as [number, number, number, number]
  return { real, effective, saved, fs }
}

export class Process extends UnixProcess {
  /** The filename of the executable, exactly as the kernel keeps it (≤ 15 bytes). */
  readonly comm: string
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, t traced, I idle… */
  readonly state: string
  readonly ppid: number
  readonly pgrp: number
  readonly session: number
  /** When the process started, in seconds since the Unix epoch. */
  readonly starttime: number
  /** Virtual memory size in bytes. */
  readonly vsize: number
  /** Resident set size in bytes. */
  readonly rss: number
  /** stat's starttime in clock ticks after boot: with the pid, the identity of the process. */
  readonly startTicks: number
  // Made on the first lazy read: findProcesses builds thousands of Process objects that never read one.
  #cache: Map<string, unknown> | undefined

  /** Built by findProcesses(), Process.fromPid() and Process.fromPath(); rarely by hand. */
  constructor(fields: StatFields) {
    super({ pid: fields.pid })
    this.comm = fields.comm
    this.state = fields.state
    this.ppid = fields.ppid
    this.pgrp = fields.pgrp
    this.session = fields.session
    this.startTicks = fields.starttime
    this.starttime = systemFacts.bootTime + fields.starttime / systemFacts.clockTicks
    this.vsize = fields.vsize
    this.rss = fields.rss
  }

  /** The process with this pid, or null when there is none (or it cannot be read). */
  static fromPid<P extends object>(this: ProcessType<P>, pid: number): P | null {
    validatePid(pid)
    const record = unavailable(() => native.readStat(pid, null), null)
    return record && new this(record)
  }

  /** The process of a /proc/[pid] directory ('/proc/self' too), or null when it is gone. */
  static fromPath<P extends object>(this: ProcessType<P>, directory: string): P | null {
    validateString(directory, 'directory')
    if (!isAbsolute(directory)) {
      throw Object.assign(new TypeError(`The "directory" argument must be an absolute path. Received '${directory}'`), {
        code: 'ERR_INVALID_ARG_VALUE',
      })
    }
    const record = unavailable(() => native.readStatAt(directory), null)
    return record && new this(record)
  }

  protected override get identityTicks(): number {
    return this.startTicks
  }

  /** Reads `compute` once and keeps its value, as proc's lazy_property does. */
  protected lazy<T>(key: string, compute: () => T): T {
    const cache = (this.#cache ??= new Map())
    if (!cache.has(key)) cache.set(key, compute())
    return cache.get(key) as T
  }

  /** Seconds since the process started, recomputed on every read. */
  get runtime(): number {
    return Date.now() / 1000 - this.starttime
  }

  /** The command line; `[]` when first read after the process ended or became a zombie. */
  get cmdline(): string[] {
    return this.lazy('cmdline', () => unavailable(() => native.readCmdline(this.pid, this.startTicks), []))
  }

  override get commandLine(): string[] {
    return this.cmdline
  }

  /** The environment; `{}` when unreadable (another user's process) or gone. */
  get environ(): Record<string, string> {
    return this.lazy('environ', () => pairsToRecord(unavailable(() => native.readEnviron(this.pid, this.startTicks), [])))
  }

  /** The target of /proc/[pid]/exe; `''` when unreadable or gone. */
  get exe(): string {
    return this.lazy('exe', () => unavailable(() => native.readExe(this.pid, this.startTicks), ''))
  }

  /** The absolute path of the executable: exe, else an absolute executable cmdline[0], else ''. */
  get exePath(): string {
    return this.lazy('exePath', () => {
      if (this.exe) return this.exe
      const first = this.cmdline[0]
      return first && isAbsolute(first) && isExecutableFile(first) ? first : ''
    })
  }

  /** The executable's base name: of exePath, else of cmdline[0] if found on $PATH, else comm. */
  get exeName(): string {
    return this.lazy('exeName', () => {
      if (this.exePath) return basename(this.exePath)
      const first = this.cmdline[0]
      if (first) {
        const name = basename(first)
        const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
        if (dirs.some((dir) => isExecutableFile(join(dir, name)))) return name
      }
      return this.comm
    })
  }

  /** /proc/[pid]/status as key/value pairs; `{}` when gone. */
  get statusFields(): Record<string, string> {
    return this.lazy('statusFields', () => pairsToRecord(unavailable(() => native.readStatus(this.pid, this.startTicks), [])))
  }

  get userIds(): OwnerIDs | null {
    return this.lazy('userIds', () => parseOwnerIds(this.statusFields.Uid))
  }

  get groupIds(): OwnerIDs | null {
    return this.lazy('groupIds', () => parseOwnerIds(this.statusFields.Gid))
  }

  /** The name of the real user id, or null. */
  get user(): string | null {
    return this.lazy('user', () => (this.userIds ? uidToName(this.userIds.real) : null))
  }

  /** The name of the real group id, or null. */
  get group(): string | null {
    return this.lazy('group', () => (this.groupIds ? gidToName(this.groupIds.real) : null))
  }

  /** Re-reads stat: false when the process is gone, is a zombie, or its pid was reused. */
  get isAlive(): boolean {
    const record = unavailable(() => native.readStat(this.pid, this.startTicks), null)
    return record !== null && record.state !== 'Z'
  }

  /** The same as isAlive, so that waiting on a zombie ends. */
  override get isRunning(): boolean {
    return this.isAlive
  }

  toJSON(): Record<string, unknown> {
    const { pid, comm, state, ppid, pgrp, session, starttime, vsize, rss } = this
    return { pid, comm, state, ppid, pgrp, session, starttime, vsize, rss }
  }
}

/** Builds one object per row of the native process table (see ProcessTable in binding.d.ts). */
function processesFromTable<P extends object>(table: ProcessTable, type: ProcessType<P>): P[] {
  const n = table.count
  const f = new Float64Array(table.numbers)
  const comms = table.comm.split('\0')
  const processes = new Array<P>(n)
  for (let i = 0; i < n; i++) {
    processes[i] = new type({
      pid: f[i]!,
      ppid: f[n + i]!,
      pgrp: f[2 * n + i]!,
      session: f[3 * n + i]!,
      state: String.fromCharCode(f[4 * n + i]!),
      starttime: f[5 * n + i]!,
      vsize: f[6 * n + i]!,
      rss: f[7 * n + i]!,
      comm: comms[i] ?? '',
    })
  }
  return processes
}

/** Every process in /proc, each one's stat read once; processes that end meanwhile are skipped. */
export function findProcesses(): Process[]
export function findProcesses<P extends object>(type: ProcessType<P>): P[]
export function findProcesses(type: ProcessType<object> = Process): object[] {
  return processesFromTable(callNative(() => native.readProcessTable()), type)
}

/** findProcesses, read on a worker thread. */
export function findProcessesAsync(): Promise<Process[]>
export function findProcessesAsync<P extends object>(type: ProcessType<P>): Promise<P[]>
export async function findProcessesAsync(type: ProcessType<object> = Process): Promise<object[]> {
  return processesFromTable(await awaitNative(native.readProcessTableAsync()), type)
}

/** The system's uptime in seconds (the first number of /proc/uptime). */
export function findSystemUptime(): number {
  return callNative(() => native.findSystemUptime())
}

function validateId(id: unknown, name: string): number {
  if (typeof id !== 'number') throw invalidArgType(name, 'of type number', id)
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw outOfRange(name, 'an integer >= 0 and <= 4294967295', id)
  return id
}

/** The user name of `uid`, or null when the user database has none. */
export function uidToName(uid: number): string | null {
  return native.uidToName(validateId(uid, 'uid'))
}

/** The group name of `gid`, or null when the group database has none. */
export function gidToName(gid: number): string | null {
  return native.gidToName(validateId(gid, 'gid'))
}

/** A new array of the processes, sorted by pid. */
export function sortedByPid<P extends { pid: number }>(processes: Iterable<P>): P[] {
  return [...processes].sort((a, b) => a.pid - b.pid)
}

/** The arguments in `directory`/cmdline; `[]` when the process is gone. */
export function parseProcessCmdline(directory: string): string[] {
  validateString(directory, 'directory')
  return callNative(() => native.readCmdlineAt(directory)) ?? []
}

/** The tokenized fields of `directory`/stat (pid, comm without parentheses, …); null when gone. */
export function parseProcessStatus(directory: string): string[] | null {
  validateString(directory, 'directory')
  return callNative(() => native.readStatFields(directory))
}
