// A pure-JS /proc reader, as a careful user would write one: readdir, then readFileSync of
// every /proc/[pid]/stat, parsed by splitting after the last ')'.
const { readdirSync, readFileSync } = require('node:fs')

const PAGE_SIZE = 4096

function readAllStats() {
  const out = []
  for (const name of readdirSync('/proc')) {
    const first = name.charCodeAt(0)
    if (first < 49 || first > 57) continue
    let text
    try {
      text = readFileSync(`/proc/${name}/stat`, 'latin1')
    } catch {
      continue
    }
    const open = text.indexOf('(')
    const close = text.lastIndexOf(')')
    const f = text.slice(close + 2).split(' ')
    out.push({
      pid: Number(name),
      comm: text.slice(open + 1, close),
      state: f[0],
      ppid: Number(f[1]),
      pgrp: Number(f[2]),
      session: Number(f[3]),
      starttime: Number(f[19]),
      vsize: Number(f[20]),
      rss: Number(f[21]) * PAGE_SIZE,
    })
  }
  return out
}

module.exports = { readAllStats }
