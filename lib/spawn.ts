// spawn(): like child_process.spawn, plus what it cannot do — a new process group without a
// new session (newProcessGroup), or a new session (newSession, Node's `detached`) — and a
// pid-reuse-safe Process for the child. One fork and exec in the native layer.
import { EventEmitter } from 'node:events'
import { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'

import { Process } from './core'
import { callNative, NoSuchProcess } from './errors'
import { native } from './native'
import { signalName, type Signal } from './signals'
import { fsEncode } from './text'
import { invalidArgType, invalidArgValue, validateBoolean, validateOptions, validateString } from './validate'

export type StdioOption = 'pipe' | 'inherit' | 'ignore'

export interface SpawnOptions {
  /** Start the child as the leader of a new session (setsid): it survives the death of ours. */
  newSession?: boolean
  /** Start the child as the leader of a new process group in our session (setpgid(0, 0)). */
  newProcessGroup?: boolean
  /** The child's working directory (default: ours). */
  cwd?: string
  /** The child's environment (default `process.env`); undefined values are left out. */
  env?: Record<string, string | undefined>
  /** For stdin, stdout, stderr, or one value for all three (default 'pipe'). */
  stdio?: StdioOption | [StdioOption, StdioOption, StdioOption]
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended the child. */
  code: number | null
  /** The name of the signal that ended the child, or null. */
  signal: NodeJS.Signals | null
}

const STDIO = new Set(['pipe', 'inherit', 'ignore'])

function text(value: unknown, name: string): string {
  validateString(value, name)
  if ((value as string).includes('\0')) throw invalidArgValue(name, 'must be a string without null bytes', value)
  return value as string
}

function stdioOf(value: unknown): StdioOption[] {
  const list = Array.isArray(value) ? value : [value, value, value]
  if (list.length !== 3 || !list.every((v) => STDIO.has(v as string))) {
    throw invalidArgValue('options.stdio', "must be 'pipe', 'inherit', 'ignore' or an array of three of them", value)
  }
  return list as StdioOption[]
}

/**
 * A child started by spawn(): child_process's events ('spawn', 'exit', 'close', 'error'),
 * fields (pid, stdin, stdout, stderr, exitCode, signalCode) and kill(), plus `process`,
 * a Process pinned to the child's identity, and `exited`, a promise of its exit status.
 */
export class SpawnedProcess extends EventEmitter {
  readonly pid: number | undefined
  readonly process: Process | null
  readonly stdin: Writable | null
  readonly stdout: Readable | null
  readonly stderr: Readable | null
  readonly spawnfile: string
  readonly spawnargs: string[]
  exitCode: number | null = null
  signalCode: NodeJS.Signals | null = null
  /** Resolves with the exit status (never rejects: a failed start resolves with code null, signal null). */
  readonly exited: Promise<ExitStatus>
  /** The pipe on which the native watcher reports the exit: a socket, so it can be unref'd. */
  readonly #watch: Socket | null = null

  /** @internal Built by spawn(). */
  constructor(command: string, argv: string[], started: { pid: number; stdin?: number | null; stdout?: number | null; stderr?: number | null } | Error) {
    super()
    this.spawnfile = command
    this.spawnargs = argv
    if (started instanceof Error) {
      this.pid = undefined
      this.process = null
      this.stdin = this.stdout = this.stderr = null
      this.exited = Promise.resolve({ code: null, signal: null })
      process.nextTick(() => this.emit('error', started))
      return
    }
    this.pid = started.pid
    this.process = Process.fromPid(started.pid)
    const wrap = (fd: number | null | undefined, writable: boolean) =>
      fd === null || fd === undefined ? null : new Socket({ fd, readable: !writable, writable })
    this.stdin = wrap(started.stdin, true)
    this.stdout = wrap(started.stdout, false)
    this.stderr = wrap(started.stderr, false)
    const watch = new Socket({ fd: callNative(() => native.watchChild(started.pid)), readable: true, writable: false })
    this.#watch = watch
    this.exited = new Promise<ExitStatus>((resolve) => {
      const chunks: Buffer[] = []
      watch.on('data', (chunk: Buffer) => chunks.push(chunk))
      watch.on('close', () => {
        const record = Buffer.concat(chunks)
        const code = record.length >= 8 ? record.readInt32LE(0) : -1
        const signal = record.length >= 8 ? record.readInt32LE(4) : -1
        this.exitCode = code >= 0 ? code : null
        this.signalCode = signal > 0 ? (signalName(signal) as NodeJS.Signals) : null
        resolve({ code: this.exitCode, signal: this.signalCode })
      })
    })
    process.nextTick(() => this.emit('spawn'))
    void this.exited.then(async (status) => {
      this.emit('exit', status.code, status.signal)
      const streams = [this.stdin, this.stdout, this.stderr].filter((s): s is Socket => s !== null)
      await Promise.all(streams.map((s) => (s.closed ? undefined : new Promise((resolve) => s.once('close', resolve)))))
      this.emit('close', status.code, status.signal)
    })
  }

  /** Lets the event loop end while the child runs (as ChildProcess.unref()): its exit and its pipes no longer hold it. */
  unref(): this {
    for (const handle of [this.#watch, this.stdin, this.stdout, this.stderr]) (handle as Socket | null)?.unref()
    return this
  }

  /** Undoes unref(). */
  ref(): this {
    for (const handle of [this.#watch, this.stdin, this.stdout, this.stderr]) (handle as Socket | null)?.ref()
    return this
  }

  /** Sends `signal` (default SIGTERM) to the child, never to a process that reused its pid. Returns false if it has ended. */
  kill(signal: Signal = 'SIGTERM'): boolean {
    if (!this.process || this.exitCode !== null || this.signalCode !== null) return false
    try {
      this.process.sendSignal(signal)
      return true
    } catch (error) {
      if (error instanceof NoSuchProcess) return false
      throw error
    }
  }
}

/**
 * Starts `command` with `args`, as child_process.spawn does, in a new session
 * (`newSession`) or a new process group (`newProcessGroup`) when asked. A failure to start
 * (ENOENT, EACCES, a bad cwd) is emitted as 'error', as by child_process.
 */
export function spawn(command: string, args: readonly string[] = [], options?: SpawnOptions): SpawnedProcess {
  text(command, 'command')
  if (command === '') throw invalidArgValue('command', 'cannot be empty', command)
  if (!Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args)
  const argv = [command, ...args.map((arg, i) => text(arg, `args[${i}]`))]
  const { newSession = false, newProcessGroup = false, cwd, env = process.env, stdio = 'pipe' } = validateOptions<SpawnOptions>(options)
  validateBoolean(newSession, 'options.newSession')
  validateBoolean(newProcessGroup, 'options.newProcessGroup')
  if (env === null || typeof env !== 'object') throw invalidArgType('options.env', 'of type object', env)
  const envList = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => fsEncode(`${key}=${text(value, `options.env.${key}`)}`))
  const request = {
    command: fsEncode(command),
    argv: argv.map(fsEncode),
    env: envList,
    cwd: cwd === undefined ? undefined : fsEncode(text(cwd, 'options.cwd')),
    stdio: stdioOf(stdio),
    grouping: newSession ? 'session' : newProcessGroup ? 'group' : 'inherit',
  }
  let started: ReturnType<typeof native.spawnChild> | Error
  try {
    started = callNative(() => native.spawnChild(request))
  } catch (error) {
    started = error as Error
  }
  return new SpawnedProcess(command, argv, started)
}
