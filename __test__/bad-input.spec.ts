// Every public function refuses bad input with Node's error classes and codes, and a
// message naming the argument, before any system call.
import test from 'ava'

import * as prockit from 'prockit'

const { Process, UnixProcess } = prockit

type Case = [name: string, call: () => unknown, kind: typeof TypeError | typeof RangeError, code: string, mentions: string]

const me = () => Process.fromPid(process.pid)!
const NOT_A_PID = [0, -1, -2147483648, 1.5, Number.NaN, Infinity, 2 ** 40]

const cases: Case[] = [
  ...NOT_A_PID.map((pid): Case => [`UnixProcess pid ${pid}`, () => new UnixProcess({ pid }), RangeError, 'ERR_OUT_OF_RANGE', 'pid']),
  ...NOT_A_PID.map((pid): Case => [`fromPid ${pid}`, () => Process.fromPid(pid), RangeError, 'ERR_OUT_OF_RANGE', 'pid']),
  ['fromPid string', () => Process.fromPid('1' as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'pid'],
  ['fromPid bigint', () => Process.fromPid(1n as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'pid'],
  ['fromPath relative', () => Process.fromPath('proc/1'), TypeError, 'ERR_INVALID_ARG_VALUE', 'directory'],
  ['fromPath number', () => Process.fromPath(1 as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'directory'],
  ['sendSignal unknown name', () => me().sendSignal('SIGWHATEVER' as never), TypeError, 'ERR_UNKNOWN_SIGNAL', 'SIGWHATEVER'],
  ['sendSignal 99', () => me().sendSignal(99), TypeError, 'ERR_UNKNOWN_SIGNAL', '99'],
  ['sendSignal NaN', () => me().sendSignal(Number.NaN), TypeError, 'ERR_UNKNOWN_SIGNAL', 'NaN'],
  ['sendSignal object', () => me().sendSignal({} as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'signal'],
  ['find pid 0', () => prockit.getProcessTree().find({ pid: 0 }), RangeError, 'ERR_OUT_OF_RANGE', 'criteria.pid'],
  ['findAll exeName 1', () => prockit.getProcessTree().findAll({ exeName: 1 as never }), TypeError, 'ERR_INVALID_ARG_TYPE', 'criteria.exeName'],
  ['findAll recursive "yes"', () => prockit.getProcessTree().findAll({ recursive: 'yes' as never }), TypeError, 'ERR_INVALID_ARG_TYPE', 'criteria.recursive'],
  ['uidToName -1', () => prockit.uidToName(-1), RangeError, 'ERR_OUT_OF_RANGE', 'uid'],
  ['gidToName 2^32', () => prockit.gidToName(2 ** 32), RangeError, 'ERR_OUT_OF_RANGE', 'gid'],
  ['parseProcessStatus 1', () => prockit.parseProcessStatus(1 as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'directory'],
  ['procGetUmask -5', () => prockit.procGetUmask(-5), RangeError, 'ERR_OUT_OF_RANGE', 'proc'],
  ['procGetUmask {}', () => prockit.procGetUmask({} as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'proc'],
  ['procGetrlimit unknown', () => prockit.procGetrlimit(process.pid, 'RLIMIT_WHATEVER'), TypeError, 'ERR_INVALID_ARG_VALUE', 'resource'],
  ['procRlimit NaN', () => prockit.procRlimit(process.pid, 'RLIMIT_CORE', [Number.NaN, 0]), RangeError, 'ERR_OUT_OF_RANGE', 'newLimits[0]'],
  ['procRlimit 2^60', () => prockit.procRlimit(process.pid, 'RLIMIT_CORE', [2 ** 60, 2 ** 60]), RangeError, 'ERR_OUT_OF_RANGE', 'newLimits[0]'],
  ['oneshotProc no fn', () => prockit.oneshotProc(process.pid, 5 as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'fn'],
  ['killProcessGroup 0', () => prockit.killProcessGroup(0), RangeError, 'ERR_OUT_OF_RANGE', 'pgid'],
  ['killProcessGroup 1', () => prockit.killProcessGroup(1), RangeError, 'ERR_OUT_OF_RANGE', 'pgid'],
  ['killProcessGroup -1', () => prockit.killProcessGroup(-1, 'SIGKILL'), RangeError, 'ERR_OUT_OF_RANGE', 'pgid'],
  ['killSession 1', () => prockit.killSession(1, 'SIGKILL'), RangeError, 'ERR_OUT_OF_RANGE', 'sid'],
  ['processGroupMembers NaN', () => prockit.processGroupMembers(Number.NaN), RangeError, 'ERR_OUT_OF_RANGE', 'pgid'],
  ['pidExists "1"', () => prockit.pidExists('1' as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'pid'],
  ['processIter attrs', () => prockit.processIter({ attrs: 'cmdline' as never }), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.attrs'],
  ['nice 100', () => me().nice(100), RangeError, 'ERR_OUT_OF_RANGE', 'value'],
  ['cpuPercent interval -1', () => me().cpuPercent({ interval: -1 }), RangeError, 'ERR_OUT_OF_RANGE', 'options.interval'],
  ['children recursive 1', () => me().children({ recursive: 1 as never }), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.recursive'],
  ['spawn command 1', () => prockit.spawn(1 as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'command'],
  ['spawn args not array', () => prockit.spawn('/bin/true', 'x' as never), TypeError, 'ERR_INVALID_ARG_TYPE', 'args'],
  ['spawn NUL', () => prockit.spawn('/bin/true', ['a\0b']), TypeError, 'ERR_INVALID_ARG_VALUE', 'args[0]'],
  ['signalNumber null', () => prockit.signalNumber(null), TypeError, 'ERR_INVALID_ARG_TYPE', 'signal'],
]

for (const [name, call, kind, code, mentions] of cases) {
  test(`refuses ${name}`, (t) => {
    const error = t.throws(call, { instanceOf: kind }) as (Error & { code?: string }) | undefined
    t.is(error?.code, code)
    t.true(error!.message.includes(mentions), `"${error?.message}" names ${mentions}`)
  })
}

test('async functions reject bad input with the same codes', async (t) => {
  const proc = me()
  await t.throwsAsync(proc.waitForProcess({ timeout: Number.NaN }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(proc.terminate({ timeout: -1 }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(proc.wait({ timeout: 'soon' as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  await t.throwsAsync(prockit.waitProcs([proc], { timeout: -5 }), { instanceOf: RangeError })
  await t.throwsAsync(prockit.waitProcs([42 as never]), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  await t.throwsAsync(prockit.spawnDaemon(42 as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  await t.throwsAsync(prockit.spawnDaemon('/bin/true', [], { umask: 0o1000 }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
})

test('pid 1 is protected: signals to init are refused unless asked for', (t) => {
  const init = Process.fromPid(1)
  t.truthy(init)
  t.throws(() => init!.sendSignal('SIGTERM'), { code: 'ERR_PROCKIT_INIT_PROTECTED' })
  t.throws(() => init!.killHelper(), { code: 'ERR_PROCKIT_INIT_PROTECTED' })
  t.throws(() => init!.suspend(), { code: 'ERR_PROCKIT_INIT_PROTECTED' })
})
