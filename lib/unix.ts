// proc.unix: a process known only by its pid, controlled with signals. No /proc here.
import { awaitNative, callNative, NoSuchProcess, ProcessTerminationFailed } from './errors'
import { native } from './native'
import { signalName, signalNumber, type Signal } from './signals'
import { validateBoolean, validateOptions, validatePid, validateSeconds } from './validate'

export interface UnixProcessOptions {
  pid: number
  /** Allow signals to pid 1 (init), which are refused otherwise so that none is sent by accident. */
  allowInit?: boolean
}

export interface WaitOptions {
  /** Seconds to wait at most; 0 waits as long as it takes. */
  timeout?: number
}

export interface TerminateOptions {
  /** Wait for the process to end (default true). */
  wait?: boolean
  /** Seconds to wait before escalating or giving up (default 10). */
  timeout?: number
}

const DEFAULT_TIMEOUT = 10
/** The least kill() waits after SIGKILL, whatever its timeout. */
const MIN_KILL_WAIT = 0.5

/** Shell-quotes one argument, as Python's shlex.quote does. */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'"'"'`)}'`
}

export class UnixProcess {
  readonly pid: number
  readonly #allowInit: boolean

  constructor(options: UnixProcessOptions) {
    const { pid, allowInit = false } = validateOptions<UnixProcessOptions>(options ?? null)
    this.pid = validatePid(pid)
    this.#allowInit = validateBoolean(allowInit, 'options.allowInit')
  }

  /** The command line (`[]` here: a UnixProcess knows only its pid). */
  get commandLine(): string[] {
    return []
  }

  toString(): string {
    return `${this.pid} (${this.commandLine.map(quote).join(' ')})`
  }

  /**
   * The start time in clock ticks that pins this object to one process, or null when
   * unknown. With it, signals and waits never reach a later process that got the same pid.
   */
  protected get identityTicks(): number | null {
    return null
  }

  /** Signal 0: delivered or EPERM means the process exists; ESRCH means it does not. */
  get isRunning(): boolean {
    try {
      callNative(() => native.sendSignal(this.pid, this.identityTicks, 0))
      return true
    } catch (error) {
      if ((error as { code?: string }).code === 'EPERM') return true
      if ((error as { code?: string }).code === 'ESRCH') return false
      throw error
    }
  }

  /** Sends a signal by name ('SIGUSR1') or number. Throws NoSuchProcess or AccessDenied. */
  sendSignal(signal: Signal): void {
    const number = signalNumber(signal)
    if (this.pid === 1 && number !== 0 && !this.#allowInit) {
      throw Object.assign(
        new Error(`kill: refusing to send ${signalName(number)} to pid 1 (init); construct with { allowInit: true } to mean it`),
        { code: 'ERR_PROCKIT_INIT_PROTECTED', pid: 1, syscall: 'kill' },
      )
    }
    callNative(() => native.sendSignal(this.pid, this.identityTicks, number))
  }

  /** SIGTERM: ask the process to end. */
  terminateHelper(): void {
    this.sendSignal('SIGTERM')
  }

  /** SIGKILL: end the process; it cannot be caught. */
  killHelper(): void {
    this.sendSignal('SIGKILL')
  }

  /** SIGSTOP: pause the process until resume(). */
  suspend(): void {
    this.sendSignal('SIGSTOP')
  }

  /** SIGCONT: resume a process paused by suspend(). */
  resume(): void {
    this.sendSignal('SIGCONT')
  }

  /**
   * Waits until the process has ended (exited, or become a zombie) or `timeout` seconds
   * have passed, without blocking the event loop; resolves with the seconds waited. Works
   * for any process, not only children: it waits on a pidfd.
   */
  async waitForProcess(options?: WaitOptions): Promise<number> {
    const { timeout = 0 } = validateOptions<WaitOptions>(options)
    validateSeconds(timeout, 'options.timeout')
    const started = performance.now()
    await awaitNative(native.waitForExit(this.pid, this.identityTicks, timeout > 0 ? timeout * 1000 : null)) // resolves { exited } either way
    return (performance.now() - started) / 1000
  }

  /**
   * If running: SIGTERM, then (with `wait`) up to `timeout` seconds for the process to end
   * (0: none), then kill() if it still runs. Resolves true if it was running, false if not.
   */
  async terminate(options?: TerminateOptions): Promise<boolean> {
    const { wait = true, timeout = DEFAULT_TIMEOUT } = validateTerminateOptions(options)
    if (!this.isRunning) return false
    if (!this.#signalUnlessGone(() => this.terminateHelper())) return true
    if (wait && !(await this.#endsWithin(timeout))) return this.kill({ wait, timeout })
    return true
  }

  /**
   * If running: SIGKILL, then (with `wait`) up to `timeout` seconds — at least half a second,
   * since even SIGKILL takes the kernel a moment — for the process to end; rejects with
   * ProcessTerminationFailed if it survives. Resolves false if it was not running.
   */
  async kill(options?: TerminateOptions): Promise<boolean> {
    const { wait = true, timeout = DEFAULT_TIMEOUT } = validateTerminateOptions(options)
    if (!this.isRunning) return false
    if (!this.#signalUnlessGone(() => this.killHelper())) return true
    if (wait) {
      const waitFor = Math.max(timeout, MIN_KILL_WAIT)
      if (!(await this.#endsWithin(waitFor))) {
        throw new ProcessTerminationFailed(this, `Failed to kill process ${this}! (waited ${waitFor.toFixed(2)} seconds)`)
      }
    }
    return true
  }

  /** Sends a signal; false when the process ended between the check and the signal. */
  #signalUnlessGone(send: () => void): boolean {
    try {
      send()
      return true
    } catch (error) {
      if (error instanceof NoSuchProcess) return false
      throw error
    }
  }

  /** True once the process has ended (exited, or a zombie) within `seconds` (0: right now). */
  async #endsWithin(seconds: number): Promise<boolean> {
    const { exited } = await awaitNative(native.waitForExit(this.pid, this.identityTicks, seconds * 1000))
    return exited
  }
}

function validateTerminateOptions(options: unknown): TerminateOptions {
  const { wait = true, timeout = DEFAULT_TIMEOUT } = validateOptions<TerminateOptions>(options)
  return { wait: validateBoolean(wait, 'options.wait'), timeout: validateSeconds(timeout, 'options.timeout') }
}
