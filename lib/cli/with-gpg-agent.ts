#!/usr/bin/env node
// with-gpg-agent: run a command with the environment that reaches your running gpg-agent
// (found in /proc; started when none runs). See lib/apps/gpg.ts.
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { parseArgs } from 'node:util'

import { enableGpgAgent } from '../../index'
import { logger } from '../apps/gpg'
import { parseOrExit, runProgram, UsageError } from '../apps/program'

export const USAGE = `Usage: with-gpg-agent [OPTIONS] COMMAND [ARG...]

Run COMMAND with the environment it needs to use your running gpg-agent, found in
/proc (a gpg-agent process of your user, and its socket from its open files); when
none runs, start one first. Sets GPG_AGENT_INFO (SOCKET:PID:1), GNUPGHOME when gpg
would not find the agent's socket by itself (GnuPG 2.1 and later), and GPG_TTY when
stdin is a terminal. Exits with COMMAND's status (127: not found, 126: not runnable).

Supported options:
  -v, --verbose  more messages
  -q, --quiet    fewer messages: warnings and errors only
  -h, --help     show this message and exit
`

/** Our options come before COMMAND; everything from COMMAND on is its own. */
function splitCommand(args: string[]): { ours: string[]; command: string[] } {
  const at = args.findIndex((arg) => arg === '--' || !arg.startsWith('-') || arg === '-')
  if (at < 0) return { ours: args, command: [] }
  return { ours: args.slice(0, at), command: args.slice(args[at] === '--' ? at + 1 : at) }
}

function runCommand(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit' })
    // The terminal sends SIGINT to the command too; we wait for it to decide. Other
    // signals sent to us are passed on.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    const ignore = () => {}
    process.on('SIGINT', ignore)
    process.on('SIGTERM', forward)
    process.on('SIGHUP', forward)
    const done = (status: number) => {
      process.off('SIGINT', ignore)
      process.off('SIGTERM', forward)
      process.off('SIGHUP', forward)
      resolve(status)
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      logger.error(`${command}: ${error.code === 'ENOENT' ? 'command not found' : error.message}`)
      done(error.code === 'ENOENT' ? 127 : 126)
    })
    child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)))
  })
}

export async function main(args: string[]): Promise<number> {
  const { ours, command } = splitCommand(args)
  const values = parseOrExit(logger.name, USAGE, () => {
    const { values } = parseArgs({
      args: ours,
      options: { verbose: { type: 'boolean', short: 'v' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    })
    if (!values.help && command.length === 0) throw new UsageError('give the COMMAND to run')
    return values
  })
  if (typeof values === 'number') return values
  logger.verbosity = values.verbose ? 1 : values.quiet ? -1 : 0
  try {
    const variables = await enableGpgAgent()
    for (const [name, value] of Object.entries(variables)) logger.debug(`${name}=${value}`)
  } catch (error) {
    logger.error(`cannot reach a gpg-agent: ${(error as Error).message}`)
    return 1
  }
  return runCommand(command[0]!, command.slice(1))
}

if (require.main === module) runProgram('with-gpg-agent', main)
