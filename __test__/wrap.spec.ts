import { readFileSync, writeFileSync } from 'node:fs'
import test from 'ava'

import { getProcessTree, getProcessTreeAsync, Process } from 'prockit'
import { eventually, isRoot, spawnForTest } from './helpers'

const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'))

test('the tree keeps children whose pids wrapped past pid_max below their parent\'s', async (t) => {
  t.true(isRoot(), 'moving the next pid near pid_max writes /proc/sys/kernel/ns_last_pid, which needs root')
  for (let attempt = 0; attempt < 10; attempt++) {
    // The bash gets one of the last pids; its children wrap around to the lowest free ones.
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pidMax - 3))
    const parent = spawnForTest(t, '/bin/bash', ['-c', 'for i in 1 2 3 4 5 6; do /bin/sleep 30 & done; wait'], { detached: true })
    t.teardown(() => {
      try {
        process.kill(-parent.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    })
    await eventually(() => Process.fromPid(parent.pid!)?.children().length === 6, 5000, 'six children')
    const pids = Process.fromPid(parent.pid!)!.children().map((c) => c.pid)
    if (!pids.some((pid) => pid < parent.pid!)) continue // another process took the last pids: again
    const node = getProcessTree().find({ pid: parent.pid!, recursive: true })
    t.truthy(node, 'the parent is in the tree')
    t.deepEqual(node!.children.map((c) => c.pid).sort((a, b) => a - b), [...pids].sort((a, b) => a - b))
    const asyncNode = (await getProcessTreeAsync()).find({ pid: parent.pid!, recursive: true })
    t.is(asyncNode?.children.length, 6)
    t.true(node!.children.some((c) => c.pid < node!.pid), 'a child has a smaller pid than its parent')
    return
  }
  t.fail('pids never wrapped below the parent in 10 attempts')
})
