// The apache module against a real apache2 (prefork + mod_wsgi) on a loopback port.
import { spawnSync } from 'node:child_process'
import { get } from 'node:http'
import test from 'ava'

import { ApacheDaemonNotRunning, findApacheMemoryUsage, findApacheWorkers, MaybeApacheWorker, StatsList } from 'prockit'
import { PAGE_SIZE, readStatIndependently } from '../helpers'
import { APACHE_PORT, argv0, cli, startApache } from './daemons'

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body))
    }).on('error', reject)
  })
}

/** rss in bytes from /proc/[pid]/stat (field 24, pages), read without prockit. */
const rssOf = (pid: number) => Number(readStatIndependently(pid)[23]) * PAGE_SIZE

test.serial('findApacheMemoryUsage agrees with /proc and groups the WSGI daemon processes', async (t) => {
  const apache = await startApache(t)
  t.is(await fetchText(`http://127.0.0.1:${APACHE_PORT}/`), 'prockit-test\n', 'apache serves the WSGI app')

  const workers = findApacheWorkers()
  t.true(workers.every((w) => w instanceof MaybeApacheWorker))
  t.deepEqual(workers.map((w) => w.pid).sort(), [...apache.workerPids].sort(), 'the workers are the master\'s children')
  const groupOf = Object.fromEntries(workers.map((w) => [w.pid, w.wsgiProcessGroup]))
  for (const pid of apache.workerPids) {
    const first = argv0(pid)
    t.is(groupOf[pid], first.startsWith('(wsgi:pk2)') ? 'pk2' : first.startsWith('(wsgi:prockit-tes') ? 'prockit-tes' : '', first)
  }

  // rss moves a little while processes run: read both ways until one pair agrees exactly.
  let agreed = false
  let seen = ''
  for (let attempt = 0; attempt < 10 && !agreed; attempt++) {
    const [plain, groups] = findApacheMemoryUsage('apache2')
    const expected = (group: string) => apache.workerPids.filter((pid) => groupOf[pid] === group).map(rssOf).sort()
    const actual = { workers: [...plain].sort(), 'prockit-tes': [...(groups.get('prockit-tes') ?? [])].sort(), pk2: [...(groups.get('pk2') ?? [])].sort() }
    const wanted = { workers: expected(''), 'prockit-tes': expected('prockit-tes'), pk2: expected('pk2') }
    seen = JSON.stringify({ actual, wanted })
    agreed = JSON.stringify(actual) === JSON.stringify(wanted) && [...groups.keys()].sort().join() === 'pk2,prockit-tes'
    if (agreed) {
      t.is(plain.length, 3)
      t.is(groups.get('prockit-tes')!.length, 2)
      t.is(groups.get('pk2')!.length, 1)
      t.true(plain.min > 0 && plain.min <= plain.median && plain.median <= plain.max)
      t.log(`workers rss min/avg/median/max: ${[plain.min, plain.average, plain.median, plain.max].map((b) => (b / 1024).toFixed(0) + ' KiB').join(' / ')}`)
      t.log(`wsgi prockit-tes: ${groups.get('prockit-tes')!.map((b) => (b / 1024).toFixed(0) + ' KiB').join(', ')}; pk2: ${(groups.get('pk2')![0]! / 1024).toFixed(0)} KiB`)
    }
  }
  t.true(agreed, seen)

  const json = spawnSync(process.execPath, [cli('prockit'), 'apache-memory', '--json'], { encoding: 'utf8' })
  t.is(json.status, 0, json.stderr)
  const report = JSON.parse(json.stdout) as { workers: { count: number }; wsgi: Record<string, { count: number; min: number }> }
  t.is(report.workers.count, 3)
  t.deepEqual(Object.keys(report.wsgi).sort(), ['pk2', 'prockit-tes'])
  t.is(report.wsgi['prockit-tes']!.count, 2)
  const table = spawnSync(process.execPath, [cli('prockit'), 'apache-memory'], { encoding: 'utf8' })
  t.is(table.status, 0)
  t.regex(table.stdout, /^GROUP\s+PROCESSES\s+MIN\(MB\)/)
  t.regex(table.stdout, /\n\(workers\)\s+3\s/)
  t.regex(table.stdout, /\nwsgi:prockit-tes\s+2\s/)
})

test('without the Apache master: ApacheDaemonNotRunning, and prockit apache-memory exits 1', (t) => {
  t.throws(() => findApacheWorkers('no-such-httpd'), { instanceOf: ApacheDaemonNotRunning, code: 'ERR_PROCKIT_APACHE_NOT_RUNNING' })
  const result = spawnSync(process.execPath, [cli('prockit'), 'apache-memory', '--exe-name', 'no-such-httpd'], { encoding: 'utf8' })
  t.is(result.status, 1)
  t.regex(result.stderr, /Could not find the Apache master process/)
})

test('StatsList: min, max, average and median; each throws on an empty list', (t) => {
  const odd = new StatsList(5, 1, 3)
  t.deepEqual([odd.min, odd.max, odd.average, odd.median], [1, 5, 3, 3])
  const even = new StatsList(4, 1, 3, 10)
  t.deepEqual([even.min, even.max, even.average, even.median], [1, 10, 4.5, 3.5])
  t.deepEqual([...new StatsList(7)], [7], 'one number is one value, not a length')
  t.true(Array.isArray(odd) && odd instanceof StatsList)
  t.false(odd.map((x) => x * 2) instanceof StatsList, 'map gives a plain array')
  const empty = new StatsList()
  for (const name of ['min', 'max', 'average', 'median'] as const) {
    t.throws(() => empty[name], { instanceOf: RangeError, code: 'ERR_PROCKIT_EMPTY_STATS' })
  }
})
