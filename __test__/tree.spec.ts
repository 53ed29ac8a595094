import test, { type ExecutionContext } from 'ava'

import { getProcessTree, getProcessTreeAsync, linkProcessTree, Process, ProcessNode } from 'prockit'
import { spawnForTest, waitForComm } from './helpers'

/** A bash that starts two sleeps and a bash with one sleep below it: a small known tree. */
async function spawnFamily(t: ExecutionContext) {
  const script = '/bin/sleep 31 & /bin/sleep 32 & /bin/bash -c "/bin/sleep 33 & wait" & wait'
  const top = spawnForTest(t, '/bin/bash', ['-c', script], { detached: true })
  t.teardown(() => {
    try {
      process.kill(-top.pid!, 'SIGKILL')
    } catch {
      // the group is already gone
    }
  })
  await waitForComm(top.pid!, 'bash')
  for (let i = 0; i < 500; i++) {
    const node = getProcessTree().find({ pid: process.pid, recursive: true })?.find({ pid: top.pid! })
    if (node && node.descendants.filter((d) => d.comm === 'sleep').length === 3) return { pid: top.pid!, node }
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('the family never appeared')
}

test('getProcessTree is rooted at init and links every process by ppid', (t) => {
  const init = getProcessTree()
  t.is(init.pid, 1)
  t.is(init.parent, null)
  t.true(init instanceof ProcessNode && init instanceof Process)
  const me = init.find({ pid: process.pid, recursive: true })
  t.truthy(me)
  t.is(me!.parent?.pid, process.ppid)
  for (const node of init.descendants) {
    t.is(node.parent!.pid, node.ppid)
    t.true(node.parent!.children.includes(node))
  }
})

test('children, grandchildren and breadth-first descendants of a known family', async (t) => {
  const { node } = await spawnFamily(t)
  t.is(node.children.length, 3)
  t.deepEqual(node.children.map((c) => c.comm).sort(), ['bash', 'sleep', 'sleep'])
  t.deepEqual(node.grandchildren.map((c) => c.cmdline.join(' ')), ['/bin/sleep 33'])
  const depths = node.descendants.map((d) => (d.parent === node ? 1 : 2))
  t.deepEqual(depths, [...depths].sort(), 'breadth first: every child before any grandchild')
  t.is(node.descendants.length, 4)
})

test('find and findAll match pid, exeName and exePath, recursively on request', async (t) => {
  const { node } = await spawnFamily(t)
  t.is(node.findAll({ exeName: 'sleep' }).length, 2)
  t.is(node.findAll({ exeName: 'sleep', recursive: true }).length, 3)
  const deep = node.grandchildren[0]!
  t.is(node.find({ pid: deep.pid }), null)
  t.is(node.find({ pid: deep.pid, recursive: true }), deep)
  t.is(node.find({ exePath: deep.exePath, pid: deep.pid, recursive: true }), deep)
  t.is(node.find({ exeName: 'no-such-program', recursive: true }), null)
  t.deepEqual(node.findAll({ exeName: 'bash', exePath: '/nonexistent' }), [])
  t.throws(() => node.find({ pid: 0 }), { instanceOf: RangeError })
  t.throws(() => node.find({ exeName: 3 as never }), { instanceOf: TypeError })
})

test('getProcessTreeAsync builds the same tree off the main thread', async (t) => {
  const tree = await getProcessTreeAsync()
  t.is(tree.pid, 1)
  t.truthy(tree.find({ pid: process.pid, recursive: true }))
})

test('a subclass of ProcessNode can be the node type', (t) => {
  class Tagged extends ProcessNode {
    get tag() {
      return `#${this.pid}`
    }
  }
  const init = getProcessTree(Tagged)
  t.is(init.tag, '#1')
  t.true(init.children.every((c) => c instanceof Tagged))
})

test('linking does not assume that a parent has a smaller pid than its children', (t) => {
  const record = (pid: number, ppid: number) => ({ pid, ppid, comm: `p${pid}`, state: 'S', pgrp: 1, session: 1, starttime: 1, vsize: 0, rss: 0 })
  // After pids wrap past pid_max, children get small pids below their parents.
  const nodes = [record(5, 4194000), record(1, 0), record(300, 1), record(4194000, 300), record(7, 5)].map((r) => new ProcessNode(r))
  const init = linkProcessTree(nodes)
  t.deepEqual(init.descendants.map((n) => n.pid), [300, 4194000, 5, 7])
})

test('import and require give the same classes (one CommonJS instance behind the ESM entry)', async (t) => {
  const { createRequire } = await import('node:module')
  const required = createRequire(import.meta.url)('prockit') as typeof import('prockit')
  const imported = await import('prockit')
  t.is(required.Process, imported.Process)
  t.is(required.getProcessTree, imported.getProcessTree)
  t.true(imported.getProcessTree() instanceof required.ProcessNode)
})
