#!/usr/bin/env node
'use strict'

// Builds the typosquat evaluation sets in testdata/data/typosquat-eval/ from public data. The
// detector (crates/core/src/signals/typosquat.rs) is NOT used here: the labels come from the
// plain definitions below, by brute force, so that the test measures the detector against them.
//
//   node scripts/typosquat-eval.js --new <counts.json of download-counts@2.20260301.0> \
//        --old <counts.json of download-counts@2.20251201.0> \
//        --bun <bun's src/install/default-trusted-dependencies.txt> \
//        --ciis <can-i-ignore-scripts@0.4.1 data.json>
//
// Writes:
// - malicious-labelled.tsv: every malicious (not withdrawn) npm name of the OSV index
//   (testdata/data/osv-malicious-npm/index-2025-06-04.tsv) that imitates a package of the
//   popular list by one of the patterns below, with the pattern and the target; names in the
//   popular list themselves are left out (they have a month of real downloads: compromised
//   real packages, not imitations) and counted in the header.
// - new-names.txt: a seeded sample of names that have download counts in 2026-02 and had none
//   in 2025-11 (new packages of those three months), minus the OSV malicious names.
// - install-scripts-bun.txt, install-scripts-can-i-ignore-scripts.txt: legitimate packages
//   with install scripts.

const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')

const ROOT = path.join(__dirname, '..')
const OUT = path.join(ROOT, 'testdata', 'data', 'typosquat-eval')

function arg (name) {
  const i = process.argv.indexOf(name)
  if (i < 0) throw new Error(`missing ${name}`)
  return process.argv[i + 1]
}

// The popular list as shipped: [name, downloads], most downloaded first.
function popular () {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'crates', 'core', 'assets', 'popular-npm.tsv.gz'))).toString('utf8')
  const out = []
  let prev = ''
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue
    const [shared, rest, d] = line.split('\t')
    const name = prev.slice(0, Number(shared)) + rest
    out.push([name, Number(d)])
    prev = name
  }
  return out.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
}

// Optimal string alignment distance.
function osa (a, b) {
  const m = a.length
  const n = b.length
  const d = Array.from({ length: m + 1 }, (_, i) => { const r = new Array(n + 1).fill(0); r[0] = i; return r })
  for (let j = 0; j <= n; j++) d[0][j] = j
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const c = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[m][n]
}

function deletions (s, k) {
  const out = new Set([s])
  let frontier = [s]
  for (let r = 0; r < k; r++) {
    const next = []
    for (const x of frontier) {
      for (let i = 0; i < x.length; i++) {
        const y = x.slice(0, i) + x.slice(i + 1)
        if (!out.has(y)) { out.add(y); next.push(y) }
      }
    }
    frontier = next
  }
  return out
}

const squash = (s) => s.replace(/[-_.]/g, '')
const HOMO = { 0: 'o', 1: 'l', I: 'l', 3: 'e', 4: 'a', 5: 's', о: 'o', ο: 'o', а: 'a', е: 'e', р: 'p', с: 'c', х: 'x', у: 'y', і: 'l', ѕ: 's' }
const fold = (s) => [...s].map((c) => HOMO[c] ?? c).join('').replace(/rn/g, 'm').replace(/vv/g, 'w')
const isTransposition = (a, b) => {
  if (a.length !== b.length) return false
  const diff = []
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i)
  return diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]]
}
const SUFFIXES = ['.js', '-js', 'js', '-npm', '-node', '-http', '-cli', '-api', '-lib', '-sdk', '-utils', '-util', '-core', '-tools', '-plugin', '-dev', '-pkg', '-package', '-ts', '2', '-v2', '-next', '-latest', '-official', '-ui']
const PREFIXES = ['node-', 'js-', 'npm-', 'react-', 'nodejs-', 'get-']

// Every pattern a name matches against the popular list: [pattern, target index]. The
// definitions are deliberately plain; the restrictions keep coincidences out of the labels
// (each was read on samples of the OSV names):
// - separator / homoglyph: equal once `-_.` are removed / look-alikes folded; 5+ characters;
// - scope: an unscoped name equal to the part after the scope of a popular scoped name (not
//   @types) that is specific (has a separator, or 10+ characters), or 1 edit from one with a
//   separator and 8+ characters; a scoped name whose scope is (1 edit from) the popular
//   unscoped name after it (`@lodash/lodash`);
// - affix: a popular name of 4+ characters with 1M+ downloads a month plus or minus one of
//   SUFFIXES / PREFIXES;
// - transposition (4+ characters) and edit1 (5+): OSA distance 1;
// - edit2: OSA distance 2, 5+ characters, a target with 1M+ downloads a month, same first
//   character or the first two swapped (typos rarely change the first letter).
function label (name, idx) {
  const hits = []
  const len = [...name].length
  const bare = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : null
  const big = (i) => idx.pop[i][1] >= 1e6
  if (len >= 5) {
    for (const i of idx.exact.get(squash(name)) ?? []) hits.push(['separator', i])
    for (const i of idx.folded.get(fold(name)) ?? []) if (squash(idx.names[i]) !== squash(name)) hits.push(['homoglyph', i])
  }
  if (!bare) {
    if (/[-_.]/.test(name) || len >= 10) for (const i of idx.bare.get(name) ?? []) hits.push(['scope', i])
    if (len >= 8 && /[-_.]/.test(name)) {
      for (const v of deletions(name, 1)) {
        for (const i of idx.bareDel.get(v) ?? []) {
          const t = idx.names[i]
          if (osa(name, t.slice(t.indexOf('/') + 1)) === 1) hits.push(['scope', i])
        }
      }
    }
  } else {
    const scope = name.slice(1, name.indexOf('/'))
    const i = idx.rank.get(bare)
    if (i !== undefined && !idx.names[i].startsWith('@') && osa(scope, bare) <= 1) hits.push(['scope', i])
  }
  const affix = (t) => { const i = idx.rank.get(t); if (i !== undefined && t.length >= 4 && big(i)) hits.push(['affix', i]) }
  for (const s of SUFFIXES) {
    if (name.endsWith(s)) affix(name.slice(0, -s.length))
    affix(name + s)
  }
  for (const p of PREFIXES) {
    if (name.startsWith(p)) affix(name.slice(p.length))
    affix(p + name)
  }
  if (len >= 4) {
    const seen = new Set()
    for (const v of deletions(name, 2)) {
      for (const i of idx.del.get(v) ?? []) {
        if (seen.has(i)) continue
        seen.add(i)
        const t = idx.names[i]
        const d = osa(name, t)
        if (d === 1 && isTransposition(name, t)) hits.push(['transposition', i])
        else if (d === 1 && len >= 5) hits.push(['edit1', i])
        else if (d === 2 && len >= 5 && big(i) && (name[0] === t[0] || (name[0] === t[1] && name[1] === t[0]))) hits.push(['edit2', i])
      }
    }
  }
  return hits.filter(([, i]) => idx.names[i] !== name)
}

function index (pop) {
  const idx = { names: pop.map((p) => p[0]), pop, rank: new Map(), exact: new Map(), folded: new Map(), bare: new Map(), bareDel: new Map(), del: new Map() }
  const add = (m, k, v) => { const l = m.get(k); if (l) { if (l[l.length - 1] !== v) l.push(v) } else m.set(k, [v]) }
  pop.forEach(([n, d], i) => {
    if (!idx.rank.has(n)) idx.rank.set(n, i)
    add(idx.exact, squash(n), i)
    add(idx.folded, fold(n), i)
    if (n.startsWith('@') && !n.startsWith('@types/')) {
      const b = n.slice(n.indexOf('/') + 1)
      add(idx.bare, b, i)
      if (b.length >= 5) for (const v of deletions(b, 1)) add(idx.bareDel, v, i)
    }
    // Edit distance 1 against every name; 2 against names with a million downloads a month.
    for (const v of deletions(n, d >= 1e6 ? 2 : 1)) add(idx.del, v, i)
  })
  return idx
}

// Deterministic sample (mulberry32).
function sample (arr, n, seed) {
  let a = seed >>> 0
  const rnd = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
  const c = [...arr]
  for (let i = c.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [c[i], c[j]] = [c[j], c[i]] }
  return c.slice(0, n).sort()
}

const ORDER = ['homoglyph', 'separator', 'scope', 'affix', 'transposition', 'edit1', 'edit2']

function main () {
  fs.mkdirSync(OUT, { recursive: true })
  const pop = popular()
  const idx = index(pop)
  const osv = fs.readFileSync(path.join(ROOT, 'testdata', 'data', 'osv-malicious-npm', 'index-2025-06-04.tsv'), 'utf8')
    .split('\n').slice(1).map((l) => l.split('\t')).filter((c) => c[1] === 'malicious')
  const mal = new Map()
  for (const c of osv) if (!mal.has(c[2])) mal.set(c[2], c[0])
  let inList = 0
  const rows = []
  for (const [name, id] of mal) {
    if (idx.rank.has(name)) { inList++; continue }
    const hits = label(name, idx)
    if (!hits.length) continue
    // The strongest pattern, then the most popular target.
    hits.sort((a, b) => ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]) || a[1] - b[1])
    const [pattern, i] = hits[0]
    rows.push([name, pattern, idx.names[i], pop[i][1], id])
  }
  rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : 1))
  fs.writeFileSync(path.join(OUT, 'malicious-labelled.tsv'),
    `# ${mal.size} malicious npm names in the OSV index; ${inList} are in the popular list (left out); ${rows.length} imitate a popular package\n` +
    'name\tpattern\ttarget\ttarget_downloads\tosv_id\n' + rows.map((r) => r.join('\t')).join('\n') + '\n')
  const per = {}
  for (const r of rows) per[r[1]] = (per[r[1]] ?? 0) + 1
  console.log(`malicious: ${mal.size} names, ${inList} in the popular list, ${rows.length} labelled`, per)

  const nu = JSON.parse(fs.readFileSync(arg('--new'), 'utf8'))
  const old = JSON.parse(fs.readFileSync(arg('--old'), 'utf8'))
  const fresh = Object.keys(nu).filter((n) => !(n in old) && !mal.has(n))
  const picked = sample(fresh, 40000, 20260301)
  fs.writeFileSync(path.join(OUT, 'new-names.txt'),
    `# ${picked.length} of the ${fresh.length} names with downloads in download-counts@2.20260301.0 and none in download-counts@2.20251201.0, minus OSV malicious names; seeded sample (mulberry32, seed 20260301)\n` +
    picked.join('\n') + '\n')
  console.log(`new names: ${fresh.length}, sampled ${picked.length}`)

  const bun = fs.readFileSync(arg('--bun'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean)
  fs.writeFileSync(path.join(OUT, 'install-scripts-bun.txt'), bun.join('\n') + '\n')
  const ciis = JSON.parse(fs.readFileSync(arg('--ciis'), 'utf8'))
  const names = [...new Set(Object.values(ciis).flatMap((o) => Object.keys(o)))].sort()
  fs.writeFileSync(path.join(OUT, 'install-scripts-can-i-ignore-scripts.txt'), names.join('\n') + '\n')
  console.log(`install scripts: bun ${bun.length}, can-i-ignore-scripts ${names.length}`)
}

if (require.main === module) main()
