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
function table (result, { all = false, color = false } = {}) {
  const paint = (c, s) => (color ? `\u001b[${c}m${s}\u001b[0m` : s)
  const colors = { invalid: '31', unverifiable: '33', unsigned: '36', verified: '32' }
  const out = []
  for (const status of ORDER) {
    const rows = result.packages.filter((r) => r.status === status)
    if (rows.length === 0) continue
    out.push(paint(colors[status], `${status.toUpperCase()} (${rows.length})`))
    if (status === 'verified' && !all) {
      out.push('  (use --all to list them)')
      continue
    }
    const width = Math.min(50, Math.max(...rows.map((r) => pkgId(r).length)))
    for (const r of rows) {
      const detail = status === 'verified'
        ? (r.provenance && r.provenance.sourceRepository) || ''
        : firstProblem(r)
      out.push(`  ${pkgId(r).padEnd(width)}  ${detail}`)
    }
  }
  const regNames = new Set(result.packages.map(pkgId))
  const other = result.summary.skipped.filter((s) => !regNames.has(`${s.name}@${s.version}`))
  if (other.length) {
    out.push(`NOT FROM A REGISTRY (${other.length})`)
    for (const s of other) out.push(`  ${s.name}@${s.version}  ${s.reason}`)
  }
  const s = result.summary
  out.push('')
  out.push(`${s.total} packages: ${s.verified} verified, ${s.unsigned} unsigned, ${s.invalid} invalid, ` +
    `${s.unverifiable} unverifiable, ${other.length} not from a registry` +
    (s.cached ? ` (${s.cached} from cache)` : '') + ` — ${result.lockfile}`)
  return out.join('\n')
}

// Where a package is named in the lockfile (1-based line), for code-scanning annotations.
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
  return (name, version) => {
    const needles = [`node_modules/${name}"`, `${name}@${version}`, `/${name}@${version}`, `"${name}":`]
    let first = -1
    for (const n of needles) {
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i].includes(n)) continue
        if (hasVersion(i, version)) return i + 1
        if (first === -1) first = i
      }
    }
    return first + 1 || 1
  }
}

const RULE_TEXT = {
  'ERR_PROV_INTEGRITY': 'Tarball or lockfile integrity does not match the registry',
  'ERR_PROV_REGISTRY_SIGNATURE': 'Registry signature does not verify',
  'ERR_PROV_NO_PROVENANCE': 'Package version has no provenance attestation',
  'ERR_PROV_ATTESTATIONS_UNAVAILABLE': 'Attestations could not be fetched',
  'ERR_PROV_REGISTRY_SIGNATURE_MISSING': 'Registry signature missing',
  'ERR_PROV_NOT_VERIFIABLE': 'Dependency is not from a registry and cannot be verified'
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
        shortDescription: { text: RULE_TEXT[code] || code }
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

module.exports = { table, sarif, progressBar, findingsTable }
