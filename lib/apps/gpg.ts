// proc.gpg: reach your running gpg-agent from any shell. The agent is found in /proc (a
// gpg-agent process of our real uid) and its socket from its fds: each socket fd's inode,
// matched against /proc/net/unix, gives the path it listens on. No lsof needed.
// Built on prockit's public API only.
import { execFileSync, spawn } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { isatty } from 'node:tty'
import { setTimeout as sleep } from 'node:timers/promises'

import { findProcesses, procUnixSockets, sortedByPid, type Process } from '../../index'
import { Logger } from './program'

/** The messages of with-gpg-agent (stderr). */
export const logger = new Logger('with-gpg-agent')

/** The name of the agent's main socket (the others end in .ssh, .extra, .browser). */
const AGENT_SOCKET_NAME = 'S.gpg-agent'

interface RunningAgent {
  process: Process
  socket: string
}

/** Where gpg (2.1+) looks for the agent with environment `env`, or null without gpgconf. */
function standardSocket(env: NodeJS.ProcessEnv): string | null {
  try {
    const out = execFileSync('gpgconf', ['--list-dirs', 'agent-socket'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return out.trim() || null
  } catch {
    return null
  }
}

/** The listening main socket of a gpg-agent process, or null (not ours to read, or none). */
function agentSocket(agent: Process): string | null {
  try {
    const socket = procUnixSockets(agent).find((s) => s.listening && basename(s.path) === AGENT_SOCKET_NAME)
    return socket?.path ?? null
  } catch {
    return null // ended meanwhile, or another user's
  }
}

/**
 * The gpg-agent processes of our real uid with their sockets, the one gpg would find by
 * itself (the standard socket for our environment) first, then by pid.
 */
function findRunningAgents(): RunningAgent[] {
  const uid = process.getuid?.()
  const agents: RunningAgent[] = []
  for (const candidate of sortedByPid(findProcesses())) {
    if (candidate.exeName !== 'gpg-agent' || candidate.userIds?.real !== uid) continue
    const socket = agentSocket(candidate)
    if (socket) agents.push({ process: candidate, socket })
  }
  if (agents.length > 1) {
    const standard = standardSocket(process.env)
    agents.sort((a, b) => Number(b.socket === standard) - Number(a.socket === standard))
  }
  return agents
}

/**
 * $GPG_AGENT_INFO reconstructed from a running gpg-agent of ours, as `SOCKET:PID:1`, or
 * null when none runs.
 */
export function findGpgAgentInfo(): string | null {
  const [agent] = findRunningAgents()
  return agent ? `${agent.socket}:${agent.process.pid}:1` : null
}

function homedirArgument(cmdline: string[]): string | undefined {
  for (let i = 0; i < cmdline.length; i++) {
    const arg = cmdline[i]!
    if (arg === '--homedir') return cmdline[i + 1]
    if (arg.startsWith('--homedir=')) return arg.slice('--homedir='.length)
  }
  return undefined
}

/**
 * The GNUPGHOME that makes gpg (2.1+, which ignores $GPG_AGENT_INFO) find `agent`'s socket,
 * or null when it finds it already. Candidates: the agent's own $GNUPGHOME, its --homedir,
 * the socket's directory; each is checked with gpgconf.
 */
function gnupgHomeFor(agent: RunningAgent): string | null {
  const standard = standardSocket(process.env)
  if (standard === null || standard === agent.socket) return null
  const candidates = [agent.process.environ.GNUPGHOME, homedirArgument(agent.process.cmdline), dirname(agent.socket)]
  for (const home of new Set(candidates.filter((c): c is string => !!c))) {
    if (standardSocket({ ...process.env, GNUPGHOME: home }) === agent.socket) return home
  }
  logger.warn(`gpg will not find the agent's socket ${agent.socket} by itself (no GNUPGHOME leads there).`)
  return null
}

export interface StartGpgAgentOptions {
  /** Seconds to wait for the new agent's socket (default 10). */
  timeout?: number
}

function runQuietly(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    // No stdio of ours: the daemon would keep our pipes open (and a caller waiting on them).
    const child = spawn(command, args, { stdio: 'ignore' })
    child.once('error', () => resolve(-1))
    child.once('close', (code) => resolve(code ?? -1))
  })
}

/**
 * Starts a gpg-agent daemon (`gpg-agent --daemon`; `gpgconf --launch gpg-agent` if that
 * fails) and resolves with its $GPG_AGENT_INFO once its socket is there.
 */
export async function startGpgAgent(options: StartGpgAgentOptions = {}): Promise<string> {
  const { timeout = 10 } = options
  logger.info('Starting a new gpg-agent daemon ..')
  if ((await runQuietly('gpg-agent', ['--daemon'])) !== 0) await runQuietly('gpgconf', ['--launch', 'gpg-agent'])
  const deadline = performance.now() + timeout * 1000
  for (;;) {
    const info = findGpgAgentInfo()
    if (info) return info
    if (performance.now() > deadline) {
      throw Object.assign(new Error(`Failed to find the gpg-agent after starting it (waited ${timeout} seconds)`), { code: 'ETIMEDOUT' })
    }
    await sleep(50)
  }
}

/**
 * The environment gpg needs to use the running agent (started first if none runs):
 * GPG_AGENT_INFO (for GnuPG before 2.1), GNUPGHOME when gpg 2.1+ would not find the agent's
 * socket by itself, and GPG_TTY when stdin is a terminal.
 */
export async function getGpgVariables(options: StartGpgAgentOptions = {}): Promise<Record<string, string>> {
  let [agent] = findRunningAgents()
  if (!agent) {
    await startGpgAgent(options)
    ;[agent] = findRunningAgents()
    if (!agent) throw Object.assign(new Error('The gpg-agent that was just started is gone'), { code: 'ESRCH' })
  }
  logger.debug(`Using gpg-agent ${agent.process.pid} on ${agent.socket}.`)
  const variables: Record<string, string> = { GPG_AGENT_INFO: `${agent.socket}:${agent.process.pid}:1` }
  const home = gnupgHomeFor(agent)
  if (home) variables.GNUPGHOME = home
  if (isatty(0)) variables.GPG_TTY = readlinkSync('/proc/self/fd/0')
  return variables
}

/** Sets getGpgVariables() in process.env (for this process and what it starts); resolves them. */
export async function enableGpgAgent(options: StartGpgAgentOptions = {}): Promise<Record<string, string>> {
  const variables = await getGpgVariables(options)
  Object.assign(process.env, variables)
  return variables
}
