'use strict'

// Output formats for `prov-native audit`: a table grouped by status, SARIF 2.1.0, and a
// progress bar for TTYs.

const fs = require('node:fs')
const path = require('node:path')

const ORDER = ['invalid', 'unverifiable', 'unsigned', 'verified']

function pkgId (r) {
  return r.version ? `${r.name}@${r.version}` : r.spec
}

function firstProblem (r) {
  const p = r.problems[0]
  return p ? `${p.code}: ${p.message}` : ''
}

// Human table: one section per status (verified ones only counted unless `all`), then the
// packages that were not from a registry, then the summary line.
function table (result, options) {
  return [...tableLines(result, options)].join('\n')
}

// The lines of `table`, one at a time.
function * tableLines (result, { all = false, color = false } = {}) {
  const paint = (c, s) => (color ? `\u001b[${c}m${s}\u001b[0m` : s)
  const colors = { invalid: '31', unverifiable: '33', unsigned: '36', verified: '32' }
  for (const status of ORDER) {
    const rows = result.packages.filter((r) => r.status === status)
    if (rows.length === 0) continue
    yield paint(colors[status], `${status.toUpperCase()} (${rows.length})`)
    if (status === 'verified' && !all) {
      yield '  (use --all to list them)'
      continue
    }
    // A loop, not Math.max(...spread): a spread of 300,000 arguments overflows the stack.
    let width = 0
    for (const r of rows) width = Math.max(width, Math.min(50, pkgId(r).length))
    for (const r of rows) {
      const detail = status === 'verified'
        ? (r.provenance && r.provenance.sourceRepository) || ''
        : firstProblem(r)
      yield `  ${pkgId(r).padEnd(width)}  ${detail}`
    }
  }
  const skipped = result.summary.skipped
  const regNames = skipped.length ? new Set(result.packages.map(pkgId)) : null
  const other = skipped.filter((s) => !regNames.has(`${s.name}@${s.version}`))
  if (other.length) {
    yield `NOT FROM A REGISTRY (${other.length})`
    for (const s of other) yield `  ${s.name}@${s.version}  ${s.reason}`
  }
  const s = result.summary
  yield ''
  yield `${s.total} packages: ${s.verified} verified, ${s.unsigned} unsigned, ${s.invalid} invalid, ` +
    `${s.unverifiable} unverifiable, ${other.length} not from a registry` +
    (s.cached ? ` (${s.cached} from cache)` : '') + ` — ${result.lockfile}`
}

// `out(lines.join('\n'))`, handed to `out` in pieces of about `chunk` characters, each a whole
// number of lines (`out` adds the newline).
function writeLines (lines, out, chunk = 1 << 20) {
  let buf = null
  for (const line of lines) {
    if (buf === null) buf = line
    else if (buf.length >= chunk) {
      out(buf)
      buf = line
    } else buf += '\n' + line
  }
  out(buf === null ? '' : buf)
}

// Where a package is named in the lockfile (1-based line), for code-scanning annotations.
// The lockfile is indexed once (O(lines), not O(packages × lines)); a package is looked up by,
// in order: its npm install path key (`"node_modules/…/<name>": {`), a `<name>@<version>`
// token (yarn, pnpm, bun, npm v1 `resolved`), a `"<name>":` key; the first such line whose
// entry names the version wins, else the first such line, else line 1.
function lineIndex (lockfile) {
  let lines = []
  try { lines = fs.readFileSync(lockfile, 'utf8').split('\n') } catch {}
  // An entry's version is on its key line (yarn, pnpm, bun) or within a few lines after it (npm).
  const names = (l, version) => l.includes(`"${version}"`) || l.includes(`@${version}`) || l.includes(` ${version}`)
  const hasVersion = (i, version) => {
    if (names(lines[i], version)) return true
    // The following lines of the same entry, up to the next entry's key.
    for (let j = i + 1; j < Math.min(lines.length, i + 8) && !/": \{|^\S|node_modules\//.test(lines[j]); j++) {
      if (names(lines[j], version)) return true
    }
    return false
  }
  const installPath = new Map() // name → lines with `node_modules/<name>"`
  const token = new Map() // `name@version` → lines
  const key = new Map() // name → lines with `"<name>":`
  const add = (m, k, i) => {
    const l = m.get(k)
    if (l === undefined) m.set(k, [i])
    else if (l[l.length - 1] !== i) l.push(i)
  }
  const nameChar = /[A-Za-z0-9._~!*'/-]/
  const versionRun = /^[0-9A-Za-z.+_-]+/
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]
    for (let at = l.indexOf('node_modules/'); at !== -1; at = l.indexOf('node_modules/', at + 1)) {
      const from = at + 'node_modules/'.length
      const q = l.indexOf('"', from)
      if (q !== -1) add(installPath, l.slice(from, q), i)
    }
    for (let at = l.indexOf('@', 1); at !== -1; at = l.indexOf('@', at + 1)) {
      const v = versionRun.exec(l.slice(at + 1, at + 1 + 256))
      if (!v) continue
      let s = at
      while (s > 0 && nameChar.test(l[s - 1])) s--
      if (s > 0 && l[s - 1] === '@') s--
      const name = l.slice(s, at)
      if (!name) continue
      add(token, `${name}@${v[0]}`, i)
      // The unscoped tail too (`@s/a@1` names `a@1` for the old substring rule's sake).
      for (let k = name.indexOf('/'); k !== -1; k = name.indexOf('/', k + 1)) add(token, `${name.slice(k + 1)}@${v[0]}`, i)
    }
    if (l.includes('":')) {
      const re = /"([^"]*)":/g
      let m
      while ((m = re.exec(l)) !== null) add(key, m[1], i)
    }
  }
  return (name, version) => {
    let first = -1
    for (const found of [installPath.get(name), token.get(`${name}@${version}`), key.get(name)]) {
      if (!found) continue
      for (const i of found) {
        if (hasVersion(i, version)) return i + 1
        if (first === -1) first = i
      }
    }
    return first + 1 || 1
  }
}

// `out(JSON.stringify(value, null, 2))`, handed to `out` in pieces of about `chunk` characters,
// each a whole number of lines (`out` adds the newline): the result of a large audit is longer
// than the longest string V8 can make, and would be copied whole once more to be written.
function writeJson (value, out, chunk = 1 << 20) {
  let buf = ''
  const nl = () => {
    if (buf.length >= chunk) {
      out(buf)
      buf = ''
    } else buf += '\n'
  }
  const kept = (o) => Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function' && typeof o[k] !== 'symbol')
  const walk = (v, indent, depth) => {
    const isArray = Array.isArray(v)
    const keys = !isArray && v !== null && typeof v === 'object' && typeof v.toJSON !== 'function' ? kept(v) : null
    // Containers near the top, long arrays, and objects holding one are written piece by
    // piece; anything else in one JSON.stringify.
    const long = (x) => Array.isArray(x) && x.length > 256
    const big = (isArray && v.length > 0 && (depth < 2 || long(v))) ||
      (keys && keys.length > 0 && (depth < 2 || keys.some((k) => long(v[k]))))
    if (!big) {
      buf += JSON.stringify(v, null, 2).split('\n').join('\n' + indent)
      return
    }
    const inner = indent + '  '
    if (isArray) {
      buf += '['
      for (let i = 0; i < v.length; i++) {
        nl()
        const x = v[i]
        buf += inner
        walk(x === undefined || typeof x === 'function' || typeof x === 'symbol' ? null : x, inner, depth + 1)
        if (i < v.length - 1) buf += ','
      }
      nl()
      buf += indent + ']'
    } else {
      buf += '{'
      keys.forEach((k, i) => {
        nl()
        buf += inner + JSON.stringify(k) + ': '
        walk(v[k], inner, depth + 1)
        if (i < keys.length - 1) buf += ','
      })
      nl()
      buf += indent + '}'
    }
  }
  walk(value, '', 0)
  out(buf)
}

// Every code and what it means, generated from the engine's Code enum (crates/core/src/code.rs).
const CODES = require('../schema/codes.json')
const ruleText = (code) => {
  const m = CODES[code] && CODES[code].meaning
  return m ? m[0].toUpperCase() + m.slice(1) : code
}

// SARIF 2.1.0 for GitHub code scanning: one result per package that is not verified.
function sarif (result, { version = '0.0.0', cwd = process.cwd() } = {}) {
  const uri = path.relative(cwd, result.lockfile).split(path.sep).join('/') || result.lockfile
  const line = lineIndex(result.lockfile)
  const level = { invalid: 'error', unverifiable: 'warning', unsigned: 'note' }
  const rules = new Map()
  const results = []
  const add = (code, lvl, text, name, ver) => {
    if (!rules.has(code)) {
      rules.set(code, {
        id: code,
        name: code.replace(/^ERR_PROV_/, '').toLowerCase().replace(/_(.)/g, (_, c) => c.toUpperCase()),
        shortDescription: { text: ruleText(code) }
      })
    }
    results.push({
      ruleId: code,
      level: lvl,
      message: { text },
      locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: line(name, ver) } } }],
      partialFingerprints: { packageVersion: `${name}@${ver}/${code}` }
    })
  }
  for (const r of result.packages) {
    if (r.status === 'verified') continue
    const p = r.problems[0] || { code: 'ERR_PROV_NOT_VERIFIED', message: 'not verified' }
    add(p.code, level[r.status] || 'warning', `${pkgId(r)} is ${r.status}: ${p.message}`, r.name, r.version)
  }
  const regNames = new Set(result.packages.map(pkgId))
  for (const s of result.summary.skipped) {
    if (regNames.has(`${s.name}@${s.version}`)) continue
    add('ERR_PROV_NOT_VERIFIABLE', 'note', `${s.name}@${s.version}: ${s.reason}`, s.name, s.version)
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'prov-native', version, rules: [...rules.values()] } },
      results
    }]
  }
}

// A one-line progress bar on a TTY stream; a no-op elsewhere.
function progressBar (stream) {
  if (!stream.isTTY) return { update () {}, done () {} }
  let last = 0
  return {
    update (done, total) {
      const now = Date.now()
      if (now - last < 50 && done < total) return
      last = now
      const w = 30
      const fill = total ? Math.round((done / total) * w) : w
      stream.write(`\r[${'#'.repeat(fill)}${'-'.repeat(w - fill)}] ${done}/${total}`)
    },
    done () { stream.write('\r\u001b[K') }
  }
}

// Guard findings: one block per finding with its evidence, errors first.
function findingsTable (result) {
  const out = []
  for (const f of result.findings) {
    out.push(`${f.level === 'error' ? 'ERROR' : 'WARN '} ${f.rule.padEnd(22)} ${f.name}@${f.version}: ${f.message}`)
    for (const e of f.evidence) out.push(`      ${e}`)
  }
  for (const f of result.allowed) {
    out.push(`ALLOW ${f.rule.padEnd(22)} ${f.name}@${f.version}: ${f.message} — ${f.allowedBy}`)
  }
  if (result.skipped.length) {
    out.push('Not checked:')
    for (const s of result.skipped) out.push(`  ${s}`)
  }
  const a = result.audit
  out.push('')
  out.push(`${result.errors} error(s), ${result.warnings} warning(s), ${result.allowed.length} allowed by exceptions; ` +
    `${a.total} packages (${a.verified} verified, ${a.unsigned} unsigned, ${a.invalid} invalid, ${a.unverifiable} unverifiable) — ` +
    `policy ${result.config}, ${result.lockfile}`)
  return out.join('\n')
}

module.exports = { table, tableLines, writeLines, sarif, progressBar, findingsTable, writeJson, lineIndex }
