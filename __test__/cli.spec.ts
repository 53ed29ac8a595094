import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

import { aliveIndependently, spawnForTest, waitForComm } from './helpers'
import { killOnTeardown, readProcessView } from './helpers'

const CLI = fileURLToPath(new URL('../dist/lib/cli/prockit.js', import.meta.url))

function prockit(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('prockit tree draws init and our own process with box characters', (t) => {
  const { status, stdout } = prockit(['tree'])
  t.is(status, 0)
  const lines = stdout.trimEnd().split('\n')
  t.regex(lines[0]!, /^1 \S/)
  t.true(lines.some((line) => new RegExp(`[└├]─ ${process.pid} `).test(line)))
  t.false(stdout.includes('\x1b['), 'no colour when stdout is not a terminal')
})

test('prockit tree --pid shows one subtree; an unknown pid exits 1', async (t) => {
  const child = spawnForTest(t, '/bin/bash', ['-c', '/bin/sleep 30 & wait'])
  await waitForComm(child.pid!, 'bash')
  let out = ''
  for (let i = 0; i < 100 && !out.includes('sleep'); i++) {
    out = prockit(['tree', '--pid', String(child.pid)]).stdout
  }
  const lines = out.trimEnd().split('\n')
  t.is(lines[0], `${child.pid} bash`)
  t.regex(lines[1]!, /^└─ \d+ sleep$/)
  const missing = prockit(['tree', '--pid', '4194304'])
  t.is(missing.status, 1)
  t.regex(missing.stderr, /no such process \(pid 4194304\)/)
})

test('prockit tree colours only on a terminal, and never under NO_COLOR', (t) => {
  const script = (env: string) => spawnSync('script', ['-qec', `${env} ${process.execPath} ${CLI} tree`, '/dev/null'], { encoding: 'utf8' })
  const coloured = script('')
  t.is(coloured.status, 0, coloured.stderr)
  t.true(coloured.stdout.includes('\x1b[36m'), 'colour on a TTY')
  const plain = script('NO_COLOR=1')
  t.is(plain.status, 0)
  t.false(plain.stdout.includes('\x1b['), 'no colour with NO_COLOR')
  t.regex(plain.stdout, /^1 /)
})

test('prockit ps prints a table and --json an array that includes us', (t) => {
  const table = prockit(['ps'])
  t.is(table.status, 0)
  t.regex(table.stdout.split('\n')[0]!, /PID\s+PPID\s+USER\s+S\s+RSS\(MB\)\s+STARTED\s+COMMAND/)
  const json = prockit(['ps', '--json'])
  t.is(json.status, 0)
  const rows = JSON.parse(json.stdout) as { pid: number; ppid: number; cmdline: string[] }[]
  const me = rows.find((row) => row.pid === process.pid)
  t.is(me?.ppid, process.ppid)
  t.true(rows.some((row) => row.pid === 1))
})

test('prockit find --exe-name finds a sleeper and exits 1 when nothing matches', async (t) => {
  const child = spawnForTest(t, '/bin/sleep', ['30'])
  await waitForComm(child.pid!, 'sleep')
  const found = prockit(['find', '--exe-name', 'sleep', '--json'])
  t.is(found.status, 0)
  t.true((JSON.parse(found.stdout) as { pid: number }[]).some((row) => row.pid === child.pid))
  const none = prockit(['find', '--exe-name', 'no-such-program-anywhere'])
  t.is(none.status, 1)
  t.regex(none.stderr, /no process matches/)
})

test('prockit kill terminates gracefully, then kills a process that ignores SIGTERM', async (t) => {
  const child = spawnForTest(t, '/bin/bash', ['-c', 'trap "" TERM; exec /bin/sleep 30'])
  await waitForComm(child.pid!, 'sleep')
  const exit = once(child, 'exit')
  const result = prockit(['kill', String(child.pid), '--timeout', '0.5'])
  t.is(result.status, 0, result.stderr)
  t.regex(result.stdout, new RegExp(`ended ${child.pid} `))
  const [, signal] = await exit
  t.is(signal, 'SIGKILL')
  t.false(aliveIndependently(child.pid!))
})

test('prockit kill reports a missing pid and refuses pid 1 with exit 1', (t) => {
  const missing = prockit(['kill', '4194304'])
  t.is(missing.status, 1)
  t.regex(missing.stderr, /no such process \(pid 4194304\)/)
  const init = prockit(['kill', '1'])
  t.is(init.status, 1)
  t.regex(init.stderr, /pid 1/)
})

test('usage errors exit 2 with a message on stderr; --help exits 0', (t) => {
  for (const args of [[], ['frobnicate'], ['tree', '--bogus'], ['tree', '--pid', 'x'], ['kill'], ['kill', '0'], ['kill', '5', '--timeout', '-1'], ['find']]) {
    const result = prockit(args)
    t.is(result.status, 2, args.join(' '))
    t.true(result.stderr.length > 0, args.join(' '))
  }
  for (const command of ['tree', 'ps', 'find', 'kill']) {
    const help = prockit([command, '--help'])
    t.is(help.status, 0)
    t.regex(help.stdout, new RegExp(`^Usage: prockit ${command}`))
  }
  t.regex(prockit(['--help']).stdout, /Commands:/)
})

test('prockit daemon -- CMD prints the pid of a running daemon set up as asked', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prockit-cli-daemon-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const pidFile = join(dir, 'sleep.pid')
  const result = prockit(['daemon', '--workdir', dir, '--umask', '027', '--pid-file', pidFile, '--', '/bin/sleep', '30'])
  t.is(result.status, 0, result.stderr)
  t.regex(result.stdout, /^\d+\n$/)
  const pid = Number(result.stdout)
  killOnTeardown(t, pid)
  t.true(aliveIndependently(pid))
  const view = readProcessView(pid)
  t.not(view.ppid, process.pid)
  t.not(view.session, pid)
  t.is(view.pgrp, view.session)
  t.is(view.cwd, dir)
  t.is(view.umask, '0027')
  t.deepEqual(view.fds, [0, 1, 2])
  t.is(readFileSync(pidFile, 'utf8'), `${pid}\n`)
})

test('prockit daemon: usage errors exit 2, a program that cannot run exits 1 naming the reason', (t) => {
  for (const args of [['daemon'], ['daemon', '--'], ['daemon', '--umask', '9', '--', '/bin/true'], ['daemon', '--umask', '1000', '--', '/bin/true'], ['daemon', '--bogus', '--', '/bin/true']]) {
    const result = prockit(args)
    t.is(result.status, 2, args.join(' '))
    t.regex(result.stderr, /Usage: prockit daemon/, args.join(' '))
  }
  const missing = prockit(['daemon', '--', 'prockit-no-such-program'])
  t.is(missing.status, 1)
  t.is(missing.stdout, '')
  t.regex(missing.stderr, /^prockit daemon: execve: no such file or directory, 'prockit-no-such-program'\n$/)
  const badDir = prockit(['daemon', '--workdir', '/nonexistent/prockit', '--', '/bin/sleep', '30'])
  t.is(badDir.status, 1)
  t.regex(badDir.stderr, /chdir: no such file or directory, '\/nonexistent\/prockit'/)
  const help = prockit(['daemon', '--help'])
  t.is(help.status, 0)
  t.regex(help.stdout, /^Usage: prockit daemon .*-- CMD/)
})
