// Process groups and sessions: who is in them, and signals to all of them at once.
import { findProcesses, type Process } from './core'
import { NoSuchProcess } from './errors'
import { callNative } from './errors'
import { native } from './native'
import { signalNumber, type Signal } from './signals'
import { outOfRange, validatePid } from './validate'

/** A group or session id that names one group: ≥ 2 (0 is "my group", 1 init's, negatives "all"). */
function validateGroupId(value: unknown, name: string): number {
  // /proc shows 0 for kernel threads and for a group or session led from outside our PID
  // namespace (a container's): say so, since a user will have read it from `pgrp` or `session`.
  if (value === 0) throw outOfRange(name, 'an integer >= 2 (0 is what /proc shows when the leader is outside this PID namespace)', value)
  validatePid(value, name)
  if (value === 1) throw outOfRange(name, 'an integer >= 2 (1 is init\'s)', value)
  return value as number
}

/** Every process whose process group is `pgid`, read from /proc. */
export function processGroupMembers(pgid: number): Process[] {
  validateGroupId(pgid, 'pgid')
  return findProcesses().filter((p) => p.pgrp === pgid)
}

/** Every process whose session is `sid`, read from /proc. */
export function sessionMembers(sid: number): Process[] {
  validateGroupId(sid, 'sid')
  return findProcesses().filter((p) => p.session === sid)
}

/** Sends `signal` (default SIGTERM) to every member of process group `pgid` at once: kill(-pgid). */
export function killProcessGroup(pgid: number, signal: Signal = 'SIGTERM'): void {
  validateGroupId(pgid, 'pgid')
  const number = signalNumber(signal)
  callNative(() => native.killProcessGroup(pgid, number))
}

/**
 * Sends `signal` (default SIGTERM) to every process whose session is `sid`, found from
 * /proc — also members of groups that kill(-sid) would miss. Each is signalled through its
 * identity, so a pid reused meanwhile is left alone; the calling process is never signalled.
 * With SIGKILL it repeats until no member is left (members may fork while it works).
 * Returns the processes signalled.
 */
export function killSession(sid: number, signal: Signal = 'SIGTERM'): Process[] {
  validateGroupId(sid, 'sid')
  const number = signalNumber(signal)
  const signalled: Process[] = []
  const done = new Set<string>()
  for (let round = 0; round < (number === 9 ? 20 : 1); round++) {
    const members = sessionMembers(sid).filter((p) => p.pid !== process.pid && p.pid !== 1 && !done.has(`${p.pid}:${p.startTicks}`))
    if (members.length === 0) break
    for (const member of members) {
      done.add(`${member.pid}:${member.startTicks}`)
      try {
        member.sendSignal(number)
        signalled.push(member)
      } catch (error) {
        if (!(error instanceof NoSuchProcess)) throw error
      }
    }
  }
  return signalled
}
