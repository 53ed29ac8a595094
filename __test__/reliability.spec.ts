// prockit lives inside long-running Node processes: it must not throw for a race, leak, or
// act on the wrong process. Short runs here; PROCKIT_SOAK=1 gives the long ones (60 s of
// churn, 100,000 fromPid, 10,000 snapshots) and prints their figures.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import test from 'ava'

import {
  AccessDenied,
  findProcesses,
  getProcessTree,
  NoSuchProcess,
  Process,
  ZombieProcess,
} from 'prockit'
import { isRoot, runAsNobody, sleep } from './helpers'

const SOAK = process.env.PROCKIT_SOAK === '1'
/** For the scripts run as nobody: a call's value, or the name and code of what it threw. */
const ATTEMPT = 'const attempt = (f) => { try { return { value: f() } } catch (e) { return { name: e.name, code: e.code } } }'
const openFds = () => readdirSync('/proc/self/fd').length
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const rssMB = () => process.memoryUsage().rss / 1048576

/** A bash that forks and reaps short-lived processes in batches until stopped; resolves with how many. */
function churn() {
  const script = 'n=0; trap \'echo $n; exit 0\' TERM; while :; do for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true & done; wait; n=$((n+20)); done'
  const bash = spawn('/bin/bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  bash.stdout.on('data', (chunk) => (out += chunk))
  return {
    async stop(): Promise<number> {
      const closed = once(bash, 'close') // exited, and its stdout pipe closed
      bash.kill('SIGTERM')
      await closed
      return Number(out.trim())
    },
  }
}

const LAZY = ['cmdline', 'environ', 'exe', 'exePath', 'exeName', 'statusFields', 'userIds', 'groupIds', 'user', 'group', 'isAlive', 'isRunning', 'runtime'] as const

test.serial('race torture: lists, trees and every lazy property while processes churn', async (t) => {
  const seconds = SOAK ? 60 : 4
  t.timeout((seconds + 60) * 1000)
  const fdsBefore = openFds()
  const churner = churn()
  await sleep(200)
  const rssBefore = rssMB()
  const deadline = Date.now() + seconds * 1000
  let rounds = 0
  let reads = 0
  while (Date.now() < deadline) {
    const list = findProcesses()
    t.true(list.length > 0)
    const tree = getProcessTree()
    t.is(tree.pid, 1)
    for (const proc of list) {
      for (const name of LAZY) {
        void proc[name] // a lazy property never throws, even for a process that just ended
        reads++
      }
      try {
        proc.cpuTimes()
        proc.memoryInfo()
        proc.status()
      } catch (error) {
        if (!(error instanceof NoSuchProcess || error instanceof AccessDenied || error instanceof ZombieProcess)) throw error
      }
    }
    rounds++
    await sleep(0)
  }
  const churned = await churner.stop()
  gc()
  const fdsAfter = openFds()
  if (SOAK) t.log(`${seconds} s, ${churned} processes churned (${Math.round(churned / seconds)}/s), ${rounds} rounds, ${reads} lazy reads; fds ${fdsBefore} -> ${fdsAfter}; RSS ${rssBefore.toFixed(1)} -> ${rssMB().toFixed(1)} MB`)
  t.true(churned > 20, `the helper churned ${churned} processes`)
  t.true(rounds > 1)
  t.is(fdsAfter, fdsBefore, 'no fd leaked')
})

test.serial('leaks: fromPid with property reads and repeated snapshots keep RSS and fds flat', async (t) => {
  const lookups = SOAK ? 100000 : 10000
  const snapshots = SOAK ? 10000 : 1000
  t.timeout(600000)
  const sleeper = spawn('/bin/sleep', ['600'])
  t.teardown(() => sleeper.kill('SIGKILL'))
  await sleep(100)
  const cycle = (n: number) => {
    for (let i = 0; i < n; i++) {
      const p = Process.fromPid(sleeper.pid!)!
      void p.cmdline
      void p.environ
      void p.exe
      void p.statusFields
      void p.isAlive
    }
  }
  cycle(1000) // warm-up: JIT, allocator pools
  gc()
  const fdsBefore = openFds()
  const rssBefore = rssMB()
  cycle(lookups)
  for (let i = 0; i < snapshots; i++) findProcesses()
  gc()
  await sleep(50)
  gc()
  const grown = rssMB() - rssBefore
  const fdsAfter = openFds()
  t.log(`${lookups} fromPid with 5 property reads and ${snapshots} snapshots: RSS +${grown.toFixed(1)} MB, fds ${fdsBefore} -> ${fdsAfter}`)
  t.is(fdsAfter, fdsBefore, 'no fd leaked')
  t.true(grown < 10, `RSS grew ${grown.toFixed(1)} MB`)
})

test('hidepid=2 as an unprivileged user: what is visible is listed, the rest is null or empty, never an exception', (t) => {
  t.true(isRoot(), 'mounting /proc in a private namespace and changing user need root')
  const seen = runAsNobody(
    t,
    `const p = require('./dist/index.js')
     ${ATTEMPT}
     const all = p.findProcesses()
     const tree = p.getProcessTree()
     console.log(JSON.stringify({
       count: all.length, mine: all.every((q) => q.userIds.real === 65534), self: all.some((q) => q.pid === process.pid),
       root: [tree.pid, tree.state, tree.descendants.some((d) => d.pid === process.pid)],
       init: p.Process.fromPid(1), initRunning: new p.UnixProcess({ pid: 1 }).isRunning,
       umask: attempt(() => p.procGetUmask(1)),
     }))`,
    { hidepid: 2 },
  ) as Record<string, unknown>
  t.true((seen.count as number) >= 1)
  t.true(seen.mine as boolean, 'only our own processes are visible')
  t.true(seen.self as boolean)
  t.deepEqual(seen.root, [1, '?', true], 'a stand-in root holds the visible processes')
  t.is(seen.init, null)
  t.true(seen.initRunning as boolean, 'signal 0 still sees init (EPERM)')
  t.deepEqual(seen.umask, { name: 'NoSuchProcess', code: 'ESRCH' })
})

test('hidepid=1 as an unprivileged user: unreadable processes are AccessDenied (EPERM), lists skip them', (t) => {
  t.true(isRoot(), 'mounting /proc in a private namespace and changing user need root')
  const seen = runAsNobody(
    t,
    `const p = require('./dist/index.js')
     ${ATTEMPT}
     const all = p.findProcesses()
     console.log(JSON.stringify({
       mine: all.every((q) => q.userIds.real === 65534), self: all.some((q) => q.pid === process.pid),
       umask: attempt(() => p.procGetUmask(1)), pgid: attempt(() => p.procGetpgid(1)),
       init: p.Process.fromPid(1), treeRoot: p.getProcessTree().pid,
     }))`,
    { hidepid: 1 },
  ) as Record<string, unknown>
  t.true(seen.mine as boolean)
  t.true(seen.self as boolean)
  t.deepEqual(seen.umask, { name: 'AccessDenied', code: 'EPERM' })
  t.deepEqual(seen.pgid, { name: 'AccessDenied', code: 'EPERM' })
  t.is(seen.init, null)
  t.is(seen.treeRoot, 1)
})
