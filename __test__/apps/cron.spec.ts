// cron-graceful against the real cron daemon, with a real job running. Serial: one cron at a
// time, and the timing tests must not share the event loop with blocking spawns.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

import { ADDITIONS_SCRIPT_NAME, CronDaemonNotRunning, findCronDaemon, parseArguments, waitForProcesses, getProcessTree } from 'prockit'
import { aliveIndependently, eventually, isRoot, readStatIndependently, runAsNobody, spawnForTest } from '../helpers'
import { cli, runCli, scratchDir, startCronWithJob, watchProcess } from './daemons'

const state = (pid: number) => readStatIndependently(pid)[2]

test.serial('cron-graceful pauses cron, runs the additions, waits for the running job, then stops cron', async (t) => {
  t.true(isRoot(), 'cron-graceful needs root')
  const { cronPid, jobPid, dir } = await startCronWithJob(t, 3)
  t.is(findCronDaemon().pid, cronPid, 'findCronDaemon finds the daemon, not its forks for jobs')
  // The additions record the daemon's state while they run: it must be paused (T).
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, ADDITIONS_SCRIPT_NAME), `#!/bin/sh\ncut -d' ' -f3 /proc/${cronPid}/stat > ${dir}/additions\n`, { mode: 0o755 })
  const watch = watchProcess(cronPid)
  t.teardown(() => watch.stop())
  const child = spawn(process.execPath, [cli('cron-graceful')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } })
  let output = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const [status] = await once(child, 'close')
  t.is(status, 0, output)
  t.true(existsSync(join(dir, 'finished')), 'the job ran to its end')
  const finishedAt = Number(readFileSync(join(dir, 'finished'), 'utf8'))
  await eventually(() => watch.endedAt !== null, 2000, 'the watcher to see cron gone')
  t.true(finishedAt <= watch.endedAt!, `the job finished (${finishedAt}) before cron ended (${watch.endedAt})`)
  t.true(watch.states.has('T'), 'cron was paused while the job ran')
  t.is(readFileSync(join(dir, 'additions'), 'utf8').trim(), 'T', `${ADDITIONS_SCRIPT_NAME} ran while cron was paused`)
  t.false(aliveIndependently(cronPid), 'cron is gone')
  t.regex(output, new RegExp(`Found 1 running cron job: ${jobPid}\\n`))
  t.regex(output, new RegExp(`Waiting for 1 process: ${jobPid} \\(`), 'an overview of what remains, as plain lines off a terminal')
  t.regex(output, /Stopping cron daemon with process id \d+/)
  t.throws(() => findCronDaemon(), { instanceOf: CronDaemonNotRunning })
})

test.serial("when 'service cron stop' fails, cron-graceful terminates the paused cron itself", async (t) => {
  const { cronPid, dir } = await startCronWithJob(t, 1)
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'service'), '#!/bin/sh\nexit 3\n', { mode: 0o755 })
  const child = spawn(process.execPath, [cli('cron-graceful')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } })
  let output = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const [status] = await once(child, 'close')
  t.is(status, 0, output)
  t.regex(output, /'service cron stop' failed \(exit status 3\)/)
  t.regex(output, /still runs: terminating it/)
  t.true(existsSync(join(dir, 'finished')), 'the job ran to its end first')
  t.false(aliveIndependently(cronPid), 'SIGTERM and SIGCONT ended the paused cron')
})

test.serial('interrupted while cron is paused, cron-graceful resumes cron before it exits', async (t) => {
  const { cronPid, jobPid } = await startCronWithJob(t, 30)
  const child = spawnForTest(t, process.execPath, [cli('cron-graceful')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  await eventually(() => output.includes('Waiting for 1 process'), 10000, 'cron-graceful to wait for the job')
  t.is(state(cronPid), 'T', 'cron is paused while cron-graceful waits')
  child.kill('SIGINT')
  const [status] = await once(child, 'close')
  t.is(status, 130)
  t.regex(output, /Interrupted by SIGINT: resumed the cron daemon/)
  await eventually(() => state(cronPid) !== 'T', 2000, 'cron to run again')
  t.true(aliveIndependently(cronPid), 'cron still runs')
  t.true(aliveIndependently(jobPid), 'and so does its job')
})

test.serial('--dry-run as user nobody waits for the job and changes nothing', async (t) => {
  const { cronPid, jobPid, dir } = await startCronWithJob(t, 2)
  const seen = runAsNobody(
    t,
    `const r = require('child_process').spawnSync(process.execPath, ['dist/lib/cli/cron-graceful.js', '--dry-run'], { encoding: 'utf8' })
     console.log(JSON.stringify({ status: r.status, stderr: r.stderr, uid: process.getuid() }))`,
  ) as { status: number; stderr: string; uid: number }
  t.is(seen.uid, 65534)
  t.is(seen.status, 0, seen.stderr)
  t.regex(seen.stderr, /Would pause the cron daemon/)
  t.regex(seen.stderr, new RegExp(`Found 1 running cron job: ${jobPid}`))
  t.regex(seen.stderr, /Would stop the cron daemon/)
  t.true(existsSync(join(dir, 'finished')), 'it waited for the job')
  t.true(aliveIndependently(cronPid), 'cron still runs')
  t.not(state(cronPid), 'T', 'and is not paused')
})

test.serial('without root and without --dry-run, cron-graceful exits 1 and says why', (t) => {
  const seen = runAsNobody(
    t,
    `const r = require('child_process').spawnSync(process.execPath, ['dist/lib/cli/cron-graceful.js'], { encoding: 'utf8' })
     console.log(JSON.stringify({ status: r.status, stderr: r.stderr }))`,
  ) as { status: number; stderr: string }
  t.is(seen.status, 1)
  t.regex(seen.stderr, /requires super user privileges/)
})

test.serial('with no cron daemon running, cron-graceful says so and exits 0', (t) => {
  t.throws(() => findCronDaemon(), { instanceOf: CronDaemonNotRunning, code: 'ERR_PROCKIT_CRON_NOT_RUNNING' })
  const result = runCli('cron-graceful', [])
  t.is(result.status, 0, result.stderr)
  t.regex(result.stderr, /No running cron daemon found/)
})

test.serial('cron-graceful --help exits 0; unknown options and arguments exit 2 with the usage', (t) => {
  const help = runCli('cron-graceful', ['--help'])
  t.is(help.status, 0)
  t.regex(help.stdout, /^Usage: cron-graceful \[OPTIONS\]/)
  for (const args of [['--frobnicate'], ['extra']]) {
    const bad = runCli('cron-graceful', args)
    t.is(bad.status, 2, args.join(' '))
    t.regex(bad.stderr, /Usage: cron-graceful/)
  }
  t.deepEqual(parseArguments(['-n', '-v', '-v', '-q']), { dryRun: true, verbosity: 1, help: false })
  t.deepEqual(parseArguments([]), { dryRun: false, verbosity: 0, help: false })
})

test.serial('waitForProcesses waits for every process, showing the pids that remain once a second', async (t) => {
  const short = spawnForTest(t, 'sleep', ['0.5'])
  const long = spawnForTest(t, 'sleep', ['1.6'])
  await eventually(() => readStatIndependently(long.pid!)[1] === 'sleep' && readStatIndependently(short.pid!)[1] === 'sleep')
  const nodes = [short.pid!, long.pid!].map((pid) => getProcessTree().find({ pid, recursive: true })!)
  const lines: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write
  let waited: number
  try {
    waited = await waitForProcesses(nodes)
  } finally {
    process.stderr.write = write
  }
  t.false(aliveIndependently(long.pid!))
  t.true(waited >= 1.4 && waited < 3, `waited ${waited} s`)
  const overview = lines.filter((line) => /Waiting for \d+ process/.test(line))
  t.regex(overview[0]!, new RegExp(`Waiting for 2 processes: ${short.pid}, ${long.pid} `))
  t.true(overview.some((line) => new RegExp(`Waiting for 1 process: ${long.pid} `).test(line)), overview.join(''))
  t.true(overview.length >= 2 && overview.length <= 5, `about one line a second, and one when a process ends: ${overview.length}`)
})

test.serial('on a terminal, waitForProcesses shows one line that it updates in place', (t) => {
  const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url))
  const code = `const { waitForProcesses, getProcessTree } = require(${JSON.stringify(index)})
    const { spawn } = require('child_process')
    const kids = [spawn('sleep', ['0.3']), spawn('sleep', ['1.3'])]
    setTimeout(() => { const tree = getProcessTree(); waitForProcesses(kids.map((k) => tree.find({ pid: k.pid, recursive: true }))) }, 100)`
  const file = join(scratchDir(t, 'pk-tty-'), 'wait.js')
  writeFileSync(file, code)
  const result = spawnSync('script', ['-qec', `${process.execPath} ${file}`, '/dev/null'], { encoding: 'utf8', timeout: 20000 })
  t.is(result.status, 0, result.stderr)
  const updates = result.stdout.split('\r\x1b[K').filter((part) => /Waiting for \d+ process/.test(part))
  t.true(updates.length >= 2, JSON.stringify(result.stdout))
  t.false(/Waiting for \d+ process[^\r]*\n/.test(result.stdout), 'no overview line ends with a newline: each is overwritten')
  t.regex(result.stdout, /All processes have finished/)
})
