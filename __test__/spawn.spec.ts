import { once } from 'node:events'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

import { killSession, Process, sessionMembers, spawn } from 'prockit'
import { eventually, readStatIndependently } from './helpers'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

async function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  let out = ''
  for await (const chunk of stream!) out += String(chunk)
  return out
}

test('spawn runs a command with pipes, reports its exit and reaps it', async (t) => {
  const child = spawn('/bin/sh', ['-c', 'read line; echo "got $line"; echo oops >&2; exit 3'])
  const events: string[] = []
  child.on('spawn', () => events.push('spawn'))
  child.on('exit', (code) => events.push(`exit ${code}`))
  const closed = once(child, 'close')
  child.stdin!.end('hello\n')
  const [out, err] = await Promise.all([collect(child.stdout), collect(child.stderr)])
  t.is(out, 'got hello\n')
  t.is(err, 'oops\n')
  t.deepEqual(await child.exited, { code: 3, signal: null })
  t.deepEqual(await closed, [3, null])
  t.deepEqual(events, ['spawn', 'exit 3'])
  t.is(child.exitCode, 3)
  t.false(existsSync(`/proc/${child.pid}`), 'reaped: no zombie left')
  t.false(child.kill(), 'kill after exit does nothing')
})

test('newProcessGroup: the child leads a new group in our session', async (t) => {
  const child = spawn('/bin/sleep', ['30'], { newProcessGroup: true, stdio: 'ignore' })
  t.teardown(() => child.kill('SIGKILL'))
  await once(child, 'spawn')
  const fields = readStatIndependently(child.pid!)
  t.is(Number(fields[4]), child.pid!, 'pgid = pid')
  t.is(Number(fields[5]), Number(readStatIndependently(process.pid)[5]), 'our session')
  t.is(child.process?.pgrp, child.pid!)
  t.true(child.kill('SIGTERM'))
  t.deepEqual(await child.exited, { code: null, signal: 'SIGTERM' })
})

test('newSession: the child leads a new session', async (t) => {
  const child = spawn('/bin/sleep', ['30'], { newSession: true, stdio: 'ignore' })
  t.teardown(() => child.kill('SIGKILL'))
  await once(child, 'spawn')
  t.is(Number(readStatIndependently(child.pid!)[5]), child.pid!)
  t.is(child.process?.session, child.pid!)
  child.kill('SIGKILL')
  t.is((await child.exited).signal, 'SIGKILL')
})

test('the seed\'s experiment: a session leader survives its parent\'s session being killed, re-parented', async (t) => {
  // A parent in a session of its own starts a child that calls setsid (newSession), then
  // waits. Killing the parent's whole session leaves the child running, with a new parent.
  const dir = mkdtempSync(join(tmpdir(), 'prockit-setsid-'))
  const script = join(dir, 'parent.js')
  writeFileSync(
    script,
    `const { spawn } = require(${JSON.stringify(dist)})
     const child = spawn('/bin/sleep', ['60'], { newSession: true, stdio: 'ignore' })
     child.on('spawn', () => console.log(child.pid))
     setInterval(() => {}, 1000)`,
  )
  const parent = spawn(process.execPath, [script], { newSession: true, stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer]
  const survivorPid = Number(String(line).trim())
  t.teardown(() => {
    try {
      process.kill(survivorPid, 'SIGKILL')
    } catch {
      // gone
    }
  })
  const survivor = Process.fromPid(survivorPid)!
  t.is(survivor.ppid, parent.pid!)
  t.is(survivor.session, survivorPid, 'a session leader')
  t.not(Process.fromPid(parent.pid!)!.session, survivor.session)

  const killed = killSession(parent.pid!, 'SIGKILL')
  t.deepEqual(killed.map((p) => p.pid), [parent.pid])
  t.is((await parent.exited).signal, 'SIGKILL')
  t.deepEqual(sessionMembers(parent.pid!).filter((p) => p.state !== 'Z'), [])
  t.true(survivor.isAlive, 'the child survives')
  await eventually(() => Process.fromPid(survivorPid)?.ppid !== parent.pid, 5000, 're-parenting')
  t.not(Process.fromPid(survivorPid)!.ppid, parent.pid!)
})

test('failures to start are emitted as error events with Node-style fields', async (t) => {
  const missing = spawn('no-such-program-prockit')
  const [error] = (await once(missing, 'error')) as [NodeJS.ErrnoException]
  t.is(error.code, 'ENOENT')
  t.is(error.syscall, 'execve')
  t.is(missing.pid, undefined)
  const denied = spawn('/etc/passwd')
  t.is(((await once(denied, 'error')) as [NodeJS.ErrnoException])[0].code, 'EACCES')
  const badCwd = spawn('/bin/true', [], { cwd: '/no/such/dir' })
  const [cwdError] = (await once(badCwd, 'error')) as [NodeJS.ErrnoException & { path?: string }]
  t.is(cwdError.code, 'ENOENT')
  t.is(cwdError.syscall, 'chdir')
  t.is(cwdError.path, '/no/such/dir')
  t.throws(() => spawn(42 as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => spawn('/bin/true', 'x' as never), { instanceOf: TypeError })
  t.throws(() => spawn('/bin/true', [], { newSession: 'yes' as never }), { instanceOf: TypeError })
  t.throws(() => spawn('/bin/true', [], { stdio: 'bogus' as never }), { code: 'ERR_INVALID_ARG_VALUE' })
})

test('cwd, env and stdio options reach the child', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prockit-spawn-'))
  const child = spawn('/bin/sh', ['-c', 'pwd; echo "$MARK"'], { cwd: dir, env: { MARK: 'prockit', PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'ignore'] })
  t.is(child.stdin, null)
  t.is(child.stderr, null)
  t.is(await collect(child.stdout), `${dir}\nprockit\n`)
  t.is((await child.exited).code, 0)
})

test('unref() lets Node exit while a new-session child runs; ref() undoes it', async (t) => {
  const script = `const { spawn } = require(${JSON.stringify(dist)})
    const child = spawn('/bin/sleep', ['30'], { newSession: true, stdio: 'ignore' })
    child.on('spawn', () => { console.log(child.pid); child.unref() })`
  const started = Date.now()
  const node = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const out = await collect(node.stdout)
  await node.exited
  const orphan = Number(out.trim())
  t.teardown(() => {
    try {
      process.kill(orphan, 'SIGKILL')
    } catch {
      // gone
    }
  })
  t.true(Date.now() - started < 10000, 'node exited without waiting for the 30 s child')
  t.true(Process.fromPid(orphan)?.isAlive ?? false, 'the child runs on, in its own session')
})

test('a script without "#!" runs through /bin/sh, as execvp does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prockit-noexec-'))
  const script = join(dir, 'plain-script')
  writeFileSync(script, 'echo "ran as sh: $0 $1"\n', { mode: 0o755 })
  const child = spawn(script, ['arg'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.is(await collect(child.stdout), `ran as sh: ${script} arg\n`)
  t.is((await child.exited).code, 0)
})
