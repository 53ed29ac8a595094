// Shared by the tests: spawn real processes, wait for them to exec, read /proc independently.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

import { readFileSync } from 'node:fs'
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
