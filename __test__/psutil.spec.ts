import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'

import {
  AccessDenied,
  findProcesses,
  NoSuchProcess,
  pidExists,
  pids,
  Process,
  spawn as spawnChild,
  processIter,
  TimeoutExpired,
  waitProcs,
  ZombieProcess,
} from 'prockit'
import { CLK_TCK, eventually, isRoot, readStatIndependently, runAsNobody, sleep, spawnForTest, waitForComm } from './helpers'

/** A node child that runs `script`, reads commands from stdin and answers on stdout. */
async function nodeChild(t: Parameters<typeof spawnForTest>[0], script: string) {
  const child = spawnForTest(t, process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  await once(child.stdout!, 'data') // the script prints once it is ready
  const ask = async (line: string) => {
    const answer = once(child.stdout!, 'data')
    child.stdin!.write(line + '\n')
    return String(((await answer) as [Buffer])[0]).trim()
  }
  return { child, proc: Process.fromPid(child.pid!)!, ask }
}

test('a child that allocates 64 MB grows rss and uss by about 64 MB', async (t) => {
  const { proc, ask } = await nodeChild(
    t,
    `const kept = []; process.stdin.on('data', () => { kept.push(Buffer.alloc(64 << 20, 1)); process.stdout.write('ok\\n') }); process.stdout.write('ready\\n')`,
  )
  const before = proc.memoryFullInfo()
  t.is(await ask('grow'), 'ok')
  const after = proc.memoryFullInfo()
  const mb = (bytes: number) => bytes / 1048576
  t.true(mb(after.rss - before.rss) > 55 && mb(after.rss - before.rss) < 80, `rss grew ${mb(after.rss - before.rss)} MB`)
  t.true(mb(after.uss - before.uss) > 55 && mb(after.uss - before.uss) < 80, `uss grew ${mb(after.uss - before.uss)} MB`)
  t.true(after.pss >= after.uss - 1048576 && after.pss <= after.rss)
  // memoryInfo's rss is statm's resident pages; stat's rss counts the same pages.
  const statRss = Number(readStatIndependently(proc.pid)[23]) * 4096
  t.true(Math.abs(proc.memoryInfo().rss - statRss) < 4 << 20)
  t.true(after.vms >= after.rss)
  t.is(after.swap, 0)
})

test('a busy loop\'s cpuPercent is its share of a CPU as /proc/[pid]/stat shows it (near 100 % on an idle core)', async (t) => {
  // Other test files run at the same time on two cores, so the loop may not get a whole
  // core: the figure is checked against the share /proc measured over the same interval.
  const busy = spawnForTest(t, process.execPath, ['-e', 'for (;;) {}'])
  await sleep(200)
  const proc = Process.fromPid(busy.pid!)!
  const busyTicks = () => readStatIndependently(busy.pid!).slice(13, 15).reduce((a, b) => a + Number(b), 0)
  const share = async (measure: () => Promise<number> | number) => {
    const ticksBefore = busyTicks()
    const started = performance.now()
    const figure = await measure()
    const independent = ((busyTicks() - ticksBefore) / CLK_TCK / ((performance.now() - started) / 1000)) * 100
    return { figure, independent }
  }
  t.is(proc.cpuPercent(), 0, 'the first non-blocking call returns 0')
  const nonBlocking = await share(async () => {
    await sleep(1000)
    return proc.cpuPercent()
  })
  t.true(nonBlocking.independent > 20, `the loop ran: ${nonBlocking.independent.toFixed(0)} % by /proc`)
  t.true(Math.abs(nonBlocking.figure - nonBlocking.independent) < 25, `${nonBlocking.figure} vs ${nonBlocking.independent.toFixed(0)} from /proc`)
  t.true(nonBlocking.figure < 150)
  const blocking = await share(() => proc.cpuPercent({ interval: 0.5 }))
  t.true(Math.abs(blocking.figure - blocking.independent) < 25, `cpuPercent({ interval: 0.5 }) ${blocking.figure} vs ${blocking.independent.toFixed(0)}`)
  const times = proc.cpuTimes()
  t.true(times.user + times.system >= 0.3)
  t.true(times.childrenUser >= 0 && times.childrenSystem >= 0)
})

test('a file the child opens appears in openFiles, and numFds counts /proc/[pid]/fd', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'prockit-files-')), 'held.txt')
  writeFileSync(file, 'x')
  const { proc, ask } = await nodeChild(
    t,
    `const fs = require('fs'); let fd; process.stdin.on('data', () => { fd = fs.openSync(${JSON.stringify(file)}, 'r'); process.stdout.write(fd + '\\n') }); process.stdout.write('ready\\n')`,
  )
  t.false(proc.openFiles().some((f) => f.path === file))
  const fd = Number(await ask('open'))
  t.deepEqual(proc.openFiles().filter((f) => f.path === file), [{ path: file, fd }])
  t.true(proc.openFiles().every((f) => f.path.startsWith('/')), 'regular files only')
  t.is(proc.numFds(), readdirSync(`/proc/${proc.pid}/fd`).length)
})

test('nice set, then read back, agrees with stat', async (t) => {
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  t.is(proc.nice(), 0)
  proc.nice(10)
  t.is(proc.nice(), 10)
  t.is(Number(readStatIndependently(child.pid!)[18]), 10)
  t.throws(() => proc.nice(20), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  t.throws(() => proc.nice('5' as never), { instanceOf: TypeError })
})

test('the terminal of a process under a pty is its /dev/pts device', async (t) => {
  const script = spawnForTest(t, 'script', ['-qec', '/bin/sleep 30', '/dev/null'], { detached: true })
  t.teardown(() => {
    try {
      process.kill(-script.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  let sleeper: Process | undefined
  await eventually(() => {
    sleeper = Process.fromPid(script.pid!)?.children({ recursive: true }).find((p) => p.comm === 'sleep')
    return sleeper !== undefined
  }, 5000, 'the sleep under script')
  const terminal = sleeper!.terminal()
  t.regex(terminal ?? '', /^\/dev\/pts\/\d+$/)
  t.is(terminal, readlinkSync(`/proc/${sleeper!.pid}/fd/0`))
  t.is(Process.fromPid(process.pid)!.terminal() === null || typeof Process.fromPid(process.pid)!.terminal() === 'string', true)
  const detachedChild = spawnForTest(t, '/bin/sleep', ['30'], { detached: true })
  await waitForComm(detachedChild.pid!, 'sleep')
  t.is(Process.fromPid(detachedChild.pid!)!.terminal(), null, 'a new session has no terminal')
})

test('status, username, numThreads, numCtxSwitches, cwd, ioCounters and createTime', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'prockit-cwd-')))
  const { proc, ask } = await nodeChild(
    t,
    `process.stdin.on('data', () => { require('fs').readFileSync('/proc/self/status'); process.stdout.write('read\\n') }); process.stdout.write('ready\\n')`,
  )
  t.is(proc.status(), 'sleeping')
  t.is(proc.username(), 'root' === proc.user ? 'root' : proc.user!)
  const statusFile = readFileSync(`/proc/${proc.pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(statusFile)?.[1])
  t.is(proc.numThreads(), field('Threads'))
  t.true(proc.numThreads() > 1)
  const switches = proc.numCtxSwitches()
  t.true(switches.voluntary >= field('voluntary_ctxt_switches'))
  t.true(switches.involuntary >= 0)
  const before = proc.ioCounters()
  await ask('read')
  const after = proc.ioCounters()
  t.true(after.readChars > before.readChars && after.readCount > before.readCount)
  t.is(proc.createTime, proc.starttime)
  const inDir = spawnForTest(t, '/bin/sleep', ['30'], { cwd: dir })
  await waitForComm(inDir.pid!, 'sleep')
  t.is(Process.fromPid(inDir.pid!)!.cwd(), dir)
  const stopped = Process.fromPid(inDir.pid!)!
  stopped.suspend()
  await eventually(() => stopped.status() === 'stopped', 3000, 'stopped')
  t.is(stopped.status(), 'stopped')
})

test('parent, parents and children follow the tree and skip younger pid reusers', async (t) => {
  const top = spawnForTest(t, '/bin/bash', ['-c', '/bin/sleep 30 & /bin/bash -c "/bin/sleep 31 & wait" & wait'], { detached: true })
  t.teardown(() => {
    try {
      process.kill(-top.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  const proc = Process.fromPid(top.pid!)!
  await eventually(() => proc.children({ recursive: true }).length === 3, 5000, 'three descendants')
  t.is(proc.children().length, 2)
  t.deepEqual(proc.children({ recursive: true }).map((p) => p.comm).sort(), ['bash', 'sleep', 'sleep'])
  t.is(proc.parent()?.pid, process.pid)
  const chain = proc.parents().map((p) => p.pid)
  t.is(chain[0], process.pid)
  t.is(chain.at(-1), 1)
  t.is(Process.fromPid(1)!.parent(), null)
  t.throws(() => proc.children({ recursive: 'yes' as never }), { instanceOf: TypeError })
})

test('wait gives our child\'s exit code, null for a process that is not our child, and TimeoutExpired', async (t) => {
  // prockit's spawn: its reaper records the status, so wait() cannot lose it to a race.
  const exiting = spawnChild('/bin/sh', ['-c', 'sleep 0.3; exit 7'], { stdio: 'ignore' })
  const proc = exiting.process!
  t.is(await proc.wait({ timeout: 10 }), 7)
  t.is(await proc.wait(), 7, 'cached, as psutil does')
  const lingering = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(lingering.pid!, 'sleep')
  const error = await t.throwsAsync(Process.fromPid(lingering.pid!)!.wait({ timeout: 0.2 }), { instanceOf: TimeoutExpired })
  t.is(error?.code, 'ETIMEDOUT')
  const parent = spawnForTest(t, '/bin/bash', ['-c', '/bin/sleep 0.3 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer]
  const grandchild = Process.fromPid(Number(String(chunk).trim()))!
  t.is(await grandchild.wait({ timeout: 10 }), null)
})

test('waitProcs sorts a mix of exiting and lingering processes into gone and alive', async (t) => {
  const quick = spawnChild('/bin/sh', ['-c', 'exit 3'], { stdio: 'ignore' })
  const slower = spawnChild('/bin/sleep', ['0.3'], { stdio: 'ignore' })
  const lingering = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(lingering.pid!, 'sleep')
  const procs = [quick.process, slower.process, Process.fromPid(lingering.pid!)].filter((p): p is Process => p !== null)
  const called: number[] = []
  const { gone, alive } = await waitProcs(procs, { timeout: 2, callback: (p) => called.push(p.pid) })
  t.deepEqual(alive.map((p) => p.pid), [lingering.pid])
  t.deepEqual(gone.map((p) => p.pid).sort(), [quick.pid, slower.pid].filter((pid) => procs.some((p) => p.pid === pid)).sort())
  t.deepEqual(called.sort(), gone.map((p) => p.pid).sort())
  t.is(gone.find((p) => p.pid === quick.pid)?.returncode, 3)
  t.is(gone.find((p) => p.pid === slower.pid)?.returncode, 0)
  await t.throwsAsync(waitProcs([{ pid: 1 } as never]), { instanceOf: TypeError })
})

test('error classes: gone is NoSuchProcess, a zombie is ZombieProcess', async (t) => {
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const proc = Process.fromPid(child.pid!)!
  child.kill('SIGKILL')
  await once(child, 'exit')
  for (const read of [() => proc.cpuTimes(), () => proc.memoryInfo(), () => proc.cwd(), () => proc.numFds(), () => proc.status()]) {
    const error = t.throws(read, { instanceOf: NoSuchProcess })
    t.is(error?.code, 'ESRCH')
    t.is(error?.pid, child.pid)
  }
  const parent = spawnForTest(t, '/bin/bash', ['-c', '/bin/sleep 0.2 & exec /bin/sleep 30'])
  let zombie: Process | undefined
  await eventually(() => {
    zombie = findProcesses().find((p) => p.ppid === parent.pid && p.state === 'Z')
    return zombie !== undefined
  }, 5000, 'a zombie')
  t.is(zombie!.status(), 'zombie')
  const error = t.throws(() => zombie!.cwd(), { instanceOf: ZombieProcess })
  t.true(error instanceof NoSuchProcess, 'a ZombieProcess is a NoSuchProcess, as in psutil')
})

test('error classes: a forbidden read is AccessDenied (EACCES) for an unprivileged user', async (t) => {
  t.true(isRoot(), 'the test changes to user nobody, which needs root')
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const seen = runAsNobody(
    t,
    `const { Process } = require('./dist/index.js')
     const p = Process.fromPid(${child.pid})
     const attempt = (f) => { try { f(); return null } catch (e) { return { name: e.name, code: e.code, pid: e.pid } } }
     console.log(JSON.stringify({ cwd: attempt(() => p.cwd()), fds: attempt(() => p.numFds()), nice: attempt(() => p.nice(5)), times: attempt(() => p.cpuTimes()) }))`,
  ) as Record<string, unknown>
  t.deepEqual(seen.cwd, { name: 'AccessDenied', code: 'EACCES', pid: child.pid })
  t.deepEqual(seen.fds, { name: 'AccessDenied', code: 'EACCES', pid: child.pid })
  t.deepEqual(seen.nice, { name: 'AccessDenied', code: 'EPERM', pid: child.pid })
  t.is(seen.times, null, 'stat stays readable')
  t.true(AccessDenied.prototype instanceof Error)
})

test('pids, pidExists and processIter with attrs', (t) => {
  const all = pids()
  t.true(all.includes(process.pid) && all.includes(1))
  t.deepEqual(all, [...all].sort((a, b) => a - b))
  t.true(pidExists(process.pid))
  t.false(pidExists(4194304))
  const thread = readdirSync(`/proc/${process.pid}/task`).map(Number).find((tid) => tid !== process.pid)
  t.truthy(thread, 'node has threads')
  t.false(pidExists(thread!), 'a thread id is not a process')
  const listed = processIter({ attrs: ['pid', 'cpuTimes', 'numThreads', 'status', 'memoryInfo', 'cmdline'] })
  const me = listed.find((p) => p.pid === process.pid)!
  t.is(me.info?.pid, process.pid)
  t.is(me.info?.status, 'running')
  t.true((me.info?.numThreads as number) > 1)
  t.deepEqual(me.info?.cmdline, me.cmdline)
  t.true(listed.every((p) => p.info !== undefined))
  t.throws(() => processIter({ attrs: ['nope'] }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
})
