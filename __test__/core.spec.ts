import { once } from 'node:events'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'

import {
  findProcesses,
  findProcessesAsync,
  findSystemUptime,
  fsEncode,
  gidToName,
  NoSuchProcess,
  parseProcessCmdline,
  parseProcessStatus,
  Process,
  sortedByPid,
  uidToName,
} from 'prockit'
import {
  aliveIndependently,
  bootTime,
  CLK_TCK,
  eventually,
  isRoot,
  PAGE_SIZE,
  readStatIndependently,
  sleep,
  spawnForTest,
  waitForComm,
} from './helpers'

const SLEEP = '/bin/sleep'

test('a process named "a) (b c" has exactly that comm, in fromPid, findProcesses and parseProcessStatus', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prockit-comm-'))
  const strange = join(dir, 'a) (b c')
  symlinkSync(SLEEP, strange)
  const child = spawnForTest(t, strange, ['30'])
  await waitForComm(child.pid!, 'a) (b c')
  t.is(Process.fromPid(child.pid!)?.comm, 'a) (b c')
  t.is(findProcesses().find((p) => p.pid === child.pid)?.comm, 'a) (b c')
  const fields = parseProcessStatus(`/proc/${child.pid}`)
  t.deepEqual(fields?.slice(0, 3), [String(child.pid), 'a) (b c', 'S'])
  t.is(fields?.[3], String(process.pid))
})

test('ppid, pgrp, session, state, starttime, vsize and rss agree with /proc', async (t) => {
  const child = spawnForTest(t, SLEEP, ['30'], { detached: true })
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  const fields = readStatIndependently(child.pid!)
  t.is(proc.pid, child.pid!)
  t.is(proc.ppid, process.pid)
  t.is(proc.ppid, Number(fields[3]))
  t.is(proc.pgrp, child.pid!) // detached: a session and group of its own
  t.is(proc.session, child.pid!)
  t.is(proc.pgrp, Number(fields[4]))
  t.is(proc.session, Number(fields[5]))
  t.is(proc.state, fields[2])
  t.is(proc.startTicks, Number(fields[21]))
  const expectedStart = bootTime() + Number(fields[21]) / CLK_TCK
  t.true(Math.abs(proc.starttime - expectedStart) < 1.5, `${proc.starttime} vs ${expectedStart}`)
  t.true(Math.abs(proc.starttime - Date.now() / 1000) < 10)
  t.true(proc.runtime >= 0 && proc.runtime < 10)
  t.is(proc.vsize, Number(fields[22]))
  const rssNow = Number(readStatIndependently(child.pid!)[23]) * PAGE_SIZE
  t.true(Math.abs(proc.rss - rssNow) <= 8 * PAGE_SIZE, `${proc.rss} vs ${rssNow}`)
  t.true(proc.rss > 0)
})

test('the same fields in findProcesses and findProcessesAsync', async (t) => {
  const child = spawnForTest(t, SLEEP, ['30'])
  await waitForComm(child.pid!, 'sleep')
  const fromSync = findProcesses().find((p) => p.pid === child.pid)
  const fromAsync = (await findProcessesAsync()).find((p) => p.pid === child.pid)
  t.truthy(fromSync)
  t.deepEqual(fromAsync?.toJSON(), fromSync?.toJSON())
  t.is(fromSync?.ppid, process.pid)
})

test('findProcessesAsync calls run concurrently and each sees every process', async (t) => {
  const rounds = await Promise.all([findProcessesAsync(), findProcessesAsync(), findProcessesAsync()])
  t.true(rounds.every((list) => list.some((p) => p.pid === process.pid) && list.some((p) => p.pid === 1)))
})

test('argv and environment with bytes that are not UTF-8 do not throw and are kept', async (t) => {
  const script = 'export BAD="$(printf "\\377\\376")"; exec -a "$(printf "arg\\377")" /bin/sleep 30'
  const child = spawnForTest(t, '/bin/bash', ['-c', script])
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  t.is(proc.cmdline.length, 2)
  t.deepEqual(fsEncode(proc.cmdline[0]!), Buffer.from([0x61, 0x72, 0x67, 0xff]))
  t.is(proc.cmdline[1], '30')
  t.deepEqual(fsEncode(proc.environ.BAD!), Buffer.from([0xff, 0xfe]))
  t.deepEqual(fsEncode('plain ütf-8 ✓'), Buffer.from('plain ütf-8 ✓'))
  t.is(proc.exeName, 'sleep')
})

test('lazy properties are read once and cached; exe, exePath, exeName, user, ids', async (t) => {
  const child = spawnForTest(t, SLEEP, ['30'], { env: { PATH: '/usr/bin:/bin', MARKER: 'prockit' } })
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  t.deepEqual(proc.cmdline, [SLEEP, '30'])
  t.is(proc.commandLine, proc.cmdline)
  t.is(proc.environ.MARKER, 'prockit')
  t.regex(proc.exe, /\/sleep$/)
  t.is(proc.exePath, proc.exe)
  t.is(proc.exeName, 'sleep')
  t.is(proc.statusFields.Name, 'sleep')
  t.is(proc.userIds?.real, process.getuid!())
  t.is(proc.groupIds?.real, process.getgid!())
  t.is(proc.user, uidToName(process.getuid!()))
  t.is(proc.toString(), `${child.pid} (${SLEEP} 30)`)
  const cmdline = proc.cmdline
  child.kill('SIGKILL')
  await once(child, 'exit')
  t.is(proc.cmdline, cmdline, 'cached after the process ended')
  t.false(proc.isAlive)
  t.false(proc.isRunning)
})

test('a vanished process gives the unavailable values, never an exception', async (t) => {
  const child = spawnForTest(t, SLEEP, ['30'])
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  child.kill('SIGKILL')
  await once(child, 'exit')
  t.deepEqual(proc.cmdline, [])
  t.deepEqual(proc.environ, {})
  t.is(proc.exe, '')
  t.is(proc.exePath, '')
  t.is(proc.exeName, 'sleep') // falls back to comm
  t.deepEqual(proc.statusFields, {})
  t.is(proc.userIds, null)
  t.is(proc.user, null)
  t.is(Process.fromPid(child.pid!), null)
  t.is(Process.fromPath(`/proc/${child.pid}`), null)
  t.deepEqual(parseProcessCmdline(`/proc/${child.pid}`), [])
  t.is(parseProcessStatus(`/proc/${child.pid}`), null)
  t.throws(() => proc.terminateHelper(), { instanceOf: NoSuchProcess, code: 'ESRCH' })
})

test('a zombie is not alive, and terminate() does not wait for it', async (t) => {
  // bash forks `sleep 0.2`, then becomes `sleep 30`, which never reaps it: a zombie.
  const parent = spawnForTest(t, '/bin/bash', ['-c', `${SLEEP} 0.2 & exec ${SLEEP} 30`])
  let zombie: Process | undefined
  await eventually(() => {
    zombie = findProcesses().find((p) => p.ppid === parent.pid && p.state === 'Z')
    return zombie !== undefined
  }, 5000, 'a zombie child')
  t.is(zombie!.state, 'Z')
  t.false(zombie!.isAlive)
  t.false(zombie!.isRunning)
  t.false(await zombie!.terminate({ timeout: 1 }))
  t.is(await zombie!.waitForProcess({ timeout: 5 }) < 1, true)
})

test('a stale Process whose pid was handed to a new process does not signal it', async (t) => {
  t.true(isRoot(), 'forcing pid reuse writes /proc/sys/kernel/ns_last_pid, which needs root')
  for (let attempt = 0; attempt < 40; attempt++) {
    const first = spawnForTest(t, SLEEP, ['30'])
    await waitForComm(first.pid!, 'sleep')
    const stale = Process.fromPid(first.pid!)!
    first.kill('SIGKILL')
    await once(first, 'exit')
    await sleep(20) // a later start tick than the stale one
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(first.pid! - 1))
    const second = spawnForTest(t, SLEEP, ['30'])
    if (second.pid !== first.pid) {
      second.kill('SIGKILL') // another process took the pid first: try again
      continue
    }
    await waitForComm(second.pid!, 'sleep')
    t.false(stale.isRunning)
    t.false(stale.isAlive)
    t.throws(() => stale.terminateHelper(), { instanceOf: NoSuchProcess, code: 'ESRCH' })
    t.throws(() => stale.killHelper(), { code: 'ESRCH' })
    t.false(await stale.terminate())
    t.is(await stale.waitForProcess({ timeout: 5 }) < 1, true)
    t.deepEqual(stale.cmdline, [], 'lazy reads do not read the new process')
    await sleep(100)
    t.true(aliveIndependently(second.pid!), 'the new owner of the pid is untouched')
    t.true(Process.fromPid(second.pid!)!.isRunning)
    return
  }
  t.fail('could not get the kernel to hand out the same pid again in 40 attempts')
})

test('terminate escalates to SIGKILL after its timeout when SIGTERM is ignored', async (t) => {
  const child = spawnForTest(t, '/bin/bash', ['-c', `trap "" TERM; exec ${SLEEP} 30`])
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  const exit = once(child, 'exit')
  const started = Date.now()
  t.true(await proc.terminate({ timeout: 0.5 }))
  t.true(Date.now() - started >= 450)
  const [, signal] = await exit
  t.is(signal, 'SIGKILL')
  t.false(proc.isAlive)
})

test('waitForProcess works on a process that is not our child', async (t) => {
  const parent = spawnForTest(t, '/bin/bash', ['-c', `${SLEEP} 1 & echo $!; wait`], { stdio: ['ignore', 'pipe', 'ignore'] })
  const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer]
  const grandchild = Process.fromPid(Number(chunk.toString().trim()))!
  t.truthy(grandchild)
  t.not(grandchild.ppid, process.pid)
  t.true(grandchild.isRunning)
  const waited = await grandchild.waitForProcess({ timeout: 10 })
  t.true(waited > 0.3 && waited < 5, `waited ${waited}`)
  t.false(grandchild.isRunning)
})

test('fromPath reads /proc/self and refuses relative paths', (t) => {
  const me = Process.fromPath('/proc/self')
  t.is(me?.pid, process.pid)
  t.is(Process.fromPath('/nonexistent/dir'), null)
  t.throws(() => Process.fromPath('proc/self'), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => Process.fromPath(42 as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
})

test('fromPid refuses pids that are not integers >= 1', (t) => {
  for (const pid of [0, -1, 2.5, Number.NaN]) t.throws(() => Process.fromPid(pid), { instanceOf: RangeError })
  t.throws(() => Process.fromPid('1' as never), { instanceOf: TypeError })
  t.is(Process.fromPid(4194304), null)
})

test('findProcesses skips processes that vanish while it reads, and never throws', async (t) => {
  const churn = spawnForTest(t, '/bin/bash', ['-c', 'for i in $(seq 400); do /bin/true & done; wait'])
  let rounds = 0
  while (churn.exitCode === null && rounds < 200) {
    const all = findProcesses()
    t.true(all.every((p) => p.pid > 0 && typeof p.comm === 'string'))
    rounds++
    await sleep(1)
  }
  t.true(rounds > 0)
})

test('module functions: uptime, names, sortedByPid, parseProcessCmdline', (t) => {
  const uptime = findSystemUptime()
  t.true(uptime > 0)
  t.is(uidToName(0), 'root')
  t.is(gidToName(0), 'root')
  t.is(uidToName(4000000000), null)
  t.throws(() => uidToName(-1), { instanceOf: RangeError })
  t.throws(() => gidToName('0' as never), { instanceOf: TypeError })
  const sorted = sortedByPid(findProcesses())
  t.true(sorted.every((p, i) => i === 0 || sorted[i - 1]!.pid < p.pid))
  t.deepEqual(parseProcessCmdline('/proc/self'), process.argv.length > 0 ? parseProcessCmdline(`/proc/${process.pid}`) : [])
})
