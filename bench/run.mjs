// npm run bench [-- --short]: prockit against a pure-JS /proc reader, the peers a user would
// otherwise pick, and the floor (a C loop that only reads and parses every stat), at the
// machine's own population and with extra sleeping processes, all in one run. Prints a table
// of medians and ratios; a full run also writes bench/results.md.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const prockit = require('../dist/index.js')
const { readAllStats } = require('./js-reader.cjs')
const psList = (await import('ps-list')).default
const pidtree = require('pidtree')
const { procfs } = require('@stroncium/procfs')
const si = require('systeminformation')

const short = process.argv.includes('--short')
const EXTRA = short ? [0, 200] : [0, 1000, 5000]
const CALLS = short ? 5 : 20
const SLOW_CALLS = short ? 2 : 20 // systeminformation spawns ps and more per call

// --- helpers -------------------------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const pause = (ms) => new Promise((r) => setTimeout(r, ms))

/** Median ms of `calls` calls of `fn` after two warm-up calls; `gap` ms of rest before each. */
async function time(fn, calls, gap = 0) {
  await fn() // warm-up
  await fn()
  const samples = []
  for (let i = 0; i < calls; i++) {
    if (gap) await pause(gap)
    const start = performance.now()
    await fn()
    samples.push(performance.now() - start)
  }
  return median(samples)
}

function processCount() {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length
}

/** Starts `count` sleeping processes under one bash in a process group of its own. */
async function startSleepers(count) {
  if (count === 0) return { stop: async () => {} }
  const before = processCount()
  const script = `for i in $(seq ${count}); do sleep 600 & done; echo started; read; kill $(jobs -p) 2>/dev/null; wait`
  const bash = spawn('/bin/bash', ['-c', script], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] })
  await once(bash.stdout, 'data')
  process.stderr.write(`started ${count} sleepers\n`)
  while (processCount() < before + count) await pause(50)
  return {
    async stop() {
      // bash kills and reaps its sleepers, so no orphan zombies are left to init.
      const exited = once(bash, 'exit')
      bash.stdin.end('\n')
      await exited
    },
  }
}

function buildFloor() {
  const dir = `${root}target/bench`
  mkdirSync(dir, { recursive: true })
  execFileSync('cc', ['-O2', '-o', `${dir}/floor`, `${root}bench/floor.c`])
  return (calls) => Number(execFileSync(`${dir}/floor`, [String(calls)], { encoding: 'utf8' }).split(' ')[0])
}

/** Median µs of one Process.fromPid + cmdline, over batches of 2,000. */
async function fromPidMicros(pid, calls) {
  const batch = 2000
  const ms = await time(() => {
    for (let i = 0; i < batch; i++) prockit.Process.fromPid(pid).cmdline
  }, calls)
  return (ms / batch) * 1000
}

// --- the run ---------------------------------------------------------------------------------

const floor = buildFloor()
const ROWS = [
  ['floor (C, one thread, stat only)', (calls) => floor(calls)],
  ['prockit findProcesses', (calls) => time(() => prockit.findProcesses(), calls)],
  ['prockit getProcessTree', (calls) => time(() => prockit.getProcessTree(), calls)],
  ['prockit findProcessesAsync', (calls) => time(() => prockit.findProcessesAsync(), calls)],
  ['pure-JS stat reader', (calls) => time(() => readAllStats(), calls)],
  ['ps-list', (calls) => time(() => psList(), calls)],
  ['pidtree (all processes)', (calls) => time(() => pidtree(-1, { advanced: true }), calls)],
  ['@stroncium/procfs', (calls) => time(() => procfs.processes().map((pid) => { try { return procfs.processStat(pid) } catch { return null } }), calls)],
  // systeminformation returns its last result for 500 ms: rest 600 ms so each call is real.
  ['systeminformation processes()', (calls) => time(() => si.processes(), Math.min(calls, SLOW_CALLS), 600)],
]

const results = new Map(ROWS.map(([name]) => [name, []]))
const populations = []
const fromPid = []
let snapshotHeapMB = null
for (const extra of EXTRA) {
  const sleepers = await startSleepers(extra)
  try {
    populations.push(processCount())
    process.stderr.write(`population ${populations.at(-1)} (+${extra})\n`)
    for (const [name, run] of ROWS) {
      results.get(name).push(await run(CALLS))
      process.stderr.write(`  ${name}: ${results.get(name).at(-1).toFixed(2)} ms\n`)
    }
    fromPid.push(await fromPidMicros(process.pid, CALLS))
    if (extra === EXTRA.at(-1) && globalThis.gc) {
      globalThis.gc()
      const before = process.memoryUsage().heapUsed
      const held = prockit.findProcesses()
      globalThis.gc()
      snapshotHeapMB = { processes: held.length, mb: (process.memoryUsage().heapUsed - before) / 1048576 }
    }
  } finally {
    await sleepers.stop()
  }
}

// RSS over many snapshots, at the machine's own population.
const LOOPS = short ? 1000 : 10000
globalThis.gc?.()
const rssBefore = process.memoryUsage().rss
for (let i = 0; i < LOOPS; i++) prockit.findProcesses()
globalThis.gc?.()
const rssGrowthMB = (process.memoryUsage().rss - rssBefore) / 1048576

// --- the table -------------------------------------------------------------------------------

const header = ['', ...populations.map((n, i) => `${n} processes (+${EXTRA[i]})`)]
const floorTimes = results.get(ROWS[0][0])
const lines = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...ROWS.map(([name]) => {
    const cells = results.get(name).map((ms, i) => `${ms.toFixed(2)} ms (${(ms / floorTimes[i]).toFixed(2)}× floor)`)
    return `| ${name} | ${cells.join(' | ')} |`
  }),
  `| prockit Process.fromPid + cmdline | ${fromPid.map((us) => `${us.toFixed(1)} µs`).join(' | ')} |`,
]
const at = (name, i) => results.get(name)[i]
const last = populations.length - 1
const mid = EXTRA.indexOf(1000) >= 0 ? EXTRA.indexOf(1000) : last
const ratio = (a, b) => (at(a, mid) / at(b, mid)).toFixed(2)
const summary = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; median of ${CALLS} calls after a warm-up (systeminformation: ${Math.min(CALLS, SLOW_CALLS)}).`,
  '',
  `At +${EXTRA[mid]}: findProcesses ${ratio('prockit findProcesses', 'floor (C, one thread, stat only)')}× the floor` +
    ` (target ≤ 1.2), getProcessTree ${ratio('prockit getProcessTree', 'floor (C, one thread, stat only)')}× (target ≤ 1.3);` +
    ` the pure-JS reader takes ${ratio('pure-JS stat reader', 'prockit findProcesses')}× as long as findProcesses (target ≥ 1.8),` +
    ` ps-list ${ratio('ps-list', 'prockit findProcesses')}× (target ≥ 6).`,
  `At the idle population: findProcesses ${(at('prockit findProcesses', 0) / floorTimes[0]).toFixed(2)}× the floor (target ≤ 2).`,
  `Process.fromPid + cmdline: ${fromPid[0].toFixed(1)} µs (target < 30).`,
  snapshotHeapMB ? `A snapshot of ${snapshotHeapMB.processes} processes holds ${snapshotHeapMB.mb.toFixed(2)} MB of JS heap (target < 5).` : 'Heap of one snapshot: run with --expose-gc.',
  `${LOOPS} snapshots in a loop grew RSS by ${rssGrowthMB.toFixed(1)} MB (target < 10 for 10,000).`,
]
const table = [...lines, '', ...summary].join('\n')
process.stdout.write(table + '\n')
if (!short) {
  writeFileSync(`${root}bench/results.md`, `# npm run bench\n\nGenerated by bench/run.mjs on ${new Date().toISOString().slice(0, 10)}.\n\n${table}\n`)
}
