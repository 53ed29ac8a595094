import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'

import { killProcessGroup, killSession, Process, processGroupMembers, sessionMembers } from 'prockit'
import { aliveIndependently, eventually, packageRoot, readStatIndependently, spawnForTest } from './helpers'

function killGroupAfter(t: ExecutionContext, pgid: number) {
  t.teardown(() => {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // already gone
    }
  })
}

test('a group of three is listed and killed at once', async (t) => {
  const leader = spawnForTest(t, '/bin/bash', ['-c', '/bin/sleep 30 & /bin/sleep 31 & wait'], { detached: true })
  killGroupAfter(t, leader.pid!)
  await eventually(() => processGroupMembers(leader.pid!).length === 3, 5000, 'three members')
  const members = processGroupMembers(leader.pid!)
  t.deepEqual(members.map((p) => p.comm).sort(), ['bash', 'sleep', 'sleep'])
  t.true(members.every((p) => Number(readStatIndependently(p.pid)[4]) === leader.pid))
  const exit = once(leader, 'exit')
  killProcessGroup(leader.pid!, 'SIGKILL')
  await exit
  await eventually(() => members.every((p) => !aliveIndependently(p.pid)), 5000, 'all three gone')
  // Orphans killed here are reaped by init when it gets to it: zombies may linger a while.
  t.deepEqual(processGroupMembers(leader.pid!).filter((p) => p.state !== 'Z'), [])
})

test('a killed session takes every member, while one that called setsid survives re-parented', async (t) => {
  // bash leads a new session; one sleep stays in it, one moves to a group of its own (job
  // control, so kill(-sid) would miss it), one calls setsid and leaves the session.
  const script = '/bin/sleep 30 & set -m; /bin/sleep 31 & set +m; /usr/bin/setsid /bin/sleep 32 & wait'
  const leader = spawnForTest(t, '/bin/bash', ['-c', script], { detached: true })
  killGroupAfter(t, leader.pid!)
  let survivor: Process | undefined
  await eventually(() => {
    survivor = Process.fromPid(leader.pid!)?.children().find((c) => c.cmdline.join(' ') === '/bin/sleep 32' && c.session === c.pid)
    return survivor !== undefined && sessionMembers(leader.pid!).length === 3
  }, 5000, 'the session and the setsid child')
  t.teardown(() => {
    try {
      process.kill(survivor!.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  const members = sessionMembers(leader.pid!)
  t.deepEqual(members.map((p) => p.cmdline.join(' ')).sort(), ['/bin/bash -c ' + script, '/bin/sleep 30', '/bin/sleep 31'].sort())
  t.true(members.some((p) => p.pgrp !== leader.pid), 'one member is in another process group of the session')
  t.is(survivor!.ppid, leader.pid!)

  const signalled = killSession(leader.pid!, 'SIGKILL')
  t.is(signalled.length, 3)
  await eventually(() => members.every((p) => !p.isAlive), 5000, 'the session gone')
  t.deepEqual(sessionMembers(leader.pid!).filter((p) => p.state !== 'Z'), [])
  t.true(survivor!.isAlive, 'the session leader of its own session survives')
  await eventually(() => Process.fromPid(survivor!.pid)!.ppid !== leader.pid, 5000, 're-parenting')
  t.not(Process.fromPid(survivor!.pid)!.ppid, leader.pid)
})

test('killSession never signals the calling process', (t) => {
  // Run in a session of its own: under a container runtime our own session may be 0, led
  // from outside our PID namespace, which no API accepts as a target.
  const code = `
    const { execFileSync, spawn } = require('node:child_process')
    const { killSession, Process } = require(${JSON.stringify(join(packageRoot, 'dist/index.js'))})
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' })
    while (Process.fromPid(child.pid)?.comm !== 'sleep') execFileSync('/bin/sleep', ['0.01'])
    const me = Process.fromPid(process.pid)
    const signalled = killSession(me.session, 0).map((p) => p.pid) // signal 0: only a check
    child.kill('SIGKILL')
    console.log(JSON.stringify({ self: process.pid, session: me.session, child: child.pid, signalled }))`
  const out = JSON.parse(execFileSync('setsid', ['--wait', process.execPath, '-e', code], { encoding: 'utf8' }))
  t.is(out.session, out.self, 'the script leads its own session')
  t.false(out.signalled.includes(out.self))
  t.true(out.signalled.includes(out.child))
})

test('targets 0, 1 and negatives are refused before any syscall', (t) => {
  for (const id of [0, 1, -1, -42, 1.5, Number.NaN]) {
    t.throws(() => killProcessGroup(id, 'SIGKILL'), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' }, String(id))
    t.throws(() => killSession(id, 'SIGKILL'), { instanceOf: RangeError }, String(id))
    t.throws(() => processGroupMembers(id), { instanceOf: RangeError }, String(id))
    t.throws(() => sessionMembers(id), { instanceOf: RangeError }, String(id))
  }
  t.throws(() => killSession(0), { message: /outside this PID namespace/ }, 'a session of 0, as read in a container, is explained')
  t.throws(() => killProcessGroup('5' as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => killProcessGroup(4194304, 'SIGNOPE' as never), { instanceOf: TypeError, code: 'ERR_UNKNOWN_SIGNAL' })
})

test('killProcessGroup on a group that does not exist is NoSuchProcess (ESRCH)', (t) => {
  t.throws(() => killProcessGroup(4194304, 'SIGTERM'), { code: 'ESRCH', name: 'NoSuchProcess' })
})
