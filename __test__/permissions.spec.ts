import test from 'ava'

import { isRoot, runAsNobody, spawnForTest, waitForComm } from './helpers'

test('as an unprivileged user, root\'s environ and exe are empty, never an exception', async (t) => {
  t.true(isRoot(), 'the test changes to user nobody, which needs root')
  const child = spawnForTest(t, '/bin/sleep', ['30'], { env: { SECRET: 'root-only' } })
  await waitForComm(child.pid!, 'sleep')
  const seen = runAsNobody(
    t,
    `const { Process, findProcesses, getProcessTree } = require('./dist/index.js')
     const p = Process.fromPid(${child.pid})
     const all = findProcesses()
     console.log(JSON.stringify({
       environ: p.environ, exe: p.exe, cmdline: p.cmdline, exeName: p.exeName, user: p.user,
       running: p.isRunning, alive: p.isAlive, count: all.length, tree: getProcessTree().pid,
       every: all.map((q) => [q.environ, q.exe, q.statusFields]).length,
     }))`,
  ) as Record<string, unknown>
  t.deepEqual(seen.environ, {})
  t.is(seen.exe, '')
  t.deepEqual(seen.cmdline, ['/bin/sleep', '30'])
  t.is(seen.exeName, 'sleep')
  t.is(seen.user, 'root')
  t.is(seen.running, true, 'EPERM from signal 0 still means running')
  t.is(seen.alive, true)
  t.true((seen.count as number) > 1)
  t.is(seen.every, seen.count)
  t.is(seen.tree, 1)
})

test('as an unprivileged user, signalling root\'s process throws AccessDenied (EPERM)', async (t) => {
  t.true(isRoot(), 'the test changes to user nobody, which needs root')
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const seen = runAsNobody(
    t,
    `const { Process } = require('./dist/index.js')
     try { Process.fromPid(${child.pid}).terminateHelper(); console.log('{}') }
     catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, pid: e.pid })) }`,
  )
  t.deepEqual(seen, { name: 'AccessDenied', code: 'EPERM', errno: -1, syscall: 'kill', pid: child.pid })
})
