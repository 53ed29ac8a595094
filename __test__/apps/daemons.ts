// The real daemons the application tests run against: cron, apache2 with mod_wsgi,
// gpg-agent and a D-Bus session bus with a notification server. Each helper starts what it
// needs and registers a teardown that stops it by pid or process group, never by name.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'

import { aliveIndependently, eventually, readStatIndependently, sleep, waitForComm } from '../helpers'

export const NOBODY = 65534

/** The path of a built command-line program (dist/lib/cli/NAME.js). */
export function cli(name: string): string {
  return fileURLToPath(new URL(`../../dist/lib/cli/${name}.js`, import.meta.url))
}

/** Runs a built program with node; `env` replaces the environment. */
export function runCli(name: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 60000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cli(name), ...args], { encoding: 'utf8', env, timeout })
}

/** A temporary directory under /tmp (short: unix socket paths end at 108 bytes), removed after the test. */
export function scratchDir(t: ExecutionContext, prefix: string, owner?: number): string {
  const dir = mkdtempSync(join('/tmp', prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  if (owner !== undefined) chownSync(dir, owner, owner)
  return dir
}

/** Every pid in /proc, read without prockit. */
function allPids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)
}

/** The real uid of `pid` from its status file, or null when it is gone. */
export function realUid(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))
    return line ? Number(line.split(/\s+/)[1]) : null
  } catch {
    return null
  }
}

/** The pids whose comm is `comm` (read without prockit), for preconditions only. */
export function pidsWithComm(comm: string): number[] {
  return allPids().filter((pid) => {
    try {
      return readStatIndependently(pid)[1] === comm && readStatIndependently(pid)[2] !== 'Z'
    } catch {
      return false
    }
  })
}

/** The children of `pid`, from every stat's ppid (read without prockit). */
export function childrenOf(pid: number): number[] {
  return allPids().filter((child) => {
    try {
      return Number(readStatIndependently(child)[3]) === pid
    } catch {
      return false
    }
  })
}

/** The first argument of a process's cmdline, read without prockit ('' when gone). */
export function argv0(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? ''
  } catch {
    return ''
  }
}

/** Sends `signal` to `pid` (or, negative, a process group), ignoring "already gone". */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

/** SIGKILLs `pid` when the test ends and waits until it has (a zombie counts as ended). */
export function stopOnTeardown(t: ExecutionContext, pid: number): void {
  t.teardown(async () => {
    signal(pid, 'SIGKILL')
    await eventually(() => !aliveIndependently(pid), 5000, `pid ${pid} to end`)
  })
}

// ---- cron ------------------------------------------------------------------------------

export const CRON_PID_FILE = '/run/crond.pid'
const CRON_REBOOT_MARKER = '/run/crond.reboot'

export interface CronJob {
  /** The cron daemon's pid. */
  cronPid: number
  /** The job's shell: the daemon's grandchild (daemon → its fork for the job → the job). */
  jobPid: number
  /** Where the job writes `finished` (epoch ms) when it is done. */
  dir: string
}

/**
 * Starts the real cron daemon (`service cron start`) with one job in /etc/cron.d that runs
 * at once: an @reboot job, which cron runs when it starts and finds no /run/crond.reboot
 * (so no wait for a minute boundary). The job sleeps `seconds`, then writes the time to
 * DIR/finished. Resolves once the job runs. Teardown: remove the job, SIGKILL the daemon and
 * its fork for the job by pid, and the job by its process group (cron gives every job a
 * session of its own).
 */
export async function startCronWithJob(t: ExecutionContext, seconds: number): Promise<CronJob> {
  const running = pidsWithComm('cron').filter((pid) => Number(readStatIndependently(pid)[3]) === 1)
  if (running.length > 0) throw new Error(`the cron tests start their own cron daemon, but one runs already (pid ${running.join(', ')})`)
  const dir = scratchDir(t, 'pk-cron-')
  chmodSync(dir, 0o755)
  const job = join(dir, 'job.sh')
  writeFileSync(job, `#!/bin/sh\necho $$ > ${dir}/started\nsleep ${seconds}\ndate +%s%3N > ${dir}/finished\n`, { mode: 0o755 })
  const crontab = `/etc/cron.d/prockit-test-${process.pid}`
  writeFileSync(crontab, `@reboot root ${job}\n`, { mode: 0o644 })
  rmSync(CRON_REBOOT_MARKER, { force: true })
  let cronPid = 0
  let forkPid = 0
  let jobPgid = 0
  t.teardown(async () => {
    rmSync(crontab, { force: true })
    for (const pid of [cronPid, forkPid].filter(Boolean)) {
      signal(pid, 'SIGCONT')
      signal(pid, 'SIGKILL')
    }
    if (jobPgid > 1) signal(-jobPgid, 'SIGKILL')
    await eventually(() => ![cronPid, forkPid].some((pid) => pid && aliveIndependently(pid)), 5000, 'cron and its fork to end')
  })
  const started = spawnSync('service', ['cron', 'start'], { encoding: 'utf8' })
  if (started.status !== 0) throw new Error(`service cron start failed: ${started.stderr}`)
  await eventually(() => existsSync(CRON_PID_FILE) && aliveIndependently(Number(readFileSync(CRON_PID_FILE, 'utf8'))), 5000, 'cron to start')
  cronPid = Number(readFileSync(CRON_PID_FILE, 'utf8'))
  await eventually(() => existsSync(join(dir, 'started')), 10000, 'the @reboot job to start')
  // cron's fork runs the line with `sh -c`, which may run the script as a child of its
  // own: the job is the process on the way up whose grandparent is the daemon.
  const parentOf = (pid: number) => Number(readStatIndependently(pid)[3])
  let jobPid = Number(readFileSync(join(dir, 'started'), 'utf8'))
  for (let i = 0; i < 5 && parentOf(parentOf(jobPid)) !== cronPid; i++) jobPid = parentOf(jobPid)
  forkPid = parentOf(jobPid)
  jobPgid = Number(readStatIndependently(jobPid)[4])
  return { cronPid, jobPid, dir }
}

/** Polls the cron daemon every 10 ms: when it was last seen alive, and every state it had. */
export function watchProcess(pid: number): { stop(): void; endedAt: number | null; states: Set<string> } {
  const watch = { endedAt: null as number | null, states: new Set<string>(), stop: () => clearInterval(timer) }
  const timer = setInterval(() => {
    if (watch.endedAt !== null) return
    try {
      const state = readStatIndependently(pid)[2]!
      if (state === 'Z') watch.endedAt = Date.now()
      else watch.states.add(state)
    } catch {
      watch.endedAt = Date.now()
    }
  }, 10)
  return watch
}

// ---- apache ----------------------------------------------------------------------------

export const APACHE_PORT = 18080

export interface Apache {
  masterPid: number
  /** The master's children: three prefork workers and three WSGI daemon processes. */
  workerPids: number[]
  dir: string
}

/**
 * Starts a private apache2 (prefork, mod_wsgi) on 127.0.0.1:18080 with its own config,
 * pid file and logs in a temp dir: 3 prefork workers, WSGI group prockit-test (2
 * processes, display-name (wsgi:prockit-test), cut by mod_wsgi to argv[0]'s 17 bytes:
 * "(wsgi:prockit-tes") and pk2 (1 process, "(wsgi:pk2)" padded with spaces). Teardown:
 * `-k stop`, then SIGKILL of the master and its workers by pid.
 */
export async function startApache(t: ExecutionContext): Promise<Apache> {
  const running = pidsWithComm('apache2')
  if (running.length > 0) throw new Error(`the apache test starts its own apache2, but one runs already (pid ${running.join(', ')})`)
  const dir = scratchDir(t, 'pk-apache-')
  chmodSync(dir, 0o755)
  writeFileSync(join(dir, 'app.wsgi'), "def application(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [environ['mod_wsgi.process_group'].encode() + b'\\n']\n")
  const conf = join(dir, 'httpd.conf')
  const modules = '/usr/lib/apache2/modules'
  writeFileSync(
    conf,
    [
      `ServerRoot ${dir}`,
      'ServerName 127.0.0.1',
      `Listen 127.0.0.1:${APACHE_PORT}`,
      `PidFile ${dir}/httpd.pid`,
      `ErrorLog ${dir}/error.log`,
      `DefaultRuntimeDir ${dir}`,
      `Mutex file:${dir} default`,
      `LoadModule mpm_prefork_module ${modules}/mod_mpm_prefork.so`,
      `LoadModule authz_core_module ${modules}/mod_authz_core.so`,
      `LoadModule wsgi_module ${modules}/mod_wsgi.so`,
      'User www-data',
      'Group www-data',
      'StartServers 3',
      'MinSpareServers 3',
      'MaxSpareServers 4',
      `WSGISocketPrefix ${dir}/wsgi`,
      'WSGIDaemonProcess prockit-test processes=2 threads=1 display-name=(wsgi:prockit-test)',
      'WSGIDaemonProcess pk2 processes=1 threads=1 display-name=(wsgi:pk2)',
      `WSGIScriptAlias / ${dir}/app.wsgi process-group=prockit-test application-group=%{GLOBAL}`,
      `<Directory ${dir}>`,
      '  Require all granted',
      '</Directory>',
      '',
    ].join('\n'),
  )
  let masterPid = 0
  let workerPids: number[] = []
  t.teardown(async () => {
    spawnSync('/usr/sbin/apache2', ['-f', conf, '-k', 'stop'])
    for (let i = 0; i < 50 && masterPid && aliveIndependently(masterPid); i++) await sleep(100)
    for (const pid of [masterPid, ...workerPids].filter(Boolean)) signal(pid, 'SIGKILL')
  })
  const started = spawnSync('/usr/sbin/apache2', ['-f', conf, '-k', 'start'], { encoding: 'utf8' })
  if (started.status !== 0) throw new Error(`apache2 -k start failed: ${started.stderr}${readFileSync(join(dir, 'error.log'), 'utf8')}`)
  await eventually(() => existsSync(join(dir, 'httpd.pid')), 10000, 'the apache pid file')
  masterPid = Number(readFileSync(join(dir, 'httpd.pid'), 'utf8'))
  await eventually(
    () => {
      workerPids = childrenOf(masterPid)
      return workerPids.length === 6 && workerPids.filter((pid) => argv0(pid).startsWith('(wsgi:')).length === 3
    },
    10000,
    'three workers and three WSGI daemon processes',
  )
  return { masterPid, workerPids, dir }
}

// ---- gpg-agent -------------------------------------------------------------------------

/** Fails unless no gpg-agent of ours runs: with-gpg-agent would have a choice to make. */
export function assertNoAgentOfOurs(): void {
  const ours = pidsWithComm('gpg-agent').filter((pid) => realUid(pid) === process.getuid!())
  if (ours.length > 0) throw new Error(`the gpg tests need to be the only ones running gpg-agents of uid ${process.getuid!()}, but pid ${ours.join(', ')} runs`)
}

/** The pid that the agent reachable with `env` reports (`getinfo pid`), or null. */
export function agentPid(env: NodeJS.ProcessEnv): number | null {
  const result = spawnSync('gpg-connect-agent', ['--no-autostart', 'getinfo pid', '/bye'], { encoding: 'utf8', env })
  const match = /^D (\d+)$/m.exec(result.stdout ?? '')
  return result.status === 0 && match ? Number(match[1]) : null
}

/** Starts a gpg-agent with GNUPGHOME=`home`; resolves its pid (killed by pid after the test). */
export function startAgent(t: ExecutionContext, home: string): number {
  const env = { ...process.env, GNUPGHOME: home }
  const started = spawnSync('gpg-agent', ['--daemon'], { env, stdio: 'ignore' })
  if (started.status !== 0) throw new Error(`gpg-agent --daemon failed (${started.status})`)
  const pid = agentPid(env)
  if (pid === null) throw new Error('the gpg-agent just started does not answer')
  stopOnTeardown(t, pid)
  return pid
}

/** An environment without a GnuPG home or agent of its own: HOME is an empty temp dir. */
export function environmentWithoutAgent(t: ExecutionContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: scratchDir(t, 'pk-h-') }
  delete env.GNUPGHOME
  delete env.GPG_AGENT_INFO
  return env
}

// ---- D-Bus session and notifications ---------------------------------------------------

const PYTHON = '/usr/bin/python3' // Debian's, which has python3-dbus and python3-gi

const NOTIFICATION_SERVER = `
import json, sys
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
IFACE = 'org.freedesktop.Notifications'

class Server(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature='susssasa{sv}i', out_signature='u', sender_keyword='sender')
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout, sender=None):
        print(json.dumps({'appName': str(app_name), 'summary': str(summary), 'body': str(body),
                          'urgency': int(hints.get('urgency', -1)), 'uid': int(bus.get_unix_user(sender))}), flush=True)
        return 1

    @dbus.service.method(IFACE, out_signature='as')
    def GetCapabilities(self):
        return ['body']

    @dbus.service.method(IFACE, out_signature='ssss')
    def GetServerInformation(self):
        return ('prockit-test', 'prockit', '1', '1.2')

    @dbus.service.method(IFACE, in_signature='u')
    def CloseNotification(self, id):
        pass

name = dbus.service.BusName(IFACE, bus)
Server(bus, '/org/freedesktop/Notifications')
print('ready', flush=True)
GLib.MainLoop().run()
`

export interface Notification {
  appName: string
  summary: string
  body: string
  urgency: number
  /** The uid of the connection that sent it, as the bus reports it. */
  uid: number
}

export interface SessionBus {
  address: string
  /** The notifications the server has received so far. */
  received: Notification[]
}

const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups']

/** Spawns a command as user nobody; killed by pid after the test. */
function spawnAsNobody(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn('setpriv', [...asNobody, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  for await (const line of createInterface({ input: stream })) return line
  throw new Error('the process ended before printing a line')
}

/**
 * A desktop session of user nobody without a desktop: a dbus-daemon session bus on a unix
 * socket in a temp dir, a notification server that owns org.freedesktop.Notifications and
 * records every Notify call (with the sender's uid), and `holders` sleeping processes with
 * DBUS_SESSION_BUS_ADDRESS and DISPLAY in their environments — all run as nobody.
 */
export async function startSessionBus(t: ExecutionContext, holders = 3): Promise<SessionBus> {
  const dir = scratchDir(t, 'pk-bus-', NOBODY)
  const config = join(dir, 'bus.conf')
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  )
  writeFileSync(join(dir, 'server.py'), NOTIFICATION_SERVER)
  execFileSync('chmod', ['a+r', config, join(dir, 'server.py')])
  const env = { PATH: '/usr/bin:/bin' }
  const daemon = spawnAsNobody(t, ['dbus-daemon', `--config-file=${config}`, '--nofork', '--print-address'], env)
  const address = (await firstLine(daemon.stdout!)).trim()
  const server = spawnAsNobody(t, [PYTHON, join(dir, 'server.py'), address], env)
  const lines = createInterface({ input: server.stdout! })
  const received: Notification[] = []
  let ready = false
  lines.on('line', (line) => {
    if (line === 'ready') ready = true
    else received.push(JSON.parse(line) as Notification)
  })
  await eventually(() => ready, 10000, 'the notification server')
  for (let i = 0; i < holders; i++) {
    const holder = spawnAsNobody(t, ['sleep', '120'], { ...env, DBUS_SESSION_BUS_ADDRESS: address, DISPLAY: ':99' })
    await waitForComm(holder.pid!, 'sleep') // exec'd, so it runs as nobody
  }
  return { address, received }
}

/** Our environment without the variables that lead to a desktop session. */
export function environmentWithoutSession(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'XAUTHORITY']) delete env[name]
  return env
}
