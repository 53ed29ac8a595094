import { once } from 'node:events'
import test from 'ava'

import { NoSuchProcess, ProcessTerminationFailed, UnixProcess } from 'prockit'
import { aliveIndependently, readStatIndependently, spawnForTest, waitForComm } from './helpers'

test('isRunning follows signal 0: true for a live pid, false once it is gone', async (t) => {
  const child = spawnForTest(t, 'sleep', ['30'])
  const proc = new UnixProcess({ pid: child.pid! })
  t.true(proc.isRunning)
  child.kill('SIGKILL')
  await once(child, 'exit')
  t.false(proc.isRunning)
})

test('suspend and resume stop and continue the process', async (t) => {
  const child = spawnForTest(t, 'sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const proc = new UnixProcess({ pid: child.pid! })
  proc.suspend()
  await t.notThrowsAsync(waitForState(child.pid!, 'T'))
  proc.resume()
  await t.notThrowsAsync(waitForState(child.pid!, 'S'))
})

async function waitForState(pid: number, state: string): Promise<void> {
  for (let i = 0; i < 300 && readStatIndependently(pid)[2] !== state; i++) await new Promise((r) => setTimeout(r, 10))
  if (readStatIndependently(pid)[2] !== state) throw new Error(`pid ${pid} never reached state ${state}`)
}

test('sendSignal by name delivers it; the child sees SIGUSR1', async (t) => {
  const child = spawnForTest(t, 'sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  new UnixProcess({ pid: child.pid! }).sendSignal('SIGUSR1')
  const [, signal] = await once(child, 'exit')
  t.is(signal, 'SIGUSR1')
})

test('signals to a gone pid throw NoSuchProcess with Node-style fields', async (t) => {
  const child = spawnForTest(t, 'true', [])
  await once(child, 'exit')
  const proc = new UnixProcess({ pid: child.pid! })
  const error = t.throws(() => proc.terminateHelper(), { instanceOf: NoSuchProcess })
  t.is(error?.code, 'ESRCH')
  t.is(error?.errno, -3)
  t.is(error?.syscall, 'kill')
  t.is(error?.pid, child.pid)
  t.regex(error!.message, /^kill: no such process \(pid \d+\)$/)
})

test('constructor refuses pids that are not one process, before any syscall', (t) => {
  for (const pid of [0, -1, -42, 1.5, Number.NaN, Infinity, 2 ** 31]) {
    t.throws(() => new UnixProcess({ pid }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' }, String(pid))
  }
  for (const pid of ['1', null, undefined, {}, 1n]) {
    t.throws(() => new UnixProcess({ pid } as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' }, String(pid))
  }
  t.throws(() => new UnixProcess(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' })
})

test('pid 1 is never signalled by accident, but signal 0 and an explicit opt-in work', (t) => {
  const init = new UnixProcess({ pid: 1 })
  t.true(init.isRunning)
  t.throws(() => init.terminateHelper(), { code: 'ERR_PROCKIT_INIT_PROTECTED' })
  t.throws(() => init.sendSignal('SIGKILL'), { code: 'ERR_PROCKIT_INIT_PROTECTED' })
  t.true(new UnixProcess({ pid: 1, allowInit: true }).isRunning)
})

test('unknown signals are refused with ERR_UNKNOWN_SIGNAL', (t) => {
  const proc = new UnixProcess({ pid: process.pid })
  t.throws(() => proc.sendSignal('SIGNOPE' as never), { instanceOf: TypeError, code: 'ERR_UNKNOWN_SIGNAL' })
  t.throws(() => proc.sendSignal(65), { instanceOf: TypeError, code: 'ERR_UNKNOWN_SIGNAL' })
  t.throws(() => proc.sendSignal(-1), { instanceOf: TypeError, code: 'ERR_UNKNOWN_SIGNAL' })
  t.throws(() => proc.sendSignal({} as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
})

test('terminate ends a cooperative process and resolves true; false when not running', async (t) => {
  const child = spawnForTest(t, 'sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const proc = new UnixProcess({ pid: child.pid! })
  const exit = once(child, 'exit')
  t.true(await proc.terminate({ timeout: 5 }))
  const [, signal] = await exit
  t.is(signal, 'SIGTERM')
  t.false(await proc.terminate())
  t.false(await proc.kill())
})

test('waitForProcess resolves with the seconds waited, and stops at its timeout', async (t) => {
  const child = spawnForTest(t, 'sleep', ['30'])
  const proc = new UnixProcess({ pid: child.pid! })
  const waited = await proc.waitForProcess({ timeout: 0.3 })
  t.true(waited >= 0.29 && waited < 3, `waited ${waited}`)
  t.true(aliveIndependently(child.pid!))
  setTimeout(() => child.kill('SIGTERM'), 100)
  const untilEnd = await proc.waitForProcess()
  t.true(untilEnd < 5)
})

test('options are validated: timeout must be a number >= 0', async (t) => {
  const proc = new UnixProcess({ pid: process.pid })
  await t.throwsAsync(proc.waitForProcess({ timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(proc.terminate({ timeout: 'soon' as never }), { code: 'ERR_INVALID_ARG_TYPE' })
  await t.throwsAsync(proc.kill({ wait: 1 as never }), { code: 'ERR_INVALID_ARG_TYPE' })
})

test('ProcessTerminationFailed carries the process and a message', (t) => {
  const proc = new UnixProcess({ pid: process.pid })
  const error = new ProcessTerminationFailed(proc, 'Failed to kill process')
  t.is(error.process, proc)
  t.is(error.code, 'ERR_PROCESS_TERMINATION_FAILED')
  t.true(error instanceof Error)
})

test('kill() and terminate() on a zombie resolve true, since a zombie has ended', async (t) => {
  const parent = spawnForTest(t, '/bin/bash', ['-c', '/bin/sleep 0.2 & exec /bin/sleep 30'])
  let zombiePid = 0
  for (let i = 0; i < 300 && zombiePid === 0; i++) {
    await new Promise((r) => setTimeout(r, 10))
    const { readdirSync } = await import('node:fs')
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const fields = readStatIndependently(Number(name))
        if (Number(fields[3]) === parent.pid && fields[2] === 'Z') zombiePid = Number(name)
      } catch {
        // gone meanwhile
      }
    }
  }
  t.true(zombiePid > 0, 'a zombie appeared')
  const zombie = new UnixProcess({ pid: zombiePid })
  t.true(zombie.isRunning, 'signal 0 still reaches a zombie')
  t.true(await zombie.kill({ timeout: 2 }))
  t.true(await zombie.terminate({ timeout: 2 }))
})

test('terminate({ timeout: 0 }) escalates to SIGKILL at once instead of waiting forever', async (t) => {
  const child = spawnForTest(t, '/bin/bash', ['-c', 'trap "" TERM; exec /bin/sleep 30'])
  await waitForComm(child.pid!, 'sleep')
  const exit = once(child, 'exit')
  const started = Date.now()
  t.true(await new UnixProcess({ pid: child.pid! }).terminate({ timeout: 0 }))
  t.true(Date.now() - started < 3000)
  const [, signal] = await exit
  t.is(signal, 'SIGKILL')
})
