import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import test, { type ExecutionContext } from 'ava'

import { AccessDenied, ProcessError, spawnDaemon, DAEMON_MARKER } from 'prockit'
import { aliveIndependently, eventually, killOnTeardown, openFdCount, ownZombies, readProcessView, readStatIndependently, sleep } from './helpers'

const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url))

function scratch(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'prockit-daemon-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function startSleeper(t: ExecutionContext, options: Parameters<typeof spawnDaemon>[2] = {}, args = ['30']): Promise<number> {
  const { pid } = await spawnDaemon('/bin/sleep', args, options)
  killOnTeardown(t, pid)
  return pid
}

/** Bit `signal` of a /proc/[pid]/status signal mask such as SigIgn. */
function hasSignal(mask: string, signal: number): boolean {
  return ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n
}

/** Pids of the processes whose command line contains `marker`, read without prockit. */
function processesWithArgument(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes(marker)
      } catch {
        return false
      }
    })
    .map(Number)
}

// The rejections run first and one at a time: they count this process's fds and zombies.
test.serial('a missing program rejects with ENOENT, leaving no zombie and no fd behind', async (t) => {
  await t.throwsAsync(spawnDaemon('prockit-warm-up-no-such-program')) // lets Node open what it opens once
  const fdsBefore = openFdCount()
  const error = await t.throwsAsync(spawnDaemon('prockit-no-such-program', ['x']))
  t.true(error instanceof ProcessError)
  t.like(error as ProcessError, { code: 'ENOENT', errno: -2, syscall: 'execve', path: 'prockit-no-such-program' })
  t.regex(error!.message, /prockit-no-such-program/)
  const absolute = await t.throwsAsync(spawnDaemon('/nonexistent/prockit-program'))
  t.like(absolute as ProcessError, { code: 'ENOENT', path: '/nonexistent/prockit-program' })
  t.deepEqual(ownZombies(), [])
  t.is(openFdCount(), fdsBefore)
})

test.serial('a program without execute permission rejects with EACCES (AccessDenied), no zombie, no fd', async (t) => {
  const dir = scratch(t)
  const script = join(dir, 'not-executable.sh')
  writeFileSync(script, '#!/bin/sh\nsleep 30\n')
  chmodSync(script, 0o644)
  const fdsBefore = openFdCount()
  const error = await t.throwsAsync(spawnDaemon(script))
  t.true(error instanceof AccessDenied)
  t.like(error as ProcessError, { code: 'EACCES', errno: -13, syscall: 'execve', path: script })
  t.deepEqual(ownZombies(), [])
  t.is(openFdCount(), fdsBefore)
})

test.serial('a bad workdir rejects with ENOENT naming it, before the program runs', async (t) => {
  const marker = `prockit-bad-workdir-${process.pid}`
  const fdsBefore = openFdCount()
  const error = await t.throwsAsync(spawnDaemon('/bin/sleep', ['30', marker], { workdir: '/nonexistent/prockit-workdir' }))
  t.like(error as ProcessError, { code: 'ENOENT', syscall: 'chdir', path: '/nonexistent/prockit-workdir' })
  t.is(error!.message, "chdir: no such file or directory, '/nonexistent/prockit-workdir'")
  t.deepEqual(processesWithArgument(marker), [], 'nothing was started')
  t.deepEqual(ownZombies(), [])
  t.is(openFdCount(), fdsBefore)
})

test.serial('a pid file that cannot be written rejects naming it, and no daemon is left running', async (t) => {
  const marker = `prockit-bad-pidfile-${process.pid}`
  const error = await t.throwsAsync(spawnDaemon('/bin/sleep', ['30', marker], { pidFile: '/nonexistent/dir/daemon.pid' }))
  t.like(error as ProcessError, { code: 'ENOENT', syscall: 'open', path: '/nonexistent/dir/daemon.pid' })
  t.deepEqual(processesWithArgument(marker), [])
  t.deepEqual(ownZombies(), [])
})

test('a daemon is detached: re-parented, in its own session without leading it, cwd and umask as asked, fds 0–2 only', async (t) => {
  const dir = scratch(t)
  const out = join(dir, 'out.log')
  const err = join(dir, 'err.log')
  const pidFile = join(dir, 'daemon.pid')
  const ours = readProcessView(process.pid)
  t.true(ours.fds.some((fd) => fd > 2), 'we have fds beyond 0–2 that the daemon could inherit')
  const pid = await startSleeper(t, { workdir: dir, umask: 0o027, stdout: out, stderr: err, pidFile })
  const daemon = readProcessView(pid)
  t.not(daemon.ppid, process.pid, 're-parented to init or a subreaper')
  t.not(daemon.session, pid, 'not a session leader: it can never acquire a controlling terminal')
  t.not(daemon.session, ours.session, 'a session of its own')
  t.is(daemon.pgrp, daemon.session)
  t.is(daemon.cwd, dir)
  t.is(daemon.umask, '0027')
  t.deepEqual(daemon.fds, [0, 1, 2])
  t.deepEqual(daemon.fdTargets, { 0: '/dev/null', 1: out, 2: err })
  t.is(readFileSync(pidFile, 'utf8'), `${pid}\n`)
  t.deepEqual(readdirSync(dir).sort(), ['daemon.pid', 'err.log', 'out.log'], 'no temporary pid file is left')
  t.is(readStatIndependently(pid)[1], 'sleep')
})

test('defaults: workdir /, umask 0, all three stdio to /dev/null; redirectTo moves all three', async (t) => {
  const plain = readProcessView(await startSleeper(t))
  t.is(plain.cwd, '/')
  t.is(plain.umask, '0000')
  t.deepEqual(plain.fdTargets, { 0: '/dev/null', 1: '/dev/null', 2: '/dev/null' })
  const log = join(scratch(t), 'all.log')
  const redirected = readProcessView(await startSleeper(t, { redirectTo: log }))
  t.deepEqual(redirected.fdTargets, { 0: log, 1: log, 2: log })
  t.true(existsSync(log), 'redirectTo is created')
})

test('stdout and stderr files are appended to, and created 0644 less the umask', async (t) => {
  const dir = scratch(t)
  const out = join(dir, 'out.log')
  writeFileSync(out, 'before\n')
  // sh writes two lines and exits by itself: nothing to kill afterwards.
  const { pid } = await spawnDaemon('/bin/sh', ['-c', 'echo from-daemon; echo oops >&2'], { stdout: out, stderr: join(dir, 'err.log'), umask: 0o022 })
  await eventually(() => readFileSync(out, 'utf8').includes('from-daemon'), 5000, 'the daemon writing its stdout')
  t.is(readFileSync(out, 'utf8'), 'before\nfrom-daemon\n')
  await eventually(() => existsSync(join(dir, 'err.log')) && readFileSync(join(dir, 'err.log'), 'utf8') === 'oops\n', 5000, 'stderr')
  t.is(statSync(join(dir, 'err.log')).mode & 0o777, 0o644)
  t.true(pid > 0)
})

test('env replaces the environment; by default the daemon gets process.env', async (t) => {
  const given = await startSleeper(t, { env: { PROCKIT_ONLY: 'yes', EMPTY: '', SKIPPED: undefined } })
  t.is(readFileSync(`/proc/${given}/environ`, 'utf8'), 'PROCKIT_ONLY=yes\0EMPTY=\0')
  process.env.PROCKIT_DAEMON_TEST = 'inherited'
  t.teardown(() => delete process.env.PROCKIT_DAEMON_TEST)
  const inherited = await startSleeper(t)
  const environ = readFileSync(`/proc/${inherited}/environ`, 'utf8').split('\0')
  t.true(environ.includes('PROCKIT_DAEMON_TEST=inherited'))
  t.true(environ.includes(`PATH=${process.env.PATH}`))
})

test('a bare command is looked up in the PATH of env, before fork', async (t) => {
  const pid = await startSleeper(t, { env: { PATH: '/nonexistent:/usr/bin:/bin' } })
  t.is(readStatIndependently(pid)[1], 'sleep')
  const { pid: named } = await spawnDaemon('sleep', ['30'], { env: { PATH: '/nonexistent:/usr/bin:/bin' } })
  killOnTeardown(t, named)
  t.is(readStatIndependently(named)[1], 'sleep')
  await t.throwsAsync(spawnDaemon('sleep', ['30'], { env: { PATH: '/nonexistent' } }), { code: 'ENOENT' })
})

test('signals are back to their defaults: Node ignores SIGPIPE, the daemon does not; nothing is blocked', async (t) => {
  const SIGPIPE = 13
  t.true(hasSignal(readProcessView(process.pid).status.SigIgn!, SIGPIPE), 'Node ignores SIGPIPE (so the check can fail)')
  const daemon = readProcessView(await startSleeper(t))
  t.is(BigInt(`0x${daemon.status.SigIgn}`), 0n)
  t.is(BigInt(`0x${daemon.status.SigBlk}`), 0n)
})

test('wrong argument types throw TypeError ERR_INVALID_ARG_TYPE naming the argument', async (t) => {
  const cases: [() => Promise<unknown>, string][] = [
    [() => spawnDaemon(42 as unknown as string), '"command"'],
    [() => spawnDaemon('/bin/true', 'x' as unknown as string[]), '"args"'],
    [() => spawnDaemon('/bin/true', ['ok', 7 as unknown as string]), '"args[1]"'],
    [() => spawnDaemon('/bin/true', [], null as unknown as object), '"options"'],
    [() => spawnDaemon('/bin/true', [], { umask: '027' as unknown as number }), '"options.umask"'],
    [() => spawnDaemon('/bin/true', [], { workdir: 1 as unknown as string }), '"options.workdir"'],
    [() => spawnDaemon('/bin/true', [], { stdout: {} as unknown as string }), '"options.stdout"'],
    [() => spawnDaemon('/bin/true', [], { env: 'PATH=/bin' as unknown as Record<string, string> }), '"options.env"'],
    [() => spawnDaemon('/bin/true', [], { env: { N: 1 as unknown as string } }), '"options.env.N"'],
  ]
  for (const [call, name] of cases) {
    const error = await t.throwsAsync(call(), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
    t.true(error!.message.includes(name), `${error!.message} names ${name}`)
  }
  await t.throwsAsync(spawnDaemon('/bin/true', [], { umask: 0o1000 }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(spawnDaemon('/bin/true', ['a\0b']), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  await t.throwsAsync(spawnDaemon(''), { code: 'ERR_INVALID_ARG_VALUE' })
})

test('spawnDaemon(command, options) takes the options in second place, as child_process.spawn does', async (t) => {
  const pidFile = join(scratch(t), 'second.pid')
  // sleep without an operand exits at once (nothing to kill); the pid file shows the options were used
  const { pid } = await spawnDaemon('/bin/sleep', { pidFile })
  t.is(readFileSync(pidFile, 'utf8'), `${pid}\n`)
})

// Serial: it counts this process's zombies, which other tests' short-lived children would add to.
test.serial('50 concurrent spawns while worker threads allocate: no hang, 50 distinct running daemons', async (t) => {
  const churn = `
    let keep = []
    for (let i = 0; ; i++) {
      keep.push(Buffer.alloc(256 + (i % 4096)), new Array(32).fill(i))
      if (keep.length > 20000) keep = []
    }`
  const workers = [new Worker(churn, { eval: true }), new Worker(churn, { eval: true })]
  t.teardown(() => Promise.all(workers.map((w) => w.terminate())))
  await sleep(50)
  const started = performance.now()
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('50 spawns did not finish within 30 s')), 30000).unref())
  const daemons = await Promise.race([Promise.all(Array.from({ length: 50 }, () => spawnDaemon('/bin/sleep', ['30']))), deadline])
  const elapsed = performance.now() - started
  for (const { pid } of daemons) killOnTeardown(t, pid)
  t.log(`50 concurrent spawnDaemon calls: ${elapsed.toFixed(0)} ms`)
  const pids = daemons.map((d) => d.pid)
  t.is(new Set(pids).size, 50)
  for (const pid of pids) {
    t.true(aliveIndependently(pid), `daemon ${pid} runs`)
    const view = readProcessView(pid)
    t.is(readStatIndependently(pid)[1], 'sleep')
    t.not(view.ppid, process.pid)
    t.deepEqual(view.fds, [0, 1, 2])
  }
  t.deepEqual(ownZombies(), [])
})

test('becomeDaemon re-executes the script as a daemon and exits the original', async (t) => {
  const dir = scratch(t)
  const script = join(dir, 'become.js')
  const report = join(dir, 'report.json')
  writeFileSync(
    script,
    `const fs = require('node:fs')
const { becomeDaemon } = require(${JSON.stringify(DIST_INDEX)})
becomeDaemon({ workdir: ${JSON.stringify(dir)}, umask: 0o022 }).then(() => {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const facts = { pid: process.pid, ppid: process.ppid, pgid: Number(fields[2]), sid: Number(fields[3]), cwd: process.cwd(), marker: process.env.${DAEMON_MARKER} ?? null, argv: process.argv.slice(2) }
  fs.writeFileSync(process.argv[2] + '.tmp', JSON.stringify(facts))
  fs.renameSync(process.argv[2] + '.tmp', process.argv[2])
  setTimeout(() => {}, 30000)
})
`,
  )
  const original = spawn(process.execPath, [script, report, 'extra-arg'], { stdio: 'ignore' })
  t.teardown(() => {
    if (original.exitCode === null && original.signalCode === null) original.kill('SIGKILL')
  })
  const [code] = (await once(original, 'exit')) as [number | null]
  t.is(code, 0, 'the original exits with 0 once the daemon is up')
  await eventually(() => existsSync(report), 10000, 'the daemon writing its report')
  const facts = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>
  killOnTeardown(t, facts.pid as number)
  t.not(facts.pid, original.pid)
  t.not(facts.ppid, original.pid)
  t.not(facts.ppid, process.pid)
  t.not(facts.sid, facts.pid, 'not a session leader')
  t.is(facts.pgid, facts.sid)
  t.is(facts.cwd, dir)
  t.is(facts.marker, null, 'the marker is removed in the daemon')
  t.deepEqual(facts.argv, [report, 'extra-arg'])
  t.true(aliveIndependently(facts.pid as number))
  t.is(readProcessView(facts.pid as number).umask, '0022')
})

test('as pid 1 of a PID namespace (a container without init) the daemons we adopt are reaped', async (t) => {
  t.true(process.getuid?.() === 0, 'a new PID namespace needs root')
  const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url))
  const script = `const { spawnDaemon } = require(${JSON.stringify(entry)})
    const fs = require('fs')
    const zombies = () => fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).filter((n) => {
      try { return fs.readFileSync('/proc/' + n + '/stat', 'latin1').split(') ')[1][0] === 'Z' } catch { return false } })
    ;(async () => {
      const { pid } = await spawnDaemon('/bin/sleep', ['0.2'])
      const failed = await spawnDaemon('/no/such/program').then(() => 'started', (e) => e.code)
      await new Promise((r) => setTimeout(r, 1000))
      console.log(JSON.stringify({ me: process.pid, daemon: pid, failed, zombies: zombies() }))
      process.exit(0)
    })()`
  const { execFileSync } = await import('node:child_process')
  const out = execFileSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '-e', script], { encoding: 'utf8' })
  const seen = JSON.parse(out) as { me: number; daemon: number; failed: string; zombies: string[] }
  t.is(seen.me, 1, 'node is pid 1 there')
  t.true(seen.daemon > 1)
  t.is(seen.failed, 'ENOENT')
  t.deepEqual(seen.zombies, [], 'no zombie left: neither the daemon that ended nor the one that failed to exec')
})
