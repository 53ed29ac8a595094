#!/usr/bin/env node
// notify-send-headless: notify-send for processes outside the desktop session (cron jobs,
// daemons). Its arguments are notify-send's; see lib/apps/notify.ts.
import { parseArgs } from 'node:util'

import { findGraphicalContext } from '../../index'
import { runProgram, usageFailure, UsageError } from '../apps/program'
import { runNotifySend } from '../apps/notify'

export const USAGE = `Usage: notify-send-headless [NOTIFY-SEND OPTIONS] SUMMARY [BODY]

Run notify-send with the desktop session's DBUS_SESSION_BUS_ADDRESS, DISPLAY and
XAUTHORITY, taken from the environments of the running processes (the combination
most processes share), as the session's user when run as root. Every argument is
passed to notify-send (see 'notify-send --help'); exits with its status.
`

export async function main(args: string[]): Promise<number> {
  // Only look: every argument belongs to notify-send, whatever its options are.
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: false })
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  if (positionals.length === 0) return usageFailure('notify-send-headless', new UsageError('give at least the SUMMARY'), USAGE)
  const context = findGraphicalContext()
  if (!context) process.stderr.write('notify-send-headless: warning: no process of a graphical session found; running notify-send as it is\n')
  const { status } = await runNotifySend(args, context, ['ignore', 'inherit', 'inherit'])
  return status
}

if (require.main === module) runProgram('notify-send-headless', main)
