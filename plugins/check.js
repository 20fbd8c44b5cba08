'use strict'

// The check every bundler plugin runs: the guard (the project's policy) or the audit over the
// project's lockfile, memoised per process on the project root, the lockfile's bytes, the
// policy file's bytes and the options. Vite's environments, webpack's multi-compiler and
// every rebuild of a watch share one verification while nothing they depend on changes.

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

// As the native side looks for them (crates/core/src/lockfile: LOCKFILE_NAMES).
const LOCKFILE_NAMES = ['npm-shrinkwrap.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock']
const MODES = ['guard', 'audit']
const FAIL_ON = ['error', 'warn', 'never']

const memo = new Map()
const MEMO_MAX = 32
const counters = { verifications: 0, lookups: 0 }

function optionsError (message) {
  const e = new TypeError(`prov-native plugin: ${message}`)
  e.code = 'ERR_PROV_INVALID_ARG'
  return e
}

// The shared options, checked: { policy, mode, failOn, allow, cache, registry, root }.
function normalize (options = {}) {
  if (options === null || typeof options !== 'object') throw optionsError('options must be an object')
  const known = new Set(['policy', 'mode', 'failOn', 'allow', 'cache', 'registry', 'root'])
  for (const k of Object.keys(options)) if (!known.has(k)) throw optionsError(`unknown option ${JSON.stringify(k)} (known: ${[...known].join(', ')})`)
  const o = { mode: 'guard', failOn: 'error', allow: [], cache: true, ...options }
  if (!MODES.includes(o.mode)) throw optionsError(`mode must be ${MODES.map((m) => `'${m}'`).join(' or ')}, not ${JSON.stringify(o.mode)}`)
  if (!FAIL_ON.includes(o.failOn)) throw optionsError(`failOn must be ${FAIL_ON.map((m) => `'${m}'`).join(', ')}, not ${JSON.stringify(o.failOn)}`)
  if (!Array.isArray(o.allow) || !o.allow.every((a) => typeof a === 'string' && a.length > 0)) throw optionsError('allow must be an array of package names or globs')
  if (typeof o.cache !== 'boolean') throw optionsError('cache must be a boolean')
  for (const k of ['policy', 'registry', 'root']) if (o[k] !== undefined && typeof o[k] !== 'string') throw optionsError(`${k} must be a string`)
  return o
}

// The lockfile the native side will read for `root`, or null.
function findLockfile (root) {
  for (const n of LOCKFILE_NAMES) {
    const p = path.join(root, n)
    try { if (fs.statSync(p).isFile()) return p } catch {}
  }
  return null
}

// The policy file the guard will read (explicit, else prov-native.config.json), or null.
function findPolicy (root, policy) {
  const p = policy ? path.resolve(root, policy) : path.join(root, 'prov-native.config.json')
  try { if (fs.statSync(p).isFile()) return p } catch {}
  return policy ? p : null
}

function readOrEmpty (p) {
  try { return fs.readFileSync(p) } catch { return Buffer.alloc(0) }
}

// `*` matches any run of characters (also `/`): `@corp/*`, `left-pad`.
function globMatch (pattern, name) {
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')
  return re.test(name)
}

// Findings the way both modes give them: { level, rule, name, version, message, evidence }.
function fromAudit (r) {
  const out = []
  for (const p of r.packages) {
    if (p.status === 'verified' || p.status === 'unsigned') continue
    const why = (p.problems || [])[0]
    const problem = why ? `${why.code}: ${why.message}` : 'not verified'
    out.push({
      level: p.status === 'invalid' ? 'error' : 'warn',
      rule: p.status === 'invalid' ? 'audit/invalid' : 'audit/unverifiable',
      name: p.name,
      version: p.version || '',
      message: p.status === 'invalid' ? `failed verification: ${problem}` : `could not be verified: ${problem}`,
      evidence: (p.problems || []).slice(1, 4).map((x) => `${x.code}: ${x.message}`)
    })
  }
  return out
}

async function verify (o, root, lockfile) {
  counters.verifications++
  const pn = require('..')
  const base = { cwd: root, cache: o.cache }
  if (o.registry) base.registry = o.registry
  if (lockfile) base.lockfile = lockfile
  if (o.mode === 'audit') {
    const r = await pn.audit({ ...base, detail: 'brief' })
    const s = r.summary
    return {
      findings: fromAudit(r),
      skipped: [],
      summary: `audit of ${r.lockfile}: ${s.total} packages, ${s.verified} verified, ${s.unsigned} unsigned, ${s.invalid} invalid, ${s.unverifiable} unverifiable${s.cached ? ` (${s.cached} from the cache)` : ''}`
    }
  }
  const r = await pn.guard({ ...base, ...(o.policy ? { config: path.resolve(root, o.policy) } : {}) })
  const a = r.audit
  return {
    findings: r.findings,
    skipped: r.skipped,
    summary: `guard of ${r.lockfile} (policy ${r.config}): ${a.total} packages, ${a.verified} verified; ${r.errors} error(s), ${r.warnings} warning(s)`
  }
}

function formatFinding (f) {
  const ev = (f.evidence || []).map((e) => `\n    ${e}`).join('')
  return `${f.level === 'error' ? 'ERROR' : 'WARN'} ${f.rule} ${f.name}${f.version ? `@${f.version}` : ''}: ${f.message}${ev}`
}

// The check for `root` (memoised): { errors: string[], warnings: string[], summary, skipped,
// findings, allowed, watchFiles, lockfile, fresh }. Never rejects for a failed verification:
// a check that could not run is an error finding (fail closed), unless failOn is 'never'.
async function run (options, root) {
  const o = normalize(options)
  root = path.resolve(o.root || root || process.cwd())
  const lockfile = findLockfile(root)
  const policy = findPolicy(root, o.policy)
  const h = crypto.createHash('sha256')
  for (const part of [root, lockfile || '', lockfile ? readOrEmpty(lockfile) : '', policy || '', policy ? readOrEmpty(policy) : '',
    JSON.stringify([o.mode, o.cache, o.registry || '', o.policy || ''])]) {
    h.update(String(part.length)).update('\0').update(part)
  }
  const key = h.digest('hex')
  counters.lookups++
  let entry = memo.get(key)
  const fresh = !entry
  if (!entry) {
    entry = verify(o, root, lockfile).catch((e) => ({
      failed: true,
      findings: [{
        level: 'error',
        rule: 'check',
        name: path.basename(root),
        version: '',
        message: `prov-native could not check this project: ${e.code || 'error'}: ${e.message}`,
        evidence: ['nothing was verified: the build is not known to be safe']
      }],
      skipped: [],
      summary: 'check failed'
    }))
    memo.set(key, entry)
    if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value)
  }
  const r = await entry
  // A check that failed to run is tried again next time.
  if (r.failed && memo.get(key) === entry) memo.delete(key)
  const allowed = []
  const findings = []
  for (const f of r.findings) (o.allow.some((a) => globMatch(a, f.name)) ? allowed : findings).push(f)
  const errors = []
  const warnings = []
  for (const f of findings) {
    const text = `prov-native: ${formatFinding(f)}`
    if (o.failOn === 'never') warnings.push(text)
    else if (f.level === 'error' || o.failOn === 'warn') errors.push(text)
    else warnings.push(text)
  }
  return {
    errors,
    warnings,
    findings,
    allowed,
    skipped: r.skipped,
    summary: `prov-native: ${r.summary}${allowed.length ? `; ${allowed.length} allowed by the plugin's allow option` : ''}${notChecked(r.skipped)}`,
    lockfile,
    watchFiles: [lockfile, policy].filter(Boolean),
    fresh
  }
}

// What the check could not look at, for the summary (the report says what it skipped).
function notChecked (skipped) {
  if (!skipped || skipped.length === 0) return ''
  const first = skipped.slice(0, 3).join('; ')
  return `; not checked (${skipped.length}): ${first}${skipped.length > 3 ? '; …' : ''}`
}

// How many verifications (guard/audit calls) and lookups this process made.
function stats () {
  return { ...counters }
}

module.exports = { run, normalize, stats, findLockfile, formatFinding, globMatch, LOCKFILE_NAMES }
