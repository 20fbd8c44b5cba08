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

// Identical reasons from this many packages up are grouped; a group names its first few.
const GROUP_AT = 3
const GROUP_NAMES = 5

// The engine's messages name API options (`attestationsRegistry`); the CLI user types flags.
function cliSpelling (text) {
  return text.replace(/\bset attestationsRegistry or attestations\b/g, 'pass --attestations-registry URL or --attestations FILE')
    .replace(/\bset attestationsRegistry\b/g, 'pass --attestations-registry URL')
    .replace(/\battestationsRegistry\b/g, '--attestations-registry')
}

// Codes that say the registry does not serve signatures or attestations (a mirror).
const MIRROR_CODES = new Set(['ERR_PROV_REGISTRY_SIGNATURE_MISSING', 'ERR_PROV_ATTESTATIONS_UNAVAILABLE'])

// One line saying what to do when reports are unverifiable because the registry is a mirror
// that strips signatures and attestations; null otherwise.
function mirrorHint (reports) {
  let n = 0
  for (const r of reports) if (r.status === 'unverifiable' && r.problems.some((p) => MIRROR_CODES.has(p.code))) n++
  if (n === 0) return null
  return `hint: ${n === 1 ? 'one package is' : `${n} packages are`} unverifiable because the registry serves no signatures or ` +
    'attestations (a mirror?): pass --attestations-registry URL, a registry that serves them, to check them there'
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
    // Identical reasons (a mirror gives every package the same one) are one line each, with a
    // count and the first few names; a reason only one package has stays on its own row.
    let shown = rows
    if (status !== 'verified') {
      const groups = new Map()
      for (const r of rows) {
        const k = cliSpelling(firstProblem(r))
        const g = groups.get(k)
        if (g) g.push(r)
        else groups.set(k, [r])
      }
      shown = []
      for (const [reason, g] of groups) {
        if (g.length < GROUP_AT) {
          shown.push(...g)
          continue
        }
        const names = g.slice(0, GROUP_NAMES).map(pkgId).join(', ')
        yield `  ${g.length} packages: ${reason}`
        yield `      ${names}${g.length > GROUP_NAMES ? `, … (${g.length - GROUP_NAMES} more; --json lists all)` : ''}`
      }
    }
    // A loop, not Math.max(...spread): a spread of 300,000 arguments overflows the stack.
    let width = 0
    for (const r of shown) width = Math.max(width, Math.min(50, pkgId(r).length))
    for (const r of shown) {
      const detail = status === 'verified'
        ? (r.provenance && r.provenance.sourceRepository) || ''
        : cliSpelling(firstProblem(r))
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
  const hint = mirrorHint(result.packages)
  if (hint) yield hint
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

// The line of package.json (1-based) where `name` is declared as a dependency, or 0.
function manifestIndex (pkgJson) {
  let lines = []
  try { lines = fs.readFileSync(pkgJson, 'utf8').split('\n') } catch {}
  const at = new Map()
  let inDeps = false
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]
    const open = /"(dependencies|devDependencies|optionalDependencies|peerDependencies)"\s*:\s*\{/.exec(l)
    if (open) inDeps = true
    if (inDeps) {
      const re = /"([^"]+)"\s*:\s*"/g
      let m
      while ((m = re.exec(l)) !== null) if (!at.has(m[1])) at.set(m[1], i + 1)
      if (l.includes('}')) inDeps = false
    }
  }
  return (name) => at.get(name) || 0
}

// SARIF 2.1.0 for the guard: one result per finding (error → error, warn → warning), located
// at the package's line in the lockfile and, for a direct dependency, in package.json; one
// rule per policy rule.
function guardSarif (result, { version = '0.0.0', cwd = process.cwd() } = {}) {
  const rel = (f) => path.relative(cwd, f).split(path.sep).join('/') || f
  const lockUri = rel(result.lockfile)
  const line = lineIndex(result.lockfile)
  const pkgJson = path.join(path.dirname(result.lockfile), 'package.json')
  const declared = manifestIndex(pkgJson)
  const rules = new Map()
  const results = []
  const add = (f, level, suppressed) => {
    if (!rules.has(f.rule)) rules.set(f.rule, { id: f.rule, name: f.rule, shortDescription: { text: `prov-native policy rule ${f.rule}` } })
    const locations = [{ physicalLocation: { artifactLocation: { uri: lockUri }, region: { startLine: line(f.name, f.version) } } }]
    const d = declared(f.name)
    if (d) locations.push({ physicalLocation: { artifactLocation: { uri: rel(pkgJson) }, region: { startLine: d } } })
    const r = {
      ruleId: f.rule,
      level,
      message: { text: `${f.name}@${f.version}: ${f.message}${f.evidence.length ? `\n${f.evidence.join('\n')}` : ''}` },
      locations,
      partialFingerprints: { packageVersion: `${f.name}@${f.version}/${f.rule}` }
    }
    if (suppressed) r.suppressions = [{ kind: 'external', justification: suppressed }]
    results.push(r)
  }
  for (const f of result.findings) add(f, f.level === 'error' ? 'error' : 'warning')
  for (const f of result.allowed) add(f, f.level === 'error' ? 'error' : 'warning', f.allowedBy || 'allowed by an exception')
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'prov-native', version, rules: [...rules.values()] } },
      results,
      invocations: [{ executionSuccessful: true, toolExecutionNotifications: result.skipped.map((s) => ({ level: 'note', message: { text: `not checked: ${s}` } })) }]
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
  // Findings that differ only in the package (a mirror makes every package `could not be
  // verified` for the same reason) are one block from GROUP_AT on: count, first names, evidence once.
  const groups = new Map()
  for (const f of result.findings) {
    const k = JSON.stringify([f.level, f.rule, f.message, f.evidence])
    const g = groups.get(k)
    if (g) g.push(f)
    else groups.set(k, [f])
  }
  for (const g of groups.values()) {
    const f = g[0]
    const mark = `${f.level === 'error' ? 'ERROR' : 'WARN '} ${f.rule.padEnd(22)}`
    if (g.length < GROUP_AT) {
      for (const x of g) {
        out.push(`${mark} ${x.name}@${x.version}: ${x.message}`)
        for (const e of x.evidence) out.push(`      ${cliSpelling(e)}`)
      }
      continue
    }
    const names = g.slice(0, GROUP_NAMES).map((x) => `${x.name}@${x.version}`).join(', ')
    out.push(`${mark} ${g.length} packages: ${f.message}`)
    out.push(`      ${names}${g.length > GROUP_NAMES ? `, … (${g.length - GROUP_NAMES} more; --json lists all)` : ''}`)
    for (const e of f.evidence) out.push(`      ${cliSpelling(e)}`)
  }
  for (const f of result.allowed) {
    out.push(`ALLOW ${f.rule.padEnd(22)} ${f.name}@${f.version}: ${f.message} — ${f.allowedBy}`)
  }
  if (result.skipped.length) {
    out.push('Not checked:')
    for (const s of result.skipped) out.push(`  ${cliSpelling(s)}`)
  }
  const a = result.audit
  out.push('')
  out.push(`${result.errors} error(s), ${result.warnings} warning(s), ${result.allowed.length} allowed by exceptions; ` +
    `${a.total} packages (${a.verified} verified, ${a.unsigned} unsigned, ${a.invalid} invalid, ${a.unverifiable} unverifiable) — ` +
    `policy ${result.config}, ${result.lockfile}`)
  return out.join('\n')
}

module.exports = { mirrorHint, cliSpelling, guardSarif, table, tableLines, writeLines, sarif, progressBar, findingsTable, writeJson, lineIndex }
