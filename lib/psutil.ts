// psutil's Process API on prockit's Process: live readings (never cached, unlike proc's lazy
// properties), pid-reuse checks, and psutil's errors: NoSuchProcess, ZombieProcess,
// AccessDenied, TimeoutExpired. The methods are added to Process here so that core.ts
// stays the port of proc.core.
import { cpus } from 'node:os'
import { readdirSync, statSync } from 'node:fs'

import { findProcesses, pairsToRecord, Process, uidToName } from './core'
import { AccessDenied, awaitNative, callNative, NoSuchProcess, TimeoutExpired, ZombieProcess } from './errors'
import { readLive, withOneshotCache } from './live'
import type { IoCounters as NativeIoCounters, MemoryDetail, MemoryInfo as NativeMemoryInfo, OpenFile as NativeOpenFile } from '../binding'
import { native, systemFacts } from './native'
import { invalidArgType, validateOptions, validatePid, validateSeconds } from './validate'

export interface CpuTimes {
  user: number
  system: number
  childrenUser: number
  childrenSystem: number
}
/** statm in bytes: rss, vms, shared, text, lib, data, dirty. */
export type MemoryInfo = NativeMemoryInfo
/** memoryInfo() plus uss, pss and swap (bytes) from smaps_rollup. */
export type MemoryFullInfo = NativeMemoryInfo & MemoryDetail
/** A regular file the process has open: its path and fd. */
export type OpenFile = NativeOpenFile
/** /proc/[pid]/io with psutil's names. */
export type IoCounters = NativeIoCounters
export interface CtxSwitches {
  voluntary: number
  involuntary: number
}
/** psutil's STATUS_* names. */
export type ProcessStatus =
  | 'running' | 'sleeping' | 'disk-sleep' | 'stopped' | 'tracing-stop' | 'zombie'
  | 'dead' | 'wake-kill' | 'waking' | 'parked' | 'idle'

declare module './core' {
  interface Process {
    /** The start time in seconds since the epoch (= starttime); with pid, the identity. */
    readonly createTime: number
    /** The parent as a new Process, or null; null too when the ppid was reused by a younger process. */
    parent(): Process | null
    /** Every ancestor, nearest first. */
    parents(): Process[]
    /** The children (all descendants with `recursive`), leaving out younger pid reusers. */
    children(options?: { recursive?: boolean }): Process[]
    cpuTimes(): CpuTimes
    /** CPU use in percent since the last call (0 on the first), or over `interval` seconds. */
    cpuPercent(options?: { interval?: 0 | null }): number
    cpuPercent(options: { interval: number }): Promise<number>
    memoryInfo(): MemoryInfo
    memoryFullInfo(): MemoryFullInfo
    numThreads(): number
    numFds(): number
    openFiles(): OpenFile[]
    cwd(): string
    nice(): number
    nice(value: number): void
    ioCounters(): IoCounters
    numCtxSwitches(): CtxSwitches
    /** The path of the controlling terminal, or null. */
    terminal(): string | null
    status(): ProcessStatus
    /** The name of the real user, or the uid as text when it has none. */
    username(): string
    /**
     * Waits for the end of any process (a pidfd, not polling); resolves with its exit code (or
     * minus the signal that ended it) when it is our child, else null. Children of prockit's
     * spawn() always give their status; a child of Node's child_process gives it unless Node
     * reaped it first (then null: read its 'exit' event instead). Rejects with TimeoutExpired.
     */
    wait(options?: { timeout?: number }): Promise<number | null>
    /** Runs `fn` with every /proc file of this process read at most once (psutil's oneshot). */
    oneshot<T>(fn: () => T): T
    /** With processIter({ attrs }): the attributes read, AccessDenied/ZombieProcess ones as null. */
    info?: Record<string, unknown>
    /** With waitProcs: the exit code of a process that ended (null when not our child). */
    returncode?: number | null
  }
}

const STATUS: Record<string, ProcessStatus> = {
  R: 'running', S: 'sleeping', D: 'disk-sleep', T: 'stopped', t: 'tracing-stop', Z: 'zombie',
  X: 'dead', x: 'dead', K: 'wake-kill', W: 'waking', P: 'parked', I: 'idle',
}

// --- reading: one read per file inside oneshot, errors as psutil's ---------------------

const oneshotCaches = new WeakMap<Process, Map<string, unknown>>()

/** Reads `file` of `proc`, sharing the result inside proc.oneshot(). */
function live<T>(proc: Process, file: string, read: (pid: number, ticks: number | null) => T | null): T {
  return readLive(proc, file, read, oneshotCaches.get(proc))
}

const stat = (proc: Process) => live(proc, 'stat', native.readStatDetail)
const status = (proc: Process) => pairsToRecord(live(proc, 'status', native.readStatus))
const ticksToSeconds = (ticks: number) => ticks / systemFacts.clockTicks

// --- the methods -------------------------------------------------------------------------

const lastCpu = new WeakMap<Process, { system: number; process: number }>()
const numCpus = Math.max(1, cpus().length)
const cpuTimer = () => (performance.now() / 1000) * numCpus

function cpuBusySeconds(proc: Process): number {
  const times = proc.cpuTimes()
  return times.user + times.system
}

function percent(deltaProcess: number, deltaSystem: number): number {
  return deltaSystem > 0 ? Math.round((deltaProcess / deltaSystem) * 100 * numCpus * 10) / 10 : 0
}

function devicePath(rdev: number): string | null {
  for (const dir of ['/dev/pts', '/dev']) {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names) {
      if (dir === '/dev' && !name.startsWith('tty') && name !== 'console') continue
      try {
        const info = statSync(`${dir}/${name}`)
        if (info.isCharacterDevice() && info.rdev === rdev) return `${dir}/${name}`
      } catch {
        // a device that vanished: not ours
      }
    }
  }
  return null
}

const exitCodes = new WeakMap<Process, number | null>()

const methods: ThisType<Process> & Record<string, unknown> = {
  parent(): Process | null {
    if (this.ppid === 0) return null
    const parent = Process.fromPid(this.ppid)
    return parent && parent.createTime <= this.createTime ? parent : null
  },

  parents(): Process[] {
    const found: Process[] = []
    for (let p = this.parent(); p; p = p.parent()) found.push(p)
    return found
  },

  children(options?: { recursive?: boolean }): Process[] {
    const { recursive = false } = validateOptions<{ recursive: boolean }>(options)
    if (typeof recursive !== 'boolean') throw invalidArgType('options.recursive', 'of type boolean', recursive)
    const byParent = new Map<number, Process[]>()
    for (const p of findProcesses()) {
      const siblings = byParent.get(p.ppid)
      if (siblings) siblings.push(p)
      else byParent.set(p.ppid, [p])
    }
    const found: Process[] = []
    const seen = new Set<number>()
    const stack = [this.pid]
    while (stack.length > 0) {
      const pid = stack.pop()!
      if (seen.has(pid)) continue // a cycle from pid reuse during the read
      seen.add(pid)
      for (const child of byParent.get(pid) ?? []) {
        if (child.createTime < this.createTime) continue // older than us: a reused pid
        found.push(child)
        if (recursive) stack.push(child.pid)
      }
    }
    return found
  },

  cpuTimes(): CpuTimes {
    const s = stat(this)
    return {
      user: ticksToSeconds(s.utime),
      system: ticksToSeconds(s.stime),
      childrenUser: ticksToSeconds(s.cutime),
      childrenSystem: ticksToSeconds(s.cstime),
    }
  },

  cpuPercent(options?: { interval?: number | null }): number | Promise<number> {
    const { interval = null } = validateOptions<{ interval: number | null }>(options)
    if (interval !== null) validateSeconds(interval, 'options.interval')
    if (interval) {
      const system = cpuTimer()
      const busy = cpuBusySeconds(this)
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          try {
            resolve(percent(cpuBusySeconds(this) - busy, cpuTimer() - system))
          } catch (error) {
            reject(error)
          }
        }, interval * 1000),
      )
    }
    const now = { system: cpuTimer(), process: cpuBusySeconds(this) }
    const last = lastCpu.get(this)
    lastCpu.set(this, now)
    return last ? percent(now.process - last.process, now.system - last.system) : 0
  },

  memoryInfo(): MemoryInfo {
    return live(this, 'statm', native.readMemoryInfo)
  },

  memoryFullInfo(): MemoryFullInfo {
    return { ...this.memoryInfo(), ...live(this, 'smaps_rollup', native.readMemoryDetail) }
  },

  numThreads(): number {
    return stat(this).numThreads
  },

  numFds(): number {
    return live(this, 'fd', native.countFds)
  },

  openFiles(): OpenFile[] {
    return live(this, 'fd-targets', native.readOpenFiles)
  },

  cwd(): string {
    return live(this, 'cwd', native.readCwd)
  },

  nice(value?: number): number | void {
    if (value === undefined) return callNative(() => native.getNice(this.pid, this.startTicks))
    if (typeof value !== 'number') throw invalidArgType('value', 'of type number', value)
    if (!Number.isInteger(value) || value < -20 || value > 19) {
      throw Object.assign(new RangeError(`The value of "value" is out of range. It must be an integer >= -20 and <= 19. Received ${value}`), { code: 'ERR_OUT_OF_RANGE' })
    }
    callNative(() => native.setNice(this.pid, this.startTicks, value))
  },

  ioCounters(): IoCounters {
    return live(this, 'io', native.readIoCounters)
  },

  numCtxSwitches(): CtxSwitches {
    const fields = status(this)
    return { voluntary: Number(fields.voluntary_ctxt_switches), involuntary: Number(fields.nonvoluntary_ctxt_switches) }
  },

  terminal(): string | null {
    const tty = stat(this).ttyNr
    return tty === 0 ? null : devicePath(tty)
  },

  status(): ProcessStatus {
    return STATUS[stat(this).state] ?? 'sleeping'
  },

  username(): string {
    const uid = Number(status(this).Uid?.split(/\s+/)[0])
    return uidToName(uid) ?? String(uid)
  },

  async wait(options?: { timeout?: number }): Promise<number | null> {
    const { timeout } = validateOptions<{ timeout: number }>(options)
    if (timeout !== undefined) validateSeconds(timeout, 'options.timeout')
    if (exitCodes.has(this)) return exitCodes.get(this)!
    const result = await awaitNative(native.waitForExit(this.pid, this.startTicks, timeout === undefined ? null : timeout * 1000))
    if (!result.exited) throw new TimeoutExpired(timeout!, this.pid)
    exitCodes.set(this, result.status ?? null)
    return result.status ?? null
  },

  oneshot<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn)
    return withOneshotCache(oneshotCaches, this, fn)
  },
}

for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Process.prototype, name, { value: method, writable: true, configurable: true })
}
Object.defineProperty(Process.prototype, 'createTime', {
  get(this: Process) {
    return this.starttime
  },
  configurable: true,
})

// --- module functions --------------------------------------------------------------------

/** Every pid in /proc, ascending. */
export function pids(): number[] {
  return callNative(() => native.listPids())
}

/** True when a process (not a thread) with this pid exists. */
export function pidExists(pid: number): boolean {
  validatePid(pid)
  try {
    const flat = native.readStatus(pid, null)
    return flat !== null && Number(pairsToRecord(flat).Tgid) === pid
  } catch (error) {
    // Unreadable (hidepid, EPERM) but present: it exists.
    return (error as { code?: string }).code === 'EACCES' || (error as { code?: string }).code === 'EPERM'
  }
}

const ATTRS = new Set([
  'pid', 'ppid', 'comm', 'state', 'pgrp', 'session', 'starttime', 'createTime', 'vsize', 'rss',
  'cmdline', 'environ', 'exe', 'exePath', 'exeName', 'user', 'group', 'userIds', 'groupIds',
  'cpuTimes', 'memoryInfo', 'memoryFullInfo', 'numThreads', 'numFds', 'openFiles', 'cwd',
  'nice', 'ioCounters', 'numCtxSwitches', 'terminal', 'status', 'username',
])

export interface ProcessIterOptions {
  /** Attribute and method names to read into each process's `info`, one read per file. */
  attrs?: string[]
  /** The value for an attribute that raised AccessDenied or ZombieProcess (default null). */
  adValue?: unknown
}

/** Every process, with `info` filled from `attrs` when given; processes that vanish are left out. */
export function processIter(options?: ProcessIterOptions): Process[] {
  const { attrs, adValue = null } = validateOptions<ProcessIterOptions>(options)
  if (attrs !== undefined && (!Array.isArray(attrs) || attrs.some((a) => typeof a !== 'string'))) {
    throw invalidArgType('options.attrs', 'an array of strings', attrs)
  }
  for (const name of attrs ?? []) {
    if (!ATTRS.has(name)) throw Object.assign(new TypeError(`The "options.attrs" argument has an unknown attribute '${name}'`), { code: 'ERR_INVALID_ARG_VALUE' })
  }
  const processes = findProcesses()
  if (!attrs) return processes
  const kept: Process[] = []
  for (const proc of processes) {
    try {
      proc.info = proc.oneshot(() => Object.fromEntries(attrs.map((name) => [name, readAttr(proc, name, adValue)])))
      kept.push(proc)
    } catch (error) {
      if (!(error instanceof NoSuchProcess) || error instanceof ZombieProcess) throw error
    }
  }
  return kept
}

function readAttr(proc: Process, name: string, adValue: unknown): unknown {
  try {
    const value = (proc as unknown as Record<string, unknown>)[name]
    return typeof value === 'function' ? (value as () => unknown).call(proc) : value
  } catch (error) {
    if (error instanceof AccessDenied || error instanceof ZombieProcess) return adValue
    throw error
  }
}

export interface WaitProcsOptions {
  /** Seconds to wait at most; without it, waits until every process has ended. */
  timeout?: number
  /** Called with each process as it ends (its `returncode` set). */
  callback?: (proc: Process) => void
}

/** Waits for several processes at once; resolves with those that ended and those still alive. */
export async function waitProcs(procs: Iterable<Process>, options?: WaitProcsOptions): Promise<{ gone: Process[]; alive: Process[] }> {
  const { timeout, callback } = validateOptions<WaitProcsOptions>(options)
  if (timeout !== undefined) validateSeconds(timeout, 'options.timeout')
  if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('options.callback', 'of type function', callback)
  const list = [...procs]
  for (const p of list) if (!(p instanceof Process)) throw invalidArgType('procs', 'an iterable of Process', p)
  const gone: Process[] = []
  const alive: Process[] = []
  await Promise.all(
    list.map(async (proc) => {
      try {
        proc.returncode = await proc.wait(timeout === undefined ? undefined : { timeout })
        gone.push(proc)
        callback?.(proc)
      } catch (error) {
        if (!(error instanceof TimeoutExpired)) throw error
        alive.push(proc)
      }
    }),
  )
  return { gone, alive }
}
