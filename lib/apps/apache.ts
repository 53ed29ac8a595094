// proc.apache: the memory usage of Apache workers, over prockit's public API (getProcessTree
// with a ProcessNode subclass). Needs a process-based MPM (prefork): threads are not workers.
import { getProcessTree, ProcessNode } from '../../index'

/** Raised by findApacheWorkers() when it cannot find the Apache master process. */
export class ApacheDaemonNotRunning extends Error {
  readonly code = 'ERR_PROCKIT_APACHE_NOT_RUNNING'
  constructor(message: string) {
    super(message)
    this.name = 'ApacheDaemonNotRunning'
  }
}

function emptyStats(what: string): RangeError {
  return Object.assign(new RangeError(`StatsList.${what}: the list is empty`), { code: 'ERR_PROCKIT_EMPTY_STATS' })
}

/**
 * An array of numbers with simple statistics. `new StatsList(1, 2, 3)` holds its arguments
 * (also a single number, unlike Array); map, filter and slice give plain arrays.
 */
export class StatsList extends Array<number> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array
  }

  constructor(...values: number[]) {
    super()
    for (const value of values) this.push(value)
  }

  /** The smallest value. Throws a RangeError (ERR_PROCKIT_EMPTY_STATS) on an empty list. */
  get min(): number {
    if (this.length === 0) throw emptyStats('min')
    return this.reduce((a, b) => (b < a ? b : a))
  }

  /** The largest value. Throws on an empty list. */
  get max(): number {
    if (this.length === 0) throw emptyStats('max')
    return this.reduce((a, b) => (b > a ? b : a))
  }

  /** The arithmetic mean. Throws on an empty list. */
  get average(): number {
    if (this.length === 0) throw emptyStats('average')
    return this.reduce((a, b) => a + b, 0) / this.length
  }

  /** The middle value; for an even count, the mean of the two middle values. Throws on an empty list. */
  get median(): number {
    if (this.length === 0) throw emptyStats('median')
    const sorted = [...this].sort((a, b) => a - b)
    const middle = sorted.length >> 1
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  }
}

const WSGI_PREFIX = '(wsgi:'

/** A ProcessNode that knows mod_wsgi's daemon processes. */
export class MaybeApacheWorker extends ProcessNode {
  /**
   * The mod_wsgi process group, or '' for a regular worker. Assumes WSGIDaemonProcess's
   * display-name is of the form `(wsgi:NAME)`: mod_wsgi writes it over argv[0], cut to
   * argv[0]'s length (the closing parenthesis goes first, so it is optional) or padded to it
   * with spaces (which are dropped).
   */
  get wsgiProcessGroup(): string {
    const first = this.cmdline[0] ?? ''
    if (!first.startsWith(WSGI_PREFIX)) return ''
    const name = first.slice(WSGI_PREFIX.length).trimEnd()
    return name.endsWith(')') ? name.slice(0, -1) : name
  }
}

/**
 * The Apache workers: every descendant of the master process, the first process running
 * `exeName` (not a zombie) found breadth first below init, so the master before its workers.
 * Throws ApacheDaemonNotRunning when there is none.
 */
export function findApacheWorkers(exeName = 'apache2'): MaybeApacheWorker[] {
  const init = getProcessTree(MaybeApacheWorker)
  const running = (node: ProcessNode) => node.state !== 'Z' // a zombie has ended
  const master = init.findAll({ exeName }).find(running) ?? init.findAll({ exeName, recursive: true }).find(running)
  if (!master) throw new ApacheDaemonNotRunning(`Could not find the Apache master process (no process runs ${exeName})! Is Apache running?`)
  return master.descendants as MaybeApacheWorker[]
}

/**
 * The resident set sizes (bytes) of the Apache workers: those that are not WSGI daemon
 * processes, and those of each WSGI process group (by wsgiProcessGroup).
 */
export function findApacheMemoryUsage(exeName = 'apache2'): [StatsList, Map<string, StatsList>] {
  const workers = new StatsList()
  const groups = new Map<string, StatsList>()
  for (const worker of findApacheWorkers(exeName)) {
    const group = worker.wsgiProcessGroup
    if (!group) {
      workers.push(worker.rss)
      continue
    }
    let list = groups.get(group)
    if (!list) groups.set(group, (list = new StatsList()))
    list.push(worker.rss)
  }
  return [workers, groups]
}
