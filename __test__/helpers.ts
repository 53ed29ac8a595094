// Shared by the tests: spawn real processes, wait for them to exec, read /proc independently.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ExecutionContext } from 'ava'

export { sleep }

/** Spawns a command and kills it (by pid) when the test ends. */
export function spawnForTest(t: ExecutionContext, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', ...options })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

/** Resolves once `pid`'s comm reads `comm` (the child has exec'd), or throws after 5 s. */
export async function waitForComm(pid: number, comm: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'latin1').trimEnd() === comm) return
    } catch {
      // not there yet or already gone: keep looking until the deadline
    }
    await sleep(10)
  }
  throw new Error(`pid ${pid} never showed comm ${comm}`)
}

/** Polls `check` every 10 ms until it is true, or throws after `ms`. */
export async function eventually(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** /proc/[pid]/stat read and split without prockit: [pid, comm, state, ...] (man 5 proc order). */
export function readStatIndependently(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1')
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  return [text.slice(0, open).trim(), text.slice(open + 1, close), ...text.slice(close + 2).trim().split(' ')]
}

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
export const PAGE_SIZE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim())

/** The boot time from /proc/stat's btime (whole seconds). */
export function bootTime(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '))
  return Number(line?.split(' ')[1])
}

/** True when the pid exists and is not a zombie, read without prockit. */
export function aliveIndependently(pid: number): boolean {
  try {
    return readStatIndependently(pid)[2] !== 'Z'
  } catch {
    return false
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0
}

export const packageRoot = fileURLToPath(new URL('..', import.meta.url))

/**
 * Copies the built package where user nobody can read it and runs `code` there as nobody
 * (uid 65534) with `require('./dist/index.js')` available; returns what it printed, parsed as
 * JSON. With `hidepid`, inside a private mount namespace whose /proc is mounted with that
 * hidepid option.
 */
export function runAsNobody(t: ExecutionContext, code: string, options: { hidepid?: 1 | 2 } = {}): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'prockit-nobody-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(packageRoot, 'dist'), join(dir, 'dist'), { recursive: true })
  cpSync(join(packageRoot, 'binding.js'), join(dir, 'binding.js'))
  for (const file of readdirSync(packageRoot).filter((f) => f.endsWith('.node'))) cpSync(join(packageRoot, file), join(dir, file))
  execFileSync('chmod', ['-R', 'a+rX', dir])
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', code]
  const [command, ...args] =
    options.hidepid === undefined
      ? asNobody
      : ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount -t proc -o hidepid=${options.hidepid} proc /proc && exec "$@"`, 'sh', ...asNobody]
  const out = execFileSync(command!, args, { cwd: dir, encoding: 'utf8' })
  return JSON.parse(out)
}

/** What a process looks like from /proc, read without prockit: ids, cwd, umask and open fds. */
export interface ProcessView {
  ppid: number
  pgrp: number
  session: number
  cwd: string
  /** The "Umask:" line of /proc/[pid]/status, e.g. '0027'. */
  umask: string
  fds: number[]
  /** readlink of /proc/[pid]/fd/N for every open fd. */
  fdTargets: Record<number, string>
  status: Record<string, string>
}

export function readProcessView(pid: number): ProcessView {
  const stat = readStatIndependently(pid)
  const status = Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  )
  const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b)
  const target = (fd: number) => {
    try {
      return [[fd, readlinkSync(`/proc/${pid}/fd/${fd}`)]]
    } catch {
      return [] // closed meanwhile (only in a process that is busy, such as the test's own)
    }
  }
  return {
    ppid: Number(stat[3]),
    pgrp: Number(stat[4]),
    session: Number(stat[5]),
    cwd: readlinkSync(`/proc/${pid}/cwd`),
    umask: status.Umask ?? '',
    fds,
    fdTargets: Object.fromEntries(fds.flatMap(target)),
    status,
  }
}

/** The pids of our own children that are zombies (ended, not reaped). */
export function ownZombies(): number[] {
  const zombies: number[] = []
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readStatIndependently(Number(entry))
      if (stat[2] === 'Z' && Number(stat[3]) === process.pid) zombies.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return zombies
}

/** How many fds this process has open now. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length
}

/** SIGKILLs `pid` (by pid) when the test ends, if it still runs. */
export function killOnTeardown(t: ExecutionContext, pid: number): void {
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  })
}
