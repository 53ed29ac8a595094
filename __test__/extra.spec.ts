import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import test from 'ava'

import {
  AccessDenied,
  NoSuchProcess,
  oneshotProc,
  procGetgroups,
  procGetpgid,
  procGetrlimit,
  procGetSigmask,
  procGetsid,
  procGetUmask,
  Process,
  procRlimit,
} from 'prockit'
import { eventually, isRoot, runAsNobody, spawnForTest, waitForComm } from './helpers'

/** The "Max open files"-style row of /proc/[pid]/limits, read without prockit. */
function limitsRow(pid: number, name: string): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith(name))!
  return [line.slice(26, 47).trim(), line.slice(47, 68).trim()]
}

test('a umask set with `umask 027` is read back, by pid and by Process', async (t) => {
  const child = spawnForTest(t, '/bin/bash', ['-c', 'umask 027; exec /bin/sleep 30'])
  await waitForComm(child.pid!, 'sleep')
  t.is(procGetUmask(child.pid!), 0o027)
  t.is(procGetUmask(Process.fromPid(child.pid!)!), 0o027)
})

test('an ignored and a caught signal appear in the sigmask', async (t) => {
  const shell = spawnForTest(t, '/bin/bash', ['-c', 'trap "" USR1; trap "echo caught" USR2; while :; do /bin/sleep 0.1; done'])
  await eventually(() => procGetSigmask(shell.pid!).caught.has('SIGUSR2'), 5000, 'the traps')
  const masks = procGetSigmask(shell.pid!)
  t.true(masks.ignored.has('SIGUSR1'))
  t.false(masks.caught.has('SIGUSR1'))
  t.true(masks.caught.has('SIGUSR2'))
  t.false(masks.ignored.has('SIGUSR2'))
  t.true(masks.pending instanceof Set && masks.blocked instanceof Set && masks.processPending instanceof Set)
  // Node itself ignores SIGPIPE and catches the signals it has listeners for.
  process.on('SIGWINCH', () => {})
  const mine = procGetSigmask(process.pid)
  t.true(mine.ignored.has('SIGPIPE'))
  t.true(mine.caught.has('SIGWINCH'))
})

test('an rlimit changed on another process is read back from /proc/[pid]/limits', async (t) => {
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const before = procGetrlimit(child.pid!, 'RLIMIT_NOFILE')
  t.deepEqual(before.map(String), limitsRow(child.pid!, 'Max open files'))
  const previous = procRlimit(child.pid!, 'RLIMIT_NOFILE', [100, 200])
  t.deepEqual(previous, before)
  t.deepEqual(limitsRow(child.pid!, 'Max open files'), ['100', '200'])
  t.deepEqual(procGetrlimit(Process.fromPid(child.pid!)!, 'RLIMIT_NOFILE'), [100, 200])
  // RLIM_INFINITY is Infinity, both ways.
  procRlimit(child.pid!, 'RLIMIT_CORE', [0, Infinity])
  t.deepEqual(procGetrlimit(child.pid!, 'RLIMIT_CORE'), [0, Infinity])
  t.deepEqual(limitsRow(child.pid!, 'Max core file size'), ['0', 'unlimited'])
})

test('a soft limit above the hard one is refused and changes nothing', async (t) => {
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const before = limitsRow(child.pid!, 'Max open files')
  t.throws(() => procRlimit(child.pid!, 'RLIMIT_NOFILE', [300, 200]), { code: 'EINVAL' })
  t.deepEqual(limitsRow(child.pid!, 'Max open files'), before)
  t.throws(() => procRlimit(child.pid!, 'RLIMIT_BOGUS', [1, 2]), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => procRlimit(child.pid!, 'RLIMIT_NOFILE', [-1, 2]), { instanceOf: RangeError })
  t.throws(() => procRlimit(child.pid!, 'RLIMIT_NOFILE', [Number.NaN, 2]), { instanceOf: RangeError })
  t.throws(() => procRlimit(child.pid!, 'RLIMIT_NOFILE', [1] as never), { instanceOf: TypeError })
  t.throws(() => procGetrlimit(child.pid!, 7 as never), { instanceOf: TypeError })
})

test('groups, pgid and sid of a spawned process', async (t) => {
  t.true(isRoot(), 'setting supplementary groups needs root')
  const child = spawnForTest(t, 'setpriv', ['--groups=4,24,1000', '/bin/sleep', '30'], { detached: true })
  await waitForComm(child.pid!, 'sleep')
  t.deepEqual(procGetgroups(child.pid!), [4, 24, 1000])
  t.is(procGetpgid(child.pid!), child.pid!)
  t.is(procGetsid(child.pid!), child.pid!)
  t.is(procGetsid(process.pid), Process.fromPid(process.pid)!.session)
})

test('oneshotProc shares one read: inside it, a process that has just died still answers', async (t) => {
  const child = spawnForTest(t, '/bin/bash', ['-c', 'umask 027; exec /bin/sleep 30'])
  await waitForComm(child.pid!, 'sleep')
  const result = await oneshotProc(child.pid!, async () => {
    const umask = procGetUmask(child.pid!)
    child.kill('SIGKILL')
    await once(child, 'exit')
    // Served from the cache, by pid or by Process alike.
    return [umask, procGetgroups(child.pid!), procGetSigmask(child.pid!).ignored.size >= 0]
  })
  t.deepEqual(result.slice(0, 2), [0o027, []])
  t.throws(() => procGetUmask(child.pid!), { instanceOf: NoSuchProcess }, 'outside, the read is live again')
})

test('gone processes raise NoSuchProcess (ESRCH) with the Node-style fields', async (t) => {
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const stale = Process.fromPid(child.pid!)!
  child.kill('SIGKILL')
  await once(child, 'exit')
  for (const read of [() => procGetUmask(child.pid!), () => procGetpgid(stale), () => procGetrlimit(stale, 'RLIMIT_NOFILE'), () => procGetSigmask(stale)]) {
    const error = t.throws(read, { instanceOf: NoSuchProcess })
    t.is(error?.code, 'ESRCH')
    t.is(error?.errno, -3)
    t.is(error?.pid, child.pid)
    t.truthy(error?.syscall)
  }
  t.throws(() => procGetUmask(0), { instanceOf: RangeError })
  t.throws(() => procGetUmask('1' as never), { instanceOf: TypeError })
})

test('as an unprivileged user: limits readable, changing them is AccessDenied (EPERM)', async (t) => {
  t.true(isRoot(), 'the test changes to user nobody, which needs root')
  t.true(AccessDenied.prototype instanceof Error)
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const seen = runAsNobody(
    t,
    `const { procGetrlimit, procRlimit, procGetUmask } = require('./dist/index.js')
     const attempt = (f) => { try { return { value: f() } } catch (e) { return { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, pid: e.pid } } }
     console.log(JSON.stringify({
       get: attempt(() => procGetrlimit(${child.pid}, 'RLIMIT_STACK')),
       set: attempt(() => procRlimit(${child.pid}, 'RLIMIT_NOFILE', [10, 20])),
       umask: attempt(() => procGetUmask(${child.pid})),
     }))`,
  ) as Record<string, Record<string, unknown>>
  t.deepEqual(seen.get!.value, limitsRow(child.pid!, 'Max stack size').map((v) => (v === 'unlimited' ? null : Number(v))))
  t.deepEqual(seen.set, { name: 'AccessDenied', code: 'EPERM', errno: -1, syscall: 'prlimit', pid: child.pid })
  t.deepEqual(seen.umask!.value, 0o022)
})
