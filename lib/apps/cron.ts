// proc.cron: cron-graceful stops cron without cutting its running jobs short. Pause the
// daemon (SIGSTOP) so it starts no new job, run local additions, wait for the jobs (the
// daemon's grandchildren: daemon → its fork for the job → the job), then stop the daemon.
// Built on prockit's public API only.
import { spawn } from 'node:child_process'
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'

import { getProcessTree, procGetSigmask, sortedByPid, type Process, type ProcessNode } from '../../index'
import { formatSeconds, Logger, parseOrExit, pluralize } from './program'

/** The external command that cron-graceful runs, if it is on $PATH, right after pausing cron. */
export const ADDITIONS_SCRIPT_NAME = 'cron-graceful-additions'

/** Raised by findCronDaemon() when it cannot find the cron daemon process. */
export class CronDaemonNotRunning extends Error {
  readonly code = 'ERR_PROCKIT_CRON_NOT_RUNNING'
  constructor(message: string) {
    super(message)
    this.name = 'CronDaemonNotRunning'
  }
}

export const USAGE = `Usage: cron-graceful [OPTIONS]

Gracefully stop the cron daemon: pause it (SIGSTOP) so that it starts no new jobs,
run ${ADDITIONS_SCRIPT_NAME} if that command is on $PATH, wait for the running
cron jobs to finish (showing which remain, once a second), then stop cron
('service cron stop', and kill it if it still runs). Needs root, except for --dry-run.
If interrupted while cron is paused, it lets cron run again before exiting.

Supported options:
  -n, --dry-run  change nothing: only show what would be done and wait for the jobs
  -v, --verbose  more messages (give it twice for more)
  -q, --quiet    fewer messages: warnings and errors only
  -h, --help     show this message and exit
`

/** The messages of cron-graceful (stderr); cronGraceful() sets its verbosity from -v / -q. */
export const logger = new Logger('cron-graceful')

export interface CronGracefulArguments {
  /** -n / --dry-run: change nothing. */
  dryRun: boolean
  /** The number of -v minus the number of -q. */
  verbosity: number
  help: boolean
}

/** Parses cron-graceful's command line; throws (a parseArgs or usage error) on anything else. */
export function parseArguments(args: string[]): CronGracefulArguments {
  const { values } = parseArgs({
    args,
    options: {
      'dry-run': { type: 'boolean', short: 'n' },
      verbose: { type: 'boolean', short: 'v', multiple: true },
      quiet: { type: 'boolean', short: 'q', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  })
  return {
    dryRun: values['dry-run'] ?? false,
    verbosity: (values.verbose?.length ?? 0) - (values.quiet?.length ?? 0),
    help: values.help ?? false,
  }
}

/** Throws (code EPERM) unless we run as root: pausing and stopping cron needs it. */
export function ensureRootPrivileges(): void {
  if (process.geteuid?.() !== 0) {
    throw Object.assign(new Error('This program requires super user privileges! (run it as root, or try --dry-run)'), { code: 'EPERM' })
  }
}

/**
 * The cron daemon: a process running `cron` below init (not a zombie), found breadth first,
 * so the daemon comes before the forks it makes for its jobs. Throws CronDaemonNotRunning
 * when there is none.
 */
export function findCronDaemon(): ProcessNode {
  const init = getProcessTree()
  const running = (node: ProcessNode) => node.state !== 'Z' // a zombie has ended
  const cron = init.findAll({ exeName: 'cron' }).find(running) ?? init.findAll({ exeName: 'cron', recursive: true }).find(running)
  if (!cron) throw new CronDaemonNotRunning('Failed to find the cron daemon process! Is it running?')
  return cron
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, fsConstants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here: try the next directory
    }
  }
  return null
}

/** Runs a command with our stdout and stderr; resolves its exit status (-1: could not run, or killed). */
function run(command: string, args: string[], stdio: 'inherit' | 'ignore' = 'inherit'): Promise<{ status: number; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', stdio, stdio] })
    child.once('error', (error) => resolve({ status: -1, error }))
    child.once('close', (code) => resolve({ status: code ?? -1 }))
  })
}

/**
 * Runs ADDITIONS_SCRIPT_NAME when it is on $PATH: local logic for the moment cron is
 * paused. A failure is a warning, not the end of cron-graceful. Resolves true if it ran and
 * succeeded, false otherwise.
 */
export async function runAdditions(): Promise<boolean> {
  const script = findOnPath(ADDITIONS_SCRIPT_NAME)
  if (!script) {
    logger.debug(`No ${ADDITIONS_SCRIPT_NAME} on $PATH.`)
    return false
  }
  logger.info(`Running ${script} ..`)
  const { status, error } = await run(script, [])
  if (status === 0) return true
  logger.warn(`${ADDITIONS_SCRIPT_NAME} failed (${error ? error.message : `exit status ${status}`}); carrying on.`)
  return false
}

/**
 * Waits until every process has ended, showing which remain once a second: an updating
 * line on a terminal, a log line otherwise (nothing with -q). Resolves with the seconds waited.
 */
export async function waitForProcesses(processes: ProcessNode[]): Promise<number> {
  const started = performance.now()
  const running = new Set(processes.filter((p) => p.isAlive))
  for (const p of running) {
    logger.info(`Waiting for process ${p.pid}: ${p.cmdline.join(' ') || p.comm} (runtime is ${formatSeconds(p.runtime)})`)
  }
  // One wait per process (a pidfd each), for the whole wait; the overview ticks in between.
  let wake: () => void = () => {}
  for (const p of running) {
    p.waitForProcess().then(
      () => wake(),
      () => wake(),
    )
  }
  const live = process.stderr.isTTY === true && logger.verbosity >= 0
  while (true) {
    for (const p of running) if (!p.isAlive) running.delete(p)
    if (running.size === 0) break
    const elapsed = formatSeconds((performance.now() - started) / 1000)
    const line = `Waiting for ${pluralize(running.size, 'process', 'processes')}: ${[...running].map((p) => p.pid).join(', ')} (${elapsed})`
    if (live) process.stderr.write(`\r\x1b[K${logger.name}: ${line}`)
    else logger.info(line)
    const ended = new Promise<void>((resolve) => (wake = resolve))
    await Promise.race([ended, sleep(1000)])
  }
  if (live) process.stderr.write('\r\x1b[K')
  const waited = (performance.now() - started) / 1000
  logger.info(`All processes have finished, we're done waiting (took ${formatSeconds(waited)}).`)
  return waited
}

/** True once a SIGTERM waits for the (paused) process to run. */
function sigtermPending(node: ProcessNode): boolean {
  const masks = procGetSigmask(node as unknown as Process) // a ProcessNode is a Process at run time
  return masks.processPending.has('SIGTERM') || masks.pending.has('SIGTERM')
}

/**
 * Stops the cron daemon: 'service cron stop', then SIGTERM and SIGKILL (terminate()) if it
 * still runs. A paused cron keeps a SIGTERM pending until it runs again, so it is resumed
 * as soon as the signal is pending: the signal then acts before cron runs any code of its
 * own, so no job can start in between.
 */
export async function terminateCronDaemon(cronDaemon: ProcessNode): Promise<void> {
  logger.info(`Stopping cron daemon with process id ${cronDaemon.pid} ..`)
  let serviceDone = false
  const service = run('service', ['cron', 'stop'], logger.verbosity >= 1 ? 'inherit' : 'ignore').finally(() => (serviceDone = true))
  while (!serviceDone && cronDaemon.isAlive) {
    try {
      if (sigtermPending(cronDaemon)) {
        cronDaemon.resume()
        break
      }
    } catch {
      break // gone meanwhile
    }
    await sleep(10)
  }
  const { status, error } = await service
  if (status === 0) logger.info("Stopped cron using 'service cron stop'.")
  else logger.warn(`'service cron stop' failed (${error ? error.message : `exit status ${status}`}).`)
  if (!cronDaemon.isAlive) return
  logger.info(`The cron daemon (pid ${cronDaemon.pid}) still runs: terminating it ..`)
  if (!(await cronDaemon.terminate({ wait: false }))) return
  try {
    cronDaemon.resume() // a paused daemon acts on the SIGTERM only once it runs
  } catch {
    return // it ended meanwhile
  }
  await cronDaemon.waitForProcess({ timeout: 10 })
  if (cronDaemon.isAlive) await cronDaemon.kill()
}

/** The signals that end cron-graceful (an SSH disconnect is SIGHUP), with the shell's exit status for each. */
const SIGNAL_STATUS = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGTERM: 143 } as const
const ENDING_SIGNALS = Object.keys(SIGNAL_STATUS) as (keyof typeof SIGNAL_STATUS)[]

/** The cron-graceful program: resolves its exit status (0 done, 1 failed, 2 usage error). */
export async function cronGraceful(args: string[]): Promise<number> {
  const started = performance.now()
  const options = parseOrExit(logger.name, USAGE, () => parseArguments(args))
  if (typeof options === 'number') return options
  logger.verbosity = options.verbosity
  const { dryRun } = options
  if (!dryRun) {
    try {
      ensureRootPrivileges()
    } catch (error) {
      logger.error((error as Error).message)
      return 1
    }
  }
  let cron: ProcessNode
  try {
    cron = findCronDaemon()
  } catch (error) {
    if (!(error instanceof CronDaemonNotRunning)) throw error
    logger.info('No running cron daemon found, assuming it was previously stopped ..')
    return 0
  }
  let paused = false
  const resumeCron = (why: string) => {
    if (!paused) return
    paused = false
    try {
      cron.resume()
      logger.warn(`${why}: resumed the cron daemon (pid ${cron.pid}).`)
    } catch {
      // it ended meanwhile: nothing to resume
    }
  }
  const onSignal = (signal: keyof typeof SIGNAL_STATUS) => {
    resumeCron(`Interrupted by ${signal}`)
    process.exit(SIGNAL_STATUS[signal])
  }
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal)
  try {
    if (dryRun) {
      logger.info(`Would pause the cron daemon (pid ${cron.pid}) and run ${ADDITIONS_SCRIPT_NAME} (dry run).`)
    } else {
      logger.info(`Pausing the cron daemon (pid ${cron.pid}) ..`)
      cron.suspend()
      paused = true
      await runAdditions()
    }
    // The jobs as the tree shows them *after* the pause: none can start from here on, and
    // those the additions ended are not waited for.
    const fresh = getProcessTree().find({ pid: cron.pid, recursive: true })
    if (!fresh || fresh.startTicks !== cron.startTicks) throw new CronDaemonNotRunning(`The cron daemon (pid ${cron.pid}) ended while cron-graceful ran.`)
    const jobs = sortedByPid(fresh.grandchildren)
    if (jobs.length > 0) {
      logger.info(`Found ${pluralize(jobs.length, 'running cron job')}: ${jobs.map((job) => job.pid).join(', ')}`)
      await waitForProcesses(jobs)
    } else {
      logger.info('No running cron jobs found.')
    }
    if (dryRun) {
      logger.info(`Would stop the cron daemon with process id ${cron.pid} (dry run).`)
    } else {
      await terminateCronDaemon(fresh)
      paused = false
    }
    logger.info(`Done! Took ${formatSeconds((performance.now() - started) / 1000)} to gracefully terminate cron.`)
    return 0
  } catch (error) {
    resumeCron(`Failed (${(error as Error).message})`)
    throw error
  } finally {
    for (const signal of ENDING_SIGNALS) process.off(signal, onSignal)
  }
}
