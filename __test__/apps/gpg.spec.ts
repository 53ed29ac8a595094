// with-gpg-agent against real gpg-agents. Serial: the tests count the agents of our user.
import test from 'ava'

import { findGpgAgentInfo, procUnixSockets, Process } from 'prockit'
import { isRoot, readStatIndependently } from '../helpers'
import { agentPid, assertNoAgentOfOurs, environmentWithoutAgent, realUid, runCli, scratchDir, startAgent, stopOnTeardown } from './daemons'

test.serial('with-gpg-agent finds a running agent and its socket in /proc, so that gpg-connect-agent reaches it', (t) => {
  t.true(isRoot())
  assertNoAgentOfOurs()
  const home = scratchDir(t, 'pk-g-')
  const pid = startAgent(t, home)
  const env = environmentWithoutAgent(t)
  t.is(agentPid(env), null, 'without with-gpg-agent, gpg does not find this agent')

  const connected = runCli('with-gpg-agent', ['gpg-connect-agent', '--no-autostart', 'getinfo pid', '/bye'], env)
  t.is(connected.status, 0, connected.stderr)
  t.regex(connected.stdout, new RegExp(`^D ${pid}$`, 'm'), 'the agent answering is the one the test started')

  const shown = runCli('with-gpg-agent', ['sh', '-c', 'printf "%s|%s" "$GPG_AGENT_INFO" "$GNUPGHOME"'], env)
  t.is(shown.status, 0, shown.stderr)
  t.is(shown.stdout, `${home}/S.gpg-agent:${pid}:1|${home}`, 'GPG_AGENT_INFO is SOCKET:PID:1; GNUPGHOME leads gpg 2.1+ to the socket')

  t.is(findGpgAgentInfo(), `${home}/S.gpg-agent:${pid}:1`)
  const sockets = procUnixSockets(Process.fromPid(pid)!)
  t.deepEqual(sockets.map((s) => s.path).sort(), ['', '.browser', '.extra', '.ssh'].map((suffix) => `${home}/S.gpg-agent${suffix}`))
  t.true(sockets.every((s) => s.listening))
})

test.serial('with no agent running, with-gpg-agent starts one and the command reaches it', (t) => {
  assertNoAgentOfOurs()
  t.is(findGpgAgentInfo(), null)
  const env = environmentWithoutAgent(t)
  const result = runCli('with-gpg-agent', ['gpg-connect-agent', '--no-autostart', 'getinfo pid', '/bye'], env)
  const match = /^D (\d+)$/m.exec(result.stdout)
  if (match) stopOnTeardown(t, Number(match[1]))
  t.is(result.status, 0, result.stderr)
  t.regex(result.stderr, /Starting a new gpg-agent daemon/)
  t.truthy(match, result.stdout)
  const pid = Number(match![1])
  t.is(readStatIndependently(pid)[1], 'gpg-agent', 'the new agent runs')
  t.is(realUid(pid), process.getuid!())
  t.is(findGpgAgentInfo(), `${env.HOME}/.gnupg/S.gpg-agent:${pid}:1`, 'in the home of the environment it was started from')
  t.is(agentPid(env), pid, 'and plain gpg finds it there too')
})

test('with-gpg-agent: exit status of the command, 127 when not found, usage errors exit 2', (t) => {
  const env = environmentWithoutAgent(t)
  const home = scratchDir(t, 'pk-g-')
  const agent = startAgent(t, home)
  t.truthy(agent)
  t.is(runCli('with-gpg-agent', ['sh', '-c', 'exit 7'], env).status, 7)
  const missing = runCli('with-gpg-agent', ['/nonexistent/command'], env)
  t.is(missing.status, 127)
  t.regex(missing.stderr, /command not found/)
  const none = runCli('with-gpg-agent', [], env)
  t.is(none.status, 2)
  t.regex(none.stderr, /Usage: with-gpg-agent/)
  t.is(runCli('with-gpg-agent', ['--bogus', 'true'], env).status, 2)
  const help = runCli('with-gpg-agent', ['--help'], env)
  t.is(help.status, 0)
  t.regex(help.stdout, /^Usage: with-gpg-agent/)
  // Options after COMMAND are the command's own.
  const own = runCli('with-gpg-agent', ['sh', '-c', 'echo "$0"', '--help'], env)
  t.is(own.stdout.trim(), '--help')
})
