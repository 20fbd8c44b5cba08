#!/usr/bin/env node
'use strict'

// Rebuilds crates/core/assets/popular-npm.tsv.gz, the typosquat detector's list of popular npm
// packages (built into the binary; nothing is read at run time), from the `download-counts`
// package, which publishes one month of download counts for every npm package.
//
//   node scripts/popular.js                         npm pack download-counts@<VERSION> into a temp dir
//   node scripts/popular.js --counts counts.json    use an unpacked counts.json (of download-counts@VERSION)
//   node scripts/popular.js --top 100000 --out <file>
//
// Format (gzip, level 9): one line per package, sorted by name, front-coded:
//   <characters shared with the previous name> TAB <rest of the name> TAB <downloads a month>
// Downloads are rounded to 3 significant digits (a one-month sample does not merit more; it
// compresses better). The first line is a header naming the source.
// The list is the top N by downloads (ties by name), scoped packages included.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')

const VERSION = '2.20260301.0'

function arg (name, dflt) {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}

function loadCounts () {
  const given = arg('--counts')
  if (given) return { counts: JSON.parse(fs.readFileSync(given, 'utf8')), source: arg('--source', `download-counts@${VERSION}`) }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'download-counts-'))
  try {
    const out = execFileSync('npm', ['pack', `download-counts@${VERSION}`, '--silent'], { cwd: dir, encoding: 'utf8' })
    const tgz = path.join(dir, out.trim().split('\n').pop())
    execFileSync('tar', ['xzf', tgz, '-C', dir])
    const counts = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'counts.json'), 'utf8'))
    return { counts, source: `download-counts@${VERSION}` }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function round3 (n) {
  const s = String(n)
  return s.length <= 3 ? n : Number(s.slice(0, 3)) * 10 ** (s.length - 3)
}

// [name, downloads] pairs, most downloaded first, ties by name.
function top (counts, n) {
  return Object.entries(counts)
    .filter(([name, d]) => Number.isSafeInteger(d) && d > 0 && name.length > 0 && !/[\t\n]/.test(name))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
}

function encode (entries, source) {
  const byName = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const lines = [`# popular npm packages: top ${entries.length} by downloads a month, from ${source}; shared\trest\tdownloads`]
  let prev = ''
  for (const [name, d] of byName) {
    let i = 0
    // ASCII only, so that the count is the same in bytes (the reader) and UTF-16 units (here).
    while (i < prev.length && i < name.length && prev[i] === name[i] && name.charCodeAt(i) < 128) i++
    lines.push(`${i}\t${name.slice(i)}\t${round3(d)}`)
    prev = name
  }
  return zlib.gzipSync(lines.join('\n') + '\n', { level: 9 })
}

function main () {
  const n = Number(arg('--top', '100000'))
  const out = arg('--out', path.join(__dirname, '..', 'crates', 'core', 'assets', 'popular-npm.tsv.gz'))
  const { counts, source } = loadCounts()
  const entries = top(counts, n)
  const gz = encode(entries, source)
  fs.writeFileSync(out, gz)
  const scoped = entries.filter(([name]) => name.startsWith('@')).length
  const last = entries[entries.length - 1]
  console.log(`${Object.keys(counts).length} packages in ${source}; wrote the top ${entries.length} (${scoped} scoped; last: ${last[0]} at ${last[1]} a month) to ${out}: ${gz.length} bytes`)
}

if (require.main === module) main()

module.exports = { top, encode, round3 }
