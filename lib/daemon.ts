// Daemonize (seed: daemon.become). A Node process has threads, so it cannot fork and go on
// running JavaScript: the native layer forks, calls setsid, forks again and execs the
// command, with nothing but async-signal-safe calls between fork and exec.
import { awaitNative } from './errors'
import { native } from './native'
import { fsEncode } from './text'
import { invalidArgType, invalidArgValue, outOfRange, validateOptions, validateString } from './validate'

export interface SpawnDaemonOptions {
  /** The daemon's file mode creation mask, 0 to 0o777 (default 0, as in the seed). */
  umask?: number
  /** Its working directory (default '/', so that it keeps no file system busy). */
  workdir?: string
  /** Where stdin, stdout and stderr point (default '/dev/null'): opened read-write, created if missing, appended to. */
  redirectTo?: string
  /** A file for stdout instead of `redirectTo`: created if missing (mode 0644 less the umask), appended to. */
  stdout?: string
  /** A file for stderr instead of `redirectTo`, like `stdout`. */
  stderr?: string
  /** The daemon's environment (default `process.env`); entries whose value is undefined are left out. */
  env?: Record<string, string | undefined>
  /** A file that receives the daemon's pid ("1234\n"), written whole (temporary file, then rename) before it execs. */
  pidFile?: string
}

export type BecomeDaemonOptions = SpawnDaemonOptions

export interface Daemon {
  /** The daemon's own pid (not the intermediate child's). */
  readonly pid: number
}

/** Set in the environment of the copy that `becomeDaemon` starts, and removed from it there. */
export const DAEMON_MARKER = 'PROCKIT_DAEMONIZED'

function validateText(value: unknown, name: string): string {
  validateString(value, name)
  if ((value as string).includes('\0')) throw invalidArgValue(name, 'must be a string without null bytes', value)
  return value as string
}

function validateUmask(value: unknown): number {
  if (typeof value !== 'number') throw invalidArgType('options.umask', 'of type number', value)
  if (!Number.isInteger(value) || value < 0 || value > 0o777) throw outOfRange('options.umask', 'an integer >= 0 and <= 0o777', value)
  return value
}

function validateEnv(value: unknown): [string, string][] {
  if (value === null || typeof value !== 'object') throw invalidArgType('options.env', 'of type object', value)
  const entries: [string, string][] = []
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined) continue
    validateText(entry, `options.env.${key}`)
    if (key === '' || key.includes('=') || key.includes('\0')) throw invalidArgValue('options.env', `has an invalid variable name`, key)
    entries.push([key, entry as string])
  }
  return entries
}

const optional = (value: unknown, name: string) => (value === undefined ? undefined : fsEncode(validateText(value, name)))

/**
 * Runs `command` as a daemon: fork, setsid, fork, chdir(workdir), umask, every inherited
 * fd closed, fds 0–2 to `redirectTo` (or `stdout` / `stderr`), signals back to their
 * defaults, exec. Resolves with the daemon's pid once it has exec'd; the daemon is
 * re-parented to init (or the nearest subreaper) and the intermediate child is reaped.
 *
 * A bare `command` is looked up in the PATH of `env`; a relative path resolves against
 * `workdir`, as after chdir. Relative file options resolve against `process.cwd()`.
 * Failures reject with a ProcessError whose `code` is the errno and whose `syscall` names
 * the step: `chdir`, `open` (a stdio or pid file), `execve` (ENOENT, EACCES, …).
 */
export async function spawnDaemon(command: string, args?: readonly string[] | SpawnDaemonOptions, options?: SpawnDaemonOptions): Promise<Daemon> {
  if (args !== undefined && !Array.isArray(args) && options === undefined && typeof args === 'object' && args !== null) {
    return spawnDaemon(command, [], args as SpawnDaemonOptions)
  }
  validateText(command, 'command')
  if (command === '') throw invalidArgValue('command', 'cannot be empty', command)
  if (args !== undefined && !Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args)
  const argv = [command, ...((args as readonly string[] | undefined) ?? []).map((arg, i) => validateText(arg, `args[${i}]`))]
  const { umask = 0, workdir = '/', redirectTo = '/dev/null', stdout, stderr, env = process.env, pidFile } = validateOptions<SpawnDaemonOptions>(options)
  const request = {
    command: fsEncode(command),
    argv: argv.map(fsEncode),
    env: validateEnv(env).map(([key, value]) => fsEncode(`${key}=${value}`)),
    workdir: fsEncode(validateText(workdir, 'options.workdir')),
    umask: validateUmask(umask),
    redirectTo: fsEncode(validateText(redirectTo, 'options.redirectTo')),
    stdout: optional(stdout, 'options.stdout'),
    stderr: optional(stderr, 'options.stderr'),
    pidFile: optional(pidFile, 'options.pidFile'),
  }
  return { pid: await awaitNative(native.spawnDaemon(request)) }
}

/**
 * Turns the running script into a daemon (seed: `become`). In the original process it
 * starts a copy — `process.execPath` with the same `execArgv` and `argv` — as a daemon
 * with `options`, then exits with status 0 once the copy runs (it rejects instead if the
 * copy could not start). In the copy (DAEMON_MARKER set) it removes the marker and
 * resolves at once. Call it early, before the script has side effects it would repeat;
 * relative paths in the arguments resolve against `workdir` in the copy.
 */
export async function becomeDaemon(options?: BecomeDaemonOptions): Promise<void> {
  if (process.env[DAEMON_MARKER] === '1') {
    delete process.env[DAEMON_MARKER]
    return
  }
  const settings = validateOptions<BecomeDaemonOptions>(options)
  const env = Object.fromEntries(validateEnv(settings.env ?? process.env))
  await spawnDaemon(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { ...settings, env: { ...env, [DAEMON_MARKER]: '1' } })
  process.exit(0)
}
