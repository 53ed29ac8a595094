// notify-send-headless against a real D-Bus session bus with a notification server, all of
// user nobody; the notification is sent from root's environment that lacks the session.
import test from 'ava'

import { findGraphicalContext, notifyDesktop, REQUIRED_VARIABLES } from 'prockit'
import { eventually, isRoot } from '../helpers'
import { environmentWithoutSession, NOBODY, runCli, startSessionBus } from './daemons'

test.serial('notify-send-headless delivers to the session found in other processes, as the session\'s user', async (t) => {
  t.true(isRoot())
  const bus = await startSessionBus(t)
  const result = runCli('notify-send-headless', ['--urgency=critical', 'Battery low', 'Your laptop is about to die!'], environmentWithoutSession())
  t.is(result.status, 0, result.stderr)
  await eventually(() => bus.received.length > 0, 5000, 'the notification')
  t.deepEqual(bus.received, [{ appName: 'notify-send', summary: 'Battery low', body: 'Your laptop is about to die!', urgency: 2, uid: NOBODY }])
})

test.serial('findGraphicalContext ranks the environments by popularity; notifyDesktop sends with options', async (t) => {
  const bus = await startSessionBus(t, 3)
  const context = findGraphicalContext()
  t.truthy(context)
  t.deepEqual(context!.environment, { DBUS_SESSION_BUS_ADDRESS: bus.address, DISPLAY: ':99' })
  t.is(context!.uid, NOBODY)
  t.is(context!.user, 'nobody')
  t.true(context!.processes >= 3, `${context!.processes} processes share it`)
  t.deepEqual([...REQUIRED_VARIABLES], ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'XAUTHORITY'])

  await notifyDesktop('The backup is done.', 'Backup', { urgency: 'low', appName: 'prockit-test', expireTime: 1000 })
  await eventually(() => bus.received.length > 0, 5000, 'the notification')
  t.deepEqual(bus.received, [{ appName: 'prockit-test', summary: 'Backup', body: 'The backup is done.', urgency: 0, uid: NOBODY }])
  await t.throwsAsync(notifyDesktop('x', 'y', { urgency: 'no-such-urgency' }), { code: 'ERR_PROCKIT_NOTIFY_FAILED' })
})

test('notify-send-headless: --help exits 0, no arguments is a usage error (2)', (t) => {
  const help = runCli('notify-send-headless', ['--help'])
  t.is(help.status, 0)
  t.regex(help.stdout, /^Usage: notify-send-headless/)
  const none = runCli('notify-send-headless', [])
  t.is(none.status, 2)
  t.regex(none.stderr, /Usage: notify-send-headless/)
})
