// proc.tree: every process linked to its parent by ppid, rooted at init (pid 1).
import { findProcesses, findProcessesAsync, Process, type ProcessType, type StatFields } from './core'
import { validateBoolean, validateOptions, validatePid, validateString } from './validate'

export interface FindOptions {
  pid?: number
  exeName?: string
  exePath?: string
  /** Search all descendants, not only the children (default false). */
  recursive?: boolean
}

/**
 * Process as a base for ProcessNode, without psutil's parent() and children(): a node's
 * `parent` and `children` are the tree's links, as in proc.tree. At run time ProcessNode
 * extends Process (`node instanceof Process` holds); the live psutil queries stay reachable
 * as Process.prototype.parent.call(node) and Process.prototype.children.call(node).
 */
const ProcessWithoutLinks = Process as unknown as new (fields: StatFields) => Omit<Process, 'parent' | 'children'>

export class ProcessNode extends ProcessWithoutLinks {
  /** The node of the parent process, or null (init, kernel threads, an orphan of a race). */
  parent: ProcessNode | null = null
  /** The nodes whose ppid is this pid, in the order /proc listed them. */
  readonly children: ProcessNode[] = []

  /** The children of the children. */
  get grandchildren(): ProcessNode[] {
    return this.children.flatMap((child) => child.children)
  }

  /** Every node below this one, breadth first. */
  get descendants(): ProcessNode[] {
    const found: ProcessNode[] = []
    for (let i = -1; i < found.length; i++) {
      const node = i < 0 ? this : found[i]!
      found.push(...node.children)
    }
    return found
  }

  /** The first child (or descendant, with `recursive`) matching every criterion given, or null. */
  find(criteria: FindOptions = {}): ProcessNode | null {
    return this.#matches(criteria).next().value ?? null
  }

  /** Every child (or descendant, with `recursive`) matching every criterion given. */
  findAll(criteria: FindOptions = {}): ProcessNode[] {
    return [...this.#matches(criteria)]
  }

  *#matches(criteria: FindOptions): Generator<ProcessNode, undefined> {
    const { pid, exeName, exePath, recursive = false } = validateOptions<FindOptions>(criteria, 'criteria')
    if (pid !== undefined) validatePid(pid, 'criteria.pid')
    if (exeName !== undefined) validateString(exeName, 'criteria.exeName')
    if (exePath !== undefined) validateString(exePath, 'criteria.exePath')
    validateBoolean(recursive, 'criteria.recursive')
    for (const node of recursive ? this.descendants : this.children) {
      if (pid !== undefined && node.pid !== pid) continue
      if (exeName !== undefined && node.exeName !== exeName) continue
      if (exePath !== undefined && node.exePath !== exePath) continue
      yield node
    }
    return undefined
  }
}

/**
 * Links the nodes by ppid through a map, in one pass after reading: it does not assume that a
 * parent's pid is smaller than its children's, which stops being true once pids wrap.
 *
 * When init is not visible (/proc mounted with hidepid, or a PID namespace whose init cannot
 * be read), the root is a stand-in node for pid 1 (comm '', state '?') under which every
 * node whose parent is not visible hangs, so that the visible processes still form one tree.
 */
export function linkProcessTree<N extends ProcessNode>(nodes: N[], type?: ProcessType<N>): N {
  const byPid = new Map<number, N>()
  for (const node of nodes) byPid.set(node.pid, node)
  let init = byPid.get(1)
  const standIn = init === undefined
  if (standIn) {
    const Node = type ?? (nodes[0]?.constructor as ProcessType<N> | undefined) ?? (ProcessNode as unknown as ProcessType<N>)
    init = new Node({ pid: 1, comm: '', state: '?', ppid: 0, pgrp: 0, session: 0, starttime: 0, vsize: 0, rss: 0 })
  }
  for (const node of nodes) {
    const parent = node.ppid === node.pid ? undefined : (byPid.get(node.ppid) ?? (standIn && node.pid !== 1 ? init : undefined))
    if (parent) {
      node.parent = parent
      parent.children.push(node)
    }
  }
  return init!
}

/** The process tree, as the node of init (pid 1). */
export function getProcessTree(): ProcessNode
export function getProcessTree<N extends ProcessNode>(type: ProcessType<N>): N
export function getProcessTree(type: ProcessType<ProcessNode> = ProcessNode): ProcessNode {
  return linkProcessTree(findProcesses(type), type)
}

/** getProcessTree, with /proc read on a worker thread. */
export function getProcessTreeAsync(): Promise<ProcessNode>
export function getProcessTreeAsync<N extends ProcessNode>(type: ProcessType<N>): Promise<N>
export async function getProcessTreeAsync(type: ProcessType<ProcessNode> = ProcessNode): Promise<ProcessNode> {
  return linkProcessTree(await findProcessesAsync(type), type)
}
