'use strict'

// The SYNTHETIC attestation set for a lockfile: for every registry package version of an npm
// v2/v3 lockfile, the integrity the registry will serve, a registry signature and an attestation
// pair (SLSA v1 provenance + npm publish attestation) from the synthetic Sigstore instance in
// ./sigstore.js; plus two self-test packages with real (tiny) tarballs, for verify() end to end.
//
// Generated once per lockfile (and per version of these generator files) and cached in
// benchmark/synthetic/.cache/<key>/ with the synthetic trusted root and npm keys beside it:
//   set.json, synthetic-trusted_root.json, synthetic-npm-keys.json
// SYNTHETIC_REGENERATE=1 ignores the cache; SYNTHETIC_CACHE_DIR moves it.
//
// Lockfile entries whose integrity is sha1 only (old packages) cannot be bound to a sha512
// attestation subject without the tarball. The real registry serves a sha512 `dist.integrity` for
// them (and the sha1 as `dist.shasum`); so does this one: each gets a SYNTHETIC tarball (its
// package.json only), served by the registry, whose sha512 the attestations name. Such entries are
// marked `lockSha1Only` and carry `lockIntegrity` = that tarball's sha1: the benchmark audits a
// copy of the lockfile with those entries rewritten to it (`lockfileFor`).

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { createInstance, tgz, GENERATOR } = require('./sigstore')

const DEFAULT_LOCKFILE = path.resolve(__dirname, '../../testdata/data/lockfiles/npm-v3/jellyfin-web/package-lock.json')
const CACHE_ROOT = process.env.SYNTHETIC_CACHE_DIR || path.join(__dirname, '.cache')
const BASE_TIME = Date.parse('2025-03-01T00:00:00Z')

// Registry packages of an npm v2/v3 lockfile: entries with `resolved` (a registry tarball URL,
// `<registry>/<name>/-/<file>.tgz`) and `integrity`, one per name@version (aliases: the real name).
function registryPackages (lock) {
  const out = new Map()
  for (const [key, e] of Object.entries(lock.packages || {})) {
    if (!key || e.link || !e.resolved || !e.integrity) continue
    if (!/^https?:\/\/[^/]+\/.*\/-\/[^/]+\.tgz$/.test(e.resolved)) continue // git, github archive, file:
    const name = e.name || key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const id = `${name}@${e.version}`
    // One version may be locked with sha512 in one place and sha1 in another (ms@2.0.0 in
    // jellyfin-web): the registry serves one integrity, the strongest.
    const prev = out.get(id)
    if (!prev || (!/sha512-/.test(prev.lockIntegrity) && /sha512-/.test(e.integrity))) out.set(id, { name, version: e.version, lockIntegrity: e.integrity })
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1))
}

function generate (lock) {
  const inst = createInstance()
  const packages = []
  const responses = []
  registryPackages(lock).forEach((p, i) => {
    const t = BASE_TIME + i * 90000
    const hasSha512 = /(^|\s)sha512-/.test(p.lockIntegrity)
    let integrity = p.lockIntegrity
    let shasum
    let tarball
    let lockIntegrity = p.lockIntegrity
    if (!hasSha512) {
      const bytes = tgz({ 'package/package.json': JSON.stringify({ name: p.name, version: p.version, description: 'SYNTHETIC tarball for the prov-native benchmark' }) + '\n' })
      tarball = bytes.toString('base64')
      integrity = 'sha512-' + crypto.createHash('sha512').update(bytes).digest('base64')
      const sha1 = crypto.createHash('sha1').update(bytes)
      shasum = sha1.copy().digest('hex')
      lockIntegrity = 'sha1-' + sha1.digest('base64')
    }
    const a = inst.attest(p.name, p.version, integrity, t, { style: i % 2 })
    responses.push(a)
    packages.push({ ...p, lockSha1Only: !hasSha512 || undefined, lockIntegrity, integrity, shasum, tarball, time: new Date(t + 4000).toISOString(), signatures: a.signatures, attestations: a.attestations })
  })
  // Self-test packages with real tarballs, so that verify() can run end to end (download included).
  const selftest = [['synthetic-selftest', '1.0.0'], ['@synthetic/selftest', '2.0.0']].map(([name, version], i) => {
    const tarball = tgz({ 'package/package.json': JSON.stringify({ name, version, description: 'SYNTHETIC package for the prov-native benchmark', license: 'MIT' }, null, 2) + '\n' })
    const integrity = 'sha512-' + crypto.createHash('sha512').update(tarball).digest('base64')
    const t = BASE_TIME - (i + 1) * 86400000
    const a = inst.attest(name, version, integrity, t, { style: i % 2 })
    responses.push(a)
    return { name, version, integrity, shasum: crypto.createHash('sha1').update(tarball).digest('hex'), time: new Date(t + 4000).toISOString(), signatures: a.signatures, attestations: a.attestations, tarball: tarball.toString('base64') }
  })
  inst.finish(responses)
  return { generator: GENERATOR, synthetic: true, trustedRoot: inst.trustedRoot, npmKeys: inst.npmKeys, packages, selftest }
}

// The set for `lockfile` (path), from the cache or freshly generated (then cached).
function loadSet (lockfile = DEFAULT_LOCKFILE, { log = () => {} } = {}) {
  const lockText = fs.readFileSync(lockfile)
  const h = crypto.createHash('sha256').update(GENERATOR)
  for (const f of ['sigstore.js', 'set.js']) h.update(fs.readFileSync(path.join(__dirname, f)))
  const key = h.update(lockText).digest('hex').slice(0, 16)
  const dir = path.join(CACHE_ROOT, key)
  const files = { dir, set: path.join(dir, 'set.json'), trustedRoot: path.join(dir, 'synthetic-trusted_root.json'), npmKeys: path.join(dir, 'synthetic-npm-keys.json') }
  if (!process.env.SYNTHETIC_REGENERATE && fs.existsSync(files.set)) {
    const t = performance.now()
    const set = JSON.parse(fs.readFileSync(files.set, 'utf8'))
    log(`synthetic set: ${set.packages.length} package versions from cache ${path.relative(process.cwd(), dir)} (${(performance.now() - t).toFixed(0)} ms)`)
    return { ...set, files, cached: true }
  }
  const t = performance.now()
  const set = generate(JSON.parse(lockText))
  const ms = performance.now() - t
  fs.mkdirSync(dir, { recursive: true })
  const tmp = `${files.set}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(set))
  fs.renameSync(tmp, files.set)
  fs.writeFileSync(files.trustedRoot, JSON.stringify(set.trustedRoot, null, 2) + '\n')
  fs.writeFileSync(files.npmKeys, JSON.stringify(set.npmKeys, null, 2) + '\n')
  prune(dir)
  log(`synthetic set: ${set.packages.length} package versions generated in ${(ms / 1000).toFixed(1)} s, cached in ${path.relative(process.cwd(), dir)}`)
  return { ...set, files, cached: false, generateMs: ms }
}

// Keep the two most recently written sets (other lockfiles, earlier generator versions).
function prune (keep) {
  const dirs = fs.readdirSync(CACHE_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && path.join(CACHE_ROOT, d.name) !== keep)
    .map((d) => ({ dir: path.join(CACHE_ROOT, d.name), mtime: fs.statSync(path.join(CACHE_ROOT, d.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
  for (const d of dirs.slice(1)) fs.rmSync(d.dir, { recursive: true, force: true })
}

// The lockfile as the synthetic registry serves it: sha1-only entries carry the sha1 of their
// SYNTHETIC tarball. Returns the JSON text.
// A sha1-only entry of a version that is locked with sha512 elsewhere (ms@2.0.0 in jellyfin-web)
// gets that sha512, as a fresh npm install would write: the registry has no tarball to match its
// real sha1.
function lockfileFor (lock, set) {
  const sha1 = new Map(set.packages.map((p) => [`${p.name}@${p.version}`, p.lockSha1Only ? p.lockIntegrity : p.integrity]))
  const out = { ...lock, packages: {} }
  for (const [key, e] of Object.entries(lock.packages || {})) {
    const name = e.name || key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const i = key && !/(^|\s)sha512-/.test(e.integrity || '') && sha1.get(`${name}@${e.version}`)
    out.packages[key] = i ? { ...e, integrity: i } : e
  }
  return JSON.stringify(out, null, 2)
}

module.exports = { loadSet, lockfileFor, registryPackages, DEFAULT_LOCKFILE }
