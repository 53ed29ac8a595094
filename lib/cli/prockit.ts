#!/usr/bin/env node
// The prockit command: tree, ps, find, kill and daemon over the public API.
import { parseArgs, type ParseArgsConfig } from 'node:util'

import { findProcesses, getProcessTree, Process, ProcessNode, sortedByPid } from '../../index'
import { spawnDaemon } from '../../index'
import { ApacheDaemonNotRunning, findApacheMemoryUsage, type StatsList } from '../../index'
import { drawTree, formatTable, paint, printable, shouldColour } from './format'

class UsageError extends Error {}

interface Command {
  summary: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  allowPositionals?: boolean
  run(values: Record<string, unknown>, positionals: string[]): Promise<number> | number
}

const write = (text: string) => process.stdout.write(text.endsWith('\n') ? text : text + '\n')

function positiveInteger(text: unknown, what: string): number {
  const value = Number(text)
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${what} must be a whole number >= 1 (got '${String(text)}')`)
  }
  return value
}

const commands: Record<string, Command> = {
  tree: {
    summary: 'show the live process tree',
    usage: 'prockit tree [--pid N] [--args]\n\n  --pid N     show only the subtree of process N\n  -a, --args  show each process\'s command line instead of its name',
    options: { pid: { type: 'string' }, args: { type: 'boolean', short: 'a' } },
    run(values) {
      const root = getProcessTree()
      let top: ProcessNode = root
      if (values.pid !== undefined) {
        const pid = positiveInteger(values.pid, '--pid')
        const found = pid === root.pid ? root : root.find({ pid, recursive: true })
        if (!found) {
          process.stderr.write(`prockit tree: no such process (pid ${pid})\n`)
          return 1
        }
        top = found
      }
      const colour = shouldColour(process.stdout)
      const label = (node: ProcessNode) => {
        const name = values.args && node.cmdline.length > 0 ? node.cmdline.join(' ') : node.comm
        return `${paint(String(node.pid), 'pid', colour)} ${paint(printable(name), node.state === 'Z' ? 'zombie' : 'name', colour)}`
      }
      write(drawTree(top, (node) => sortedByPid(node.children), label).join('\n'))
      return 0
    },
  },
  ps: {
    summary: 'list every process as a table (or JSON)',
    usage: 'prockit ps [--json]\n\n  --json  print an array of objects instead of a table',
    options: { json: { type: 'boolean' } },
    run(values) {
      const processes = sortedByPid(findProcesses())
      if (values.json) {
        write(JSON.stringify(processes.map((p) => ({ ...p.toJSON(), user: p.user, cmdline: p.cmdline })), null, 2))
        return 0
      }
      write(formatProcessTable(processes))
      return 0
    },
  },
  find: {
    summary: 'list the processes whose executable has a given name or path',
    usage: 'prockit find (--exe-name NAME | --exe-path PATH) [--json]\n\n  --exe-name NAME  match the base name of the executable (exeName)\n  --exe-path PATH  match the absolute path of the executable (exePath)\n  --json           print an array of objects\n\nExits 1 when no process matches.',
    options: { 'exe-name': { type: 'string' }, 'exe-path': { type: 'string' }, json: { type: 'boolean' } },
    run(values) {
      const exeName = values['exe-name'] as string | undefined
      const exePath = values['exe-path'] as string | undefined
      if (exeName === undefined && exePath === undefined) throw new UsageError('give --exe-name or --exe-path')
      const found = sortedByPid(findProcesses()).filter(
        (p) => (exeName === undefined || p.exeName === exeName) && (exePath === undefined || p.exePath === exePath),
      )
      if (values.json) write(JSON.stringify(found.map((p) => ({ ...p.toJSON(), exePath: p.exePath, cmdline: p.cmdline })), null, 2))
      else if (found.length > 0) write(formatProcessTable(found))
      if (found.length === 0) {
        process.stderr.write(`prockit find: no process matches ${exeName !== undefined ? `--exe-name ${exeName}` : `--exe-path ${exePath}`}\n`)
        return 1
      }
      return 0
    },
  },
  kill: {
    summary: 'end a process gracefully: SIGTERM, then SIGKILL after a timeout',
    usage: 'prockit kill PID [--timeout S]\n\n  --timeout S  seconds to wait after SIGTERM (and again after SIGKILL); default 10',
    options: { timeout: { type: 'string' } },
    allowPositionals: true,
    async run(values, positionals) {
      if (positionals.length !== 1) throw new UsageError('give exactly one PID')
      const pid = positiveInteger(positionals[0], 'PID')
      const timeout = values.timeout === undefined ? 10 : Number(values.timeout)
      if (!Number.isFinite(timeout) || timeout < 0 || String(values.timeout ?? '10').trim() === '') {
        throw new UsageError(`--timeout must be a number of seconds >= 0 (got '${String(values.timeout)}')`)
      }
      const target = Process.fromPid(pid)
      if (!target) {
        process.stderr.write(`prockit kill: no such process (pid ${pid})\n`)
        return 1
      }
      try {
        const ended = await target.terminate({ timeout })
        write(ended ? `ended ${target}` : `process ${pid} was not running`)
        return 0
      } catch (error) {
        process.stderr.write(`prockit kill: ${(error as Error).message}${(error as Error).message.includes(`pid ${pid}`) ? '' : ` (pid ${pid})`}\n`)
        return 1
      }
    },
  },
  daemon: {
    summary: 'run a command as a daemon and print its pid',
    usage:
      'prockit daemon [--workdir D] [--umask M] [--stdout F] [--stderr F] [--redirect-to F] [--pid-file F] -- CMD [ARGS...]\n\n' +
      '  --workdir D      the daemon\'s working directory (default /)\n' +
      '  --umask M        its file mode creation mask, in octal (default 0)\n' +
      '  --stdout F       append its stdout to file F\n' +
      '  --stderr F       append its stderr to file F\n' +
      '  --redirect-to F  where stdin (and stdout, stderr unless given) point (default /dev/null)\n' +
      '  --pid-file F     write its pid to file F\n\n' +
      'The daemon runs in a session of its own, re-parented to init, with no inherited fds.',
    options: {
      workdir: { type: 'string' },
      umask: { type: 'string' },
      stdout: { type: 'string' },
      stderr: { type: 'string' },
      'redirect-to': { type: 'string' },
      'pid-file': { type: 'string' },
    },
    allowPositionals: true,
    async run(values, positionals) {
      const [command, ...args] = positionals
      if (command === undefined || command === '') throw new UsageError('give the command to run after --')
      const umask = values.umask === undefined ? 0 : octalUmask(values.umask)
      const { pid } = await spawnDaemon(command, args, {
        umask,
        workdir: values.workdir as string | undefined,
        stdout: values.stdout as string | undefined,
        stderr: values.stderr as string | undefined,
        redirectTo: values['redirect-to'] as string | undefined,
        pidFile: values['pid-file'] as string | undefined,
      })
      write(String(pid))
      return 0
    },
  },
  'apache-memory': {
    summary: 'show the memory usage (rss) of the Apache workers, by WSGI process group',
    usage:
      'prockit apache-memory [--exe-name NAME] [--json]\n\n' +
      '  --exe-name NAME  the base name of the Apache executable (default apache2)\n' +
      '  --json           print { workers, wsgi } with each group\'s rss values (bytes) and statistics\n\n' +
      'Workers are the descendants of the Apache master process (a process-based MPM such as prefork);\n' +
      'WSGI daemon processes are grouped by their display-name (wsgi:NAME). Exits 1 when Apache is not running.',
    options: { 'exe-name': { type: 'string' }, json: { type: 'boolean' } },
    run(values) {
      let usage: [StatsList, Map<string, StatsList>]
      try {
        usage = findApacheMemoryUsage((values['exe-name'] as string | undefined) ?? 'apache2')
      } catch (error) {
        if (!(error instanceof ApacheDaemonNotRunning)) throw error
        process.stderr.write(`prockit apache-memory: ${error.message}\n`)
        return 1
      }
      const [workers, groups] = usage
      const stats = (list: StatsList) =>
        list.length === 0 ? { count: 0, rss: [] } : { count: list.length, rss: [...list], min: list.min, max: list.max, average: list.average, median: list.median }
      if (values.json) {
        write(JSON.stringify({ workers: stats(workers), wsgi: Object.fromEntries([...groups].map(([name, list]) => [name, stats(list)])) }, null, 2))
        return 0
      }
      const mb = (bytes: number) => (bytes / 1048576).toFixed(1)
      const row = (name: string, list: StatsList) =>
        list.length === 0 ? [name, '0', '-', '-', '-', '-'] : [name, String(list.length), mb(list.min), mb(list.average), mb(list.median), mb(list.max)]
      const rows = [row('(workers)', workers), ...[...groups].map(([name, list]) => row(`wsgi:${name}`, list))]
      write(formatTable(['GROUP', 'PROCESSES', 'MIN(MB)', 'AVERAGE(MB)', 'MEDIAN(MB)', 'MAX(MB)'], rows, [false, true, true, true, true, true]))
      return 0
    },
  },
}

/** A umask as chmod writes it: octal digits ("027"), at most 0777. */
function octalUmask(text: unknown): number {
  const value = typeof text === 'string' && /^[0-7]{1,4}$/.test(text) ? parseInt(text, 8) : NaN
  if (!(value <= 0o777)) throw new UsageError(`--umask must be an octal mode from 0 to 777 (got '${String(text)}')`)
  return value
}

function formatProcessTable(processes: Process[]): string {
  const mb = (bytes: number) => (bytes / 1048576).toFixed(1)
  const started = (p: Process) => new Date(p.starttime * 1000).toISOString().slice(0, 19).replace('T', ' ')
  const rows = processes.map((p) => [String(p.pid), String(p.ppid), p.user ?? String(p.userIds?.real ?? '?'), p.state, mb(p.rss), started(p), p.cmdline.length > 0 ? p.cmdline.join(' ') : `[${p.comm}]`])
  return formatTable(['PID', 'PPID', 'USER', 'S', 'RSS(MB)', 'STARTED', 'COMMAND'], rows, [true, true, false, false, true, false, false])
}

function mainUsage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(6)} ${command.summary}`)
  return `Usage: prockit <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'prockit <command> --help' for a command's options.`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? process.stderr : process.stdout).write(mainUsage() + '\n')
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`prockit: unknown command '${name}'\n\n${mainUsage()}\n`)
    return 2
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    })
    if (values.help) {
      write(`Usage: ${command.usage}`)
      return 0
    }
    return await command.run(values, positionals)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (error instanceof UsageError || (code && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`prockit ${name}: ${(error as Error).message}\n\nUsage: ${command.usage}\n`)
      return 2
    }
    process.stderr.write(`prockit ${name}: ${(error as Error).message}\n`)
    return 1
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status
    },
    (error: unknown) => {
      process.stderr.write(`prockit: ${(error as Error)?.stack ?? String(error)}\n`)
      process.exitCode = 1
    },
  )
}
