// proc.notify: notify-send from anywhere (a cron job, a system daemon). The variables that
// reach the desktop session are collected from the environments of all processes, the most
// popular combination wins, and notify-send runs with it — as the session's user when we
// are root. Built on prockit's public API only.
import { spawn, type StdioOptions } from 'node:child_process'
import { constants } from 'node:os'

import { findProcesses, uidToName } from '../../index'

/** The environment variables notify-send needs to reach the desktop session. */
export const REQUIRED_VARIABLES = ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'XAUTHORITY'] as const

/** Where and as whom to run a command so that it reaches the graphical session. */
export interface GraphicalContext {
  /** The values of REQUIRED_VARIABLES found (those the processes had). */
  environment: Record<string, string>
  /** The real uid and gid of the processes that had them. */
  uid: number
  gid: number
  /** The name of `uid`, or null when the user database has none. */
  user: string | null
  /** How many processes had exactly this combination. */
  processes: number
}

/**
 * Scans every process's environment for REQUIRED_VARIABLES and ranks what it finds by
 * popularity: the combination (with its owner) that the most processes share wins; a tie
 * goes to the combination with more variables, then to the one found first. Processes with
 * neither DBUS_SESSION_BUS_ADDRESS nor DISPLAY are not in a graphical session. Null when
 * none is found (as a non-root user, only our own processes can be read).
 */
export function findGraphicalContext(): GraphicalContext | null {
  const found = new Map<string, GraphicalContext>()
  for (const candidate of findProcesses()) {
    const environ = candidate.environ
    const names = REQUIRED_VARIABLES.filter((name) => environ[name])
    if (!names.includes('DBUS_SESSION_BUS_ADDRESS') && !names.includes('DISPLAY')) continue
    const uid = candidate.userIds?.real
    const gid = candidate.groupIds?.real
    if (uid === undefined || gid === undefined) continue
    const environment = Object.fromEntries(names.map((name) => [name, environ[name]!]))
    const key = JSON.stringify([uid, environment])
    const known = found.get(key)
    if (known) known.processes++
    else found.set(key, { environment, uid, gid, user: null, processes: 1 })
  }
  let best: GraphicalContext | null = null
  const size = (c: GraphicalContext) => Object.keys(c.environment).length
  for (const context of found.values()) {
    if (!best || context.processes > best.processes || (context.processes === best.processes && size(context) > size(best))) best = context
  }
  return best && { ...best, user: uidToName(best.uid) }
}

/** notify-send's options: `{ urgency: 'critical', expireTime: 5000, transient: true }`. */
export type NotifyOptions = Record<string, string | number | boolean | readonly (string | number)[] | null | undefined>

/** `expireTime` and `expire_time` → `expire-time`. */
function optionName(key: string): string {
  return key.replace(/_/g, '-').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}

/** notify-send's arguments for options, summary and body (`--urgency=critical SUMMARY BODY`). */
export function notifySendArguments(body: string, summary?: string | null, options: NotifyOptions = {}): string[] {
  const args: string[] = []
  for (const [key, value] of Object.entries(options)) {
    const flag = `--${optionName(key)}`
    if (value === true) args.push(flag)
    else if (Array.isArray(value)) for (const item of value) args.push(`${flag}=${item}`)
    else if (value !== false && value !== null && value !== undefined) args.push(`${flag}=${value}`)
  }
  if (summary !== undefined && summary !== null) args.push(summary)
  args.push(body)
  return args
}

/**
 * The command line and environment that run `notify-send ARGS` in `context`: its
 * variables over ours, and as its user (setpriv) when we are root and it belongs to
 * someone else. Without a context, notify-send runs as it would here.
 */
export function notifySendCommand(args: string[], context: GraphicalContext | null = findGraphicalContext()): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env = { ...process.env, ...context?.environment }
  if (!context || process.geteuid?.() !== 0 || context.uid === 0) return { command: 'notify-send', args, env }
  // --init-groups needs a user name; a uid without one gets no supplementary groups.
  const groups = context.user === null ? '--clear-groups' : '--init-groups'
  return { command: 'setpriv', args: [`--reuid=${context.uid}`, `--regid=${context.gid}`, groups, '--', 'notify-send', ...args], env }
}

/** Runs notify-send for `args` in `context`; resolves its exit status (127 when it cannot start). */
export function runNotifySend(args: string[], context: GraphicalContext | null, stdio: StdioOptions): Promise<{ status: number; stderr: string }> {
  const { command, args: argv, env } = notifySendCommand(args, context)
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env, stdio })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', (error) => resolve({ status: 127, stderr: `${command}: ${error.message}` }))
    child.once('close', (code, signal) => resolve({ status: code ?? 128 + (signal ? constants.signals[signal] : 0), stderr }))
  })
}

/**
 * Shows a desktop notification on the current graphical session, even from a process that
 * is not part of it: `notifyDesktop('Your laptop is about to die!', 'Battery low', { urgency: 'critical' })`.
 * Options become notify-send's flags (`expireTime: 5000` → `--expire-time=5000`, `true` → a
 * bare flag). Rejects when notify-send fails.
 */
export async function notifyDesktop(body: string, summary?: string | null, options: NotifyOptions = {}): Promise<void> {
  if (typeof body !== 'string') throw Object.assign(new TypeError('The "body" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' })
  if (summary !== undefined && summary !== null && typeof summary !== 'string') {
    throw Object.assign(new TypeError('The "summary" argument must be of type string, null or undefined'), { code: 'ERR_INVALID_ARG_TYPE' })
  }
  const { status, stderr } = await runNotifySend(notifySendArguments(body, summary, options), findGraphicalContext(), ['ignore', 'ignore', 'pipe'])
  if (status !== 0) {
    throw Object.assign(new Error(`notify-send failed (exit status ${status})${stderr.trim() ? `: ${stderr.trim()}` : ''}`), {
      code: 'ERR_PROCKIT_NOTIFY_FAILED',
      status,
    })
  }
}
