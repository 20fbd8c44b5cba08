'use strict'

// audit() against the loopback fixture registry: statuses, lockfile integrity as evidence,
// the cache, failures that do not abort the run, and real lockfiles at scale.
//
// The lockfiles written here are SYNTHETIC (labelled so): an npm v3 lockfile naming fixture
// packages, because no real project depends on exactly the versions the fixtures cover.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { tmpdir, rejectsWith, project, fixture } = require('./helpers')
const { sarif, table } = require('../bin/format')

const DATA = path.resolve(__dirname, '../testdata/data')

let reg
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

// SYNTHETIC signing key (made here), in the /-/npm/v1/keys format.
function syntheticKey () {
  const crypto = require('node:crypto')
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const wire = Buffer.concat(['ecdsa-sha2-nistp256', 'nistp256', spki.subarray(spki.length - 65)].map((p) => {
    const b = Buffer.from(p)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }))
  const keyid = 'SHA256:' + crypto.createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')
  return {
    keyid,
    sign: (msg) => crypto.sign('sha256', Buffer.from(msg), privateKey).toString('base64'),
    keys: { keys: [{ keyid, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: spki.toString('base64'), expires: null }] }
  }
}

const byName = (result) => Object.fromEntries(result.packages.map((r) => [`${r.name}@${r.version}`, r]))

test('audit: statuses, skipped packages and the summary', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
  const seen = []
  const result = await pn.audit({ cwd: dir, cache: false, onProgress: (d, t) => seen.push([d, t]) })
  const r = byName(result)
  assert.equal(r['sigstore@1.0.0'].status, 'verified', JSON.stringify(r['sigstore@1.0.0'].problems))
  assert.equal(r['tuf-js@1.0.0'].status, 'verified')
  // sigstore@2.3.1: attestations verify, but the fixtures have no registry signature for it.
  assert.equal(r['sigstore@2.3.1'].checks.provenance, 'passed')
  assert.equal(r['sigstore@2.3.1'].status, 'unverifiable')
  assert.equal(result.summary.total, 4)
  assert.equal(result.summary.verified, 2)
  assert.equal(result.summary.unverifiable, 1)
  const git = result.summary.skipped.find((s) => s.name === 'from-git')
  assert.ok(git && /git dependency/.test(git.reason), JSON.stringify(result.summary.skipped))
  assert.ok(result.summary.skipped.some((s) => s.name === 'sigstore' && s.version === '2.3.1'))
  assert.equal(result.format, 'npm-v3')
  assert.ok(seen.length > 0 && seen.at(-1)[0] === 3 && seen.at(-1)[1] === 3, JSON.stringify(seen))
  assert.match(table(result), /2 verified/)
})

test('audit: a lockfile entry swapped to another tarball fails integrity', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'], (p) => {
    p['node_modules/sigstore'].integrity = p['node_modules/tuf-js'].integrity
  })
  const result = await pn.audit({ cwd: dir, cache: false })
  const r = byName(result)['sigstore@1.0.0']
  assert.equal(r.status, 'invalid')
  assert.equal(r.checks.integrity, 'failed')
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_INTEGRITY'))
  assert.equal(byName(result)['tuf-js@1.0.0'].status, 'verified')
})

test('audit: tarball bytes in the npm cache are evidence too', async () => {
  const dir = project(reg, ['sigstore@1.0.0'])
  const integrity = reg.packument('sigstore').versions['1.0.0'].dist.integrity
  const hex = Buffer.from(integrity.slice(7), 'base64').toString('hex')
  const file = path.join(dir, 'npm-cache', '_cacache', 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4))
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, Buffer.from(await (await fetch(reg.packument('sigstore').versions['1.0.0'].dist.tarball)).arrayBuffer()))
  const ok = byName(await pn.audit({ cwd: dir, cache: false }))['sigstore@1.0.0']
  assert.equal(ok.status, 'verified')
  assert.equal(ok.tarballIntegrity, integrity)
  fs.writeFileSync(file, 'corrupted bytes')
  const bad = byName(await pn.audit({ cwd: dir, cache: false }))['sigstore@1.0.0']
  assert.equal(bad.status, 'invalid')
  assert.equal(bad.checks.integrity, 'failed')
})

test('audit: a warm re-audit makes no request; a tampered entry only costs a re-check', async () => {
  const r2 = await startRegistry()
  try {
    const dir = project(r2, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    const cacheDir = path.join(dir, 'prov-cache')
    const cold = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(cold.summary.verified, 2)
    assert.equal(cold.summary.cached, 0)
    const n = r2.requests.length
    assert.ok(n > 0)
    const warm = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(r2.requests.length, n, 'no request on a warm re-audit')
    assert.equal(warm.summary.cached, 2)
    assert.deepEqual(warm.packages.map((p) => p.status), cold.packages.map((p) => p.status))
    // Offline, the cache still answers.
    const off = await pn.audit({ cwd: dir, cacheDir, offline: true })
    assert.equal(off.summary.verified, 2)

    const all = []
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : all.push(path.join(d, e.name)) }
    walk(path.join(cacheDir, 'v1'))
    const trees = all.filter((e) => e.includes(`${path.sep}trees${path.sep}`))
    const entries = all.filter((e) => !trees.includes(e))
    assert.equal(trees.length, 1, 'one whole-tree entry')
    assert.equal(entries.length, 2, 'one entry per package')
    // A tampered whole-tree entry is a miss: the per-package entries answer, still no request.
    for (const t of trees) fs.writeFileSync(t, fs.readFileSync(t, 'utf8').replace('"verified"', '"verifieD"'))
    const perPackage = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(perPackage.summary.verified, 2)
    assert.equal(perPackage.summary.cached, 2)
    assert.equal(r2.requests.length, n)

    // Tamper with every entry: each becomes a miss and is checked again.
    for (const t of trees) fs.rmSync(t)
    for (const e of entries) {
      const j = JSON.parse(fs.readFileSync(e, 'utf8'))
      j.report = j.report.replace('"integrity":"sha512-', '"integrity":"sha512-AAAA')
      fs.writeFileSync(e, JSON.stringify(j))
    }
    const again = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(again.summary.cached, 0)
    assert.equal(again.summary.verified, 2)
    assert.ok(r2.requests.length > n)

    // Offline without a usable cache: unverifiable, never verified.
    const cold2 = await pn.audit({ cwd: dir, cache: false, offline: true })
    assert.equal(cold2.summary.verified, 0)
    assert.equal(cold2.summary.unverifiable, 2)
  } finally { await r2.close() }
})

// SYNTHETIC lockfile entries locked with sha1 only (as old npm v1 lockfiles are): nothing in the
// lockfile names the sha512 the attestations bind, so the tarball is downloaded and must match both.
test('audit: a sha1-only lockfile entry is checked through the tarball bytes, and cached', async () => {
  const r2 = await startRegistry()
  try {
    const sha1 = async (name, version) => {
      const buf = Buffer.from(await (await fetch(r2.packument(name).versions[version].dist.tarball)).arrayBuffer())
      return 'sha1-' + require('node:crypto').createHash('sha1').update(buf).digest('base64')
    }
    const good = await sha1('sigstore', '1.0.0')
    const other = await sha1('tuf-js', '1.0.0')
    const dir = project(r2, ['sigstore@1.0.0'], (p) => { p['node_modules/sigstore'].integrity = good })
    const cacheDir = path.join(dir, 'prov-cache')
    const cold = byName(await pn.audit({ cwd: dir, cacheDir }))['sigstore@1.0.0']
    assert.equal(cold.status, 'verified', JSON.stringify([cold.problems, cold.skipped]))
    assert.equal(cold.tarballIntegrity, r2.packument('sigstore').versions['1.0.0'].dist.integrity)
    assert.ok(r2.requests.some((q) => /\.tgz$/.test(q.url)), 'the tarball was downloaded')
    const n = r2.requests.length
    const warm = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(warm.summary.cached, warm.packages.length)
    assert.equal(r2.requests.length, n, 'no request on a warm re-audit')

    const swapped = project(r2, ['sigstore@1.0.0'], (p) => { p['node_modules/sigstore'].integrity = other })
    const bad = byName(await pn.audit({ cwd: swapped, cache: false }))['sigstore@1.0.0']
    assert.equal(bad.status, 'invalid')
    assert.equal(bad.checks.integrity, 'failed')
    assert.ok(bad.problems.some((p) => p.code === 'ERR_PROV_INTEGRITY'), JSON.stringify(bad.problems))
  } finally { await r2.close() }
})

// SYNTHETIC yarn berry lockfile over fixture packages: berry records only yarn's own archive
// checksum, so the tarball is downloaded and hashed, the report says so, and the verdict is
// cached under that checksum.
test('audit: yarn berry entries are downloaded, say what the checksum could not prove, and cache', async () => {
  const r2 = await startRegistry()
  try {
    const dir = tmpdir()
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synthetic-berry', version: '1.0.0', dependencies: { sigstore: '1.0.0' } }))
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${r2.url}\n`)
    fs.writeFileSync(path.join(dir, 'yarn.lock'), [
      '# This file is generated by running "yarn install" inside your project.',
      '# Manual changes might be lost - proceed with caution!',
      '',
      '__metadata:',
      '  version: 8',
      '  cacheKey: 10c0',
      '',
      '"sigstore@npm:1.0.0":',
      '  version: 1.0.0',
      '  resolution: "sigstore@npm:1.0.0"',
      '  checksum: 10c0/' + 'ab'.repeat(64),
      '  languageName: node',
      '  linkType: hard',
      '',
      '"synthetic-berry@workspace:.":',
      '  version: 0.0.0-use.local',
      '  resolution: "synthetic-berry@workspace:."',
      '  dependencies:',
      '    sigstore: "npm:1.0.0"',
      '  languageName: unknown',
      '  linkType: soft',
      ''
    ].join('\n'))
    const cacheDir = path.join(dir, 'prov-cache')
    const result = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(result.format, 'yarn-berry')
    const r = byName(result)['sigstore@1.0.0']
    assert.equal(r.status, 'verified', JSON.stringify([r.problems, r.skipped]))
    assert.ok(r.skipped.some((s) => s.check === 'lockfile' && /checksum/.test(s.reason)), JSON.stringify(r.skipped))
    const n = r2.requests.length
    const warm = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(warm.summary.cached, 1)
    assert.equal(r2.requests.length, n, 'no request on a warm re-audit')
  } finally { await r2.close() }
})

test('audit: a warm re-audit re-checks only what was not verified', async () => {
  const r2 = await startRegistry({ status: { '/tuf-js': 500 } })
  try {
    const dir = project(r2, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    const cacheDir = path.join(dir, 'prov-cache')
    const cold = byName(await pn.audit({ cwd: dir, cacheDir }))
    assert.equal(cold['sigstore@1.0.0'].status, 'verified')
    assert.equal(cold['tuf-js@1.0.0'].status, 'unverifiable')
    const n = r2.requests.length
    const warm = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(warm.summary.cached, 1)
    assert.equal(byName(warm)['sigstore@1.0.0'].status, 'verified')
    assert.equal(byName(warm)['tuf-js@1.0.0'].status, 'unverifiable')
    const again = r2.requests.slice(n).map((q) => q.url)
    assert.ok(again.length > 0 && again.every((u) => !/sigstore/.test(u)), JSON.stringify(again))
    assert.ok(again.some((u) => /tuf-js/.test(u)), JSON.stringify(again))
  } finally { await r2.close() }
})

test('audit: packuments are revalidated with If-None-Match', async () => {
  const r2 = await startRegistry()
  try {
    const dir = project(r2, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    const cacheDir = path.join(dir, 'prov-cache')
    await pn.audit({ cwd: dir, cacheDir })
    // Drop the verdicts, keep the packuments: the next run must ask again, conditionally.
    fs.rmSync(path.join(cacheDir, 'v1'), { recursive: true })
    const n = r2.requests.length
    const again = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(again.summary.verified, 2)
    const docs = r2.requests.slice(n).filter((q) => q.url === '/sigstore' || q.url === '/tuf-js')
    assert.equal(docs.length, 2, JSON.stringify(docs.map((q) => q.url)))
    assert.ok(docs.every((q) => q.headers['if-none-match'] && q.status === 304), JSON.stringify(docs.map((q) => [q.url, q.status])))
  } finally { await r2.close() }
})

test('audit: 500 and 429 are retried (Retry-After honoured); the package still verifies', async () => {
  const r2 = await startRegistry({ fail: { '/tuf-js': { times: 1, status: 500 }, '/sigstore': { times: 1, status: 429, retryAfter: 1 } } })
  try {
    const dir = project(r2, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    const result = byName(await pn.audit({ cwd: dir, cache: false }))
    assert.equal(result['tuf-js@1.0.0'].status, 'verified', JSON.stringify(result['tuf-js@1.0.0'].problems))
    assert.equal(result['sigstore@1.0.0'].status, 'verified', JSON.stringify(result['sigstore@1.0.0'].problems))
    assert.deepEqual(r2.requests.filter((q) => q.url === '/tuf-js').map((q) => q.status), [500, 200])
    assert.deepEqual(r2.requests.filter((q) => q.url === '/sigstore').map((q) => q.status), [429, 200])
  } finally { await r2.close() }
})

test('audit: fetch-timeout and fetch-retries from .npmrc; a slow package is unverifiable, the rest verify', async () => {
  const r2 = await startRegistry({ delay: { '/tuf-js': 3000 } })
  try {
    const dir = project(r2, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    fs.appendFileSync(path.join(dir, '.npmrc'), 'fetch-timeout=500\nfetch-retries=0\n')
    const result = byName(await pn.audit({ cwd: dir, cache: false }))
    assert.equal(result['sigstore@1.0.0'].status, 'verified')
    const slow = result['tuf-js@1.0.0']
    assert.equal(slow.status, 'unverifiable')
    assert.ok(slow.problems.some((p) => p.code === 'ERR_PROV_NETWORK'), JSON.stringify(slow.problems))
    assert.equal(r2.requests.filter((q) => q.url === '/tuf-js').length, 1, 'fetch-retries=0: one attempt')
  } finally { await r2.close() }
})

test('audit: abbreviated packuments where they suffice, the full one when a publish time is needed', async () => {
  const k = syntheticKey()
  const r2 = await startRegistry({
    abbreviated: true,
    keys: k.keys,
    // tuf-js@1.0.0 re-signed with a SYNTHETIC key that never expires: no publish time needed.
    overrides: { 'tuf-js': (doc) => { const d = doc.versions['1.0.0'].dist; d.signatures = [{ keyid: k.keyid, sig: k.sign(`tuf-js@1.0.0:${d.integrity}`) }] } }
  })
  try {
    const dir = project(r2, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    const keys = { keys: [...JSON.parse(fs.readFileSync(fixture('keys/npm-registry-keys.json'), 'utf8')).keys, ...k.keys.keys] }
    const result = byName(await pn.audit({ cwd: dir, cache: false, npmKeys: JSON.stringify(keys) }))
    assert.equal(result['tuf-js@1.0.0'].status, 'verified', JSON.stringify(result['tuf-js@1.0.0'].problems))
    assert.equal(result['sigstore@1.0.0'].status, 'verified', JSON.stringify(result['sigstore@1.0.0'].problems))
    const accepts = (u) => r2.requests.filter((q) => q.url === u).map((q) => /install-v1/.test(q.headers.accept) ? 'abbreviated' : 'full')
    assert.deepEqual(accepts('/tuf-js'), ['abbreviated'])
    // sigstore@1.0.0 is signed by npm's old key, which expired: its publish time is needed.
    assert.deepEqual(accepts('/sigstore'), ['abbreviated', 'full'])
  } finally { await r2.close() }
})

test('audit: a cache directory copied from elsewhere vouches for nothing', async () => {
  const r2 = await startRegistry()
  const saved = { XDG_STATE_HOME: process.env.XDG_STATE_HOME, PROV_NATIVE_CACHE_SECRET: process.env.PROV_NATIVE_CACHE_SECRET }
  const restore = () => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v } }
  try {
    const dir = project(r2, ['sigstore@1.0.0'], (p) => { delete p['node_modules/from-git'] })
    const cacheDir = path.join(dir, 'prov-cache')
    process.env.XDG_STATE_HOME = path.join(dir, 'state-a')
    delete process.env.PROV_NATIVE_CACHE_SECRET
    assert.equal((await pn.audit({ cwd: dir, cacheDir })).summary.verified, 1)
    assert.ok(!fs.readdirSync(cacheDir).includes('secret'), 'the secret is not kept in the cache directory')
    // Another machine (another user state): the same directory is only misses.
    process.env.XDG_STATE_HOME = path.join(dir, 'state-b')
    let n = r2.requests.length
    const other = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(other.summary.cached, 0)
    assert.ok(r2.requests.length > n)
    // A shared CI secret makes a restored cache count.
    process.env.PROV_NATIVE_CACHE_SECRET = 'ci-secret'
    await pn.audit({ cwd: dir, cacheDir })
    process.env.XDG_STATE_HOME = path.join(dir, 'state-c')
    n = r2.requests.length
    const ci = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(ci.summary.cached, 1)
    assert.equal(r2.requests.length, n)
  } finally {
    restore()
    await r2.close()
  }
})

test('audit: bundled dependencies are checked with their parent, not fetched', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/sigstore/node_modules/tuf-js'] = { version: '1.0.0', inBundle: true }
  })
  const result = await pn.audit({ cwd: dir, cache: false })
  const b = result.summary.skipped.find((x) => x.name === 'tuf-js')
  assert.ok(b && /bundled inside sigstore/.test(b.reason), JSON.stringify(result.summary.skipped))
  assert.ok(!result.packages.some((r) => r.name === 'tuf-js'))
})

test('audit: without a lockfile, node_modules/.package-lock.json is read', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => { delete p['node_modules/from-git'] })
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.renameSync(path.join(dir, 'package-lock.json'), path.join(dir, 'node_modules', '.package-lock.json'))
  const result = await pn.audit({ cwd: dir, cache: false })
  assert.equal(result.format, 'npm-v3')
  assert.match(result.lockfile, /\.package-lock\.json$/)
  assert.equal(result.summary.verified, 1)
})

test('audit: a lockfile sha512 the registry cannot confirm is checked against the bytes', async () => {
  // The registry gives sha1 only; the lockfile adds a sha512 of other bytes. Agreeing on sha1
  // proves nothing about the sha512 the package manager will enforce.
  const crypto = require('node:crypto')
  const r2 = await startRegistry({ overrides: { sigstore: (doc) => { delete doc.versions['1.0.0'].dist.integrity } } })
  try {
    const shasum = r2.packument('sigstore').versions['1.0.0'].dist.shasum
    const sha1 = 'sha1-' + Buffer.from(shasum, 'hex').toString('base64')
    const evil = 'sha512-' + crypto.createHash('sha512').update('other bytes').digest('base64')
    const dir = project(r2, ['sigstore@1.0.0'], (p) => { p['node_modules/sigstore'].integrity = `${evil} ${sha1}` })
    const r = byName(await pn.audit({ cwd: dir, cache: false }))['sigstore@1.0.0']
    assert.equal(r.status, 'invalid', JSON.stringify(r.problems))
    assert.equal(r.checks.integrity, 'failed')
  } finally { await r2.close() }
})

test('audit: a lockfile entry resolved to another version\'s tarball is invalid', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'sigstore@2.3.1'], (p) => {
    const other = Object.keys(p).find((k) => k.endsWith('node_modules/sigstore') && p[k].version === '2.3.1')
    p['node_modules/sigstore'].resolved = p[other].resolved
  })
  const r = byName(await pn.audit({ cwd: dir, cache: false }))['sigstore@1.0.0']
  assert.equal(r.status, 'invalid')
  assert.ok(r.problems.some((x) => x.code === 'ERR_PROV_INTEGRITY' && /resolves it to the tarball of 2\.3\.1/.test(x.message)), JSON.stringify(r.problems))
})

test('audit: a planted packument in the cache is not used', async () => {
  const r2 = await startRegistry()
  try {
    const dir = project(r2, ['sigstore@1.0.0'], (p) => { delete p['node_modules/from-git'] })
    const cacheDir = path.join(dir, 'prov-cache')
    await pn.audit({ cwd: dir, cacheDir })
    const docs = path.join(cacheDir, 'packuments')
    const files = fs.readdirSync(docs)
    assert.ok(files.length > 0)
    // Same ETag (public), another body: the MAC fails, so the registry is asked for the body.
    for (const f of files) {
      const t = fs.readFileSync(path.join(docs, f), 'utf8')
      fs.writeFileSync(path.join(docs, f), t.replace('"1.0.0"', '"1.0.0-planted"'))
    }
    fs.rmSync(path.join(cacheDir, 'v1'), { recursive: true })
    const n = r2.requests.length
    const again = await pn.audit({ cwd: dir, cacheDir })
    assert.equal(again.summary.verified, 1)
    const doc = r2.requests.slice(n).find((q) => q.url === '/sigstore')
    assert.ok(doc && doc.status === 200 && !doc.headers['if-none-match'], JSON.stringify(doc))
  } finally { await r2.close() }
})

test('audit: 404 and 500 never abort the run', async () => {
  const bad = await startRegistry({ status: { '/tuf-js': 500 } })
  try {
    const dir = project(bad, ['sigstore@1.0.0', 'tuf-js@1.0.0'], (p) => {
      p['node_modules/no-such-package'] = { version: '1.0.0', resolved: `${bad.url}no-such-package/-/no-such-package-1.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
    })
    const result = await pn.audit({ cwd: dir, cache: false })
    const r = byName(result)
    assert.equal(r['sigstore@1.0.0'].status, 'verified')
    assert.equal(r['tuf-js@1.0.0'].status, 'unverifiable')
    assert.ok(r['tuf-js@1.0.0'].problems.some((p) => p.code === 'ERR_PROV_NETWORK'))
    assert.notEqual(r['no-such-package@1.0.0'].status, 'verified')
    assert.ok(r['no-such-package@1.0.0'].problems.some((p) => p.code === 'ERR_PROV_NOT_FOUND'))
  } finally { await bad.close() }
})

test('audit: an unreachable registry fails fast, each package unverifiable with the reason', async () => {
  const net = require('node:net')
  const port = await new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) }) })
  const dir = tmpdir()
  const names = ['a', 'b', 'c', 'd', 'e', 'f']
  const packages = { '': { name: 'synthetic-app', version: '1.0.0' } }
  for (const n of names) packages[`node_modules/synthetic-${n}`] = { version: '1.0.0', integrity: 'sha512-' + Buffer.alloc(64, n).toString('base64') }
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'synthetic-app', lockfileVersion: 3, packages }))
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=http://127.0.0.1:${port}/\n`)
  const result = await pn.audit({ cwd: dir, cache: false, concurrency: 1 })
  assert.equal(result.summary.unverifiable, names.length)
  const reasons = result.packages.map((p) => p.problems[0].message)
  assert.ok(result.packages.every((p) => p.problems[0].code === 'ERR_PROV_NETWORK'))
  assert.ok(reasons.some((m) => /unreachable .*not trying again/.test(m)), JSON.stringify(reasons))
})

test('audit: SARIF 2.1.0 names each finding with its rule and lockfile line', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'sigstore@2.3.1'])
  const result = await pn.audit({ cwd: dir, cache: false })
  const s = sarif(result, { cwd: dir })
  assert.equal(s.version, '2.1.0')
  const run = s.runs[0]
  assert.equal(run.tool.driver.name, 'prov-native')
  const ids = new Set(run.tool.driver.rules.map((r) => r.id))
  for (const res of run.results) {
    assert.ok(ids.has(res.ruleId))
    assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'package-lock.json')
    assert.ok(res.locations[0].physicalLocation.region.startLine > 1)
  }
  assert.ok(run.results.some((r) => r.level === 'warning' && /sigstore@2\.3\.1/.test(r.message.text)))
  assert.ok(run.results.some((r) => r.ruleId === 'ERR_PROV_NOT_VERIFIABLE' && /from-git/.test(r.message.text)))
})

test('SARIF: two versions of one name point at their own lockfile entries', () => {
  const dir = tmpdir()
  const lockfile = path.join(dir, 'package-lock.json')
  fs.writeFileSync(lockfile, JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { version: '1.0.0' }, 'node_modules/b/node_modules/a': { version: '2.0.0' } } }, null, 2))
  const bad = (version) => ({ name: 'a', version, status: 'invalid', problems: [{ code: 'ERR_PROV_INTEGRITY', message: 'x' }] })
  const s = sarif({ lockfile, summary: { skipped: [] }, packages: [bad('1.0.0'), bad('2.0.0')] }, { cwd: dir })
  const lines = fs.readFileSync(lockfile, 'utf8').split('\n')
  const at = s.runs[0].results.map((r) => r.locations[0].physicalLocation.region.startLine)
  assert.match(lines[at[0] - 1], /"node_modules\/a"/)
  assert.match(lines[at[1] - 1], /"node_modules\/b\/node_modules\/a"/)
})

test('audit: bad input is a coded rejection', async () => {
  await rejectsWith(pn.audit({ cwd: tmpdir() }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.audit({ concurrency: 0 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.audit({ onProgress: 5 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.audit('x'), 'ERR_PROV_INVALID_ARG')
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {')
  await assert.rejects(pn.audit({ cwd: dir }), (e) => /^ERR_PROV_/.test(e.code))
})

// Real lockfiles, every format, offline against an empty cache: every registry package is
// reported (unverifiable), nothing aborts. Counts are checked in crates/core/tests/lockfiles.rs.
// Entry counts as the package managers' own readers give them (crates/core/tests/lockfiles.rs says how).
for (const [rel, entries] of Object.entries({
  'npm-v1/uptime-kuma': 1206,
  'npm-v2/uptime-kuma': 1220,
  'npm-v3/jellyfin-web': 1631,
  'yarn-v1/excalidraw': 1441,
  'yarn-berry/prettier': 1049,
  'pnpm-v5.4/vue-core': 755,
  'pnpm-v6/vue-core': 730,
  'pnpm-v9/vue-core': 620,
  'pnpm-v9-multidoc/vue-core': 700,
  'bun/hono': 1012
})) {
  test(`audit: real lockfile ${rel}, offline`, async () => {
    const dir = path.join(DATA, 'lockfiles', rel)
    assert.ok(fs.existsSync(dir), `missing data ${dir}`)
    const result = await pn.audit({ cwd: dir, offline: true, cache: false, registry: reg.url })
    assert.ok(result.summary.total > 100, `${rel}: ${result.summary.total}`)
    assert.equal(result.summary.total, entries, rel)
    assert.equal(result.summary.verified, 0)
    const shared = result.summary.skippedReasons.reduce((n, r) => n + r.count, 0)
    assert.equal(result.packages.length + result.summary.skipped.length + shared - result.summary.unverifiable, result.summary.total)
  })
}

// Verdaccio as the primary registry, proxying a mirror that strips signatures and
// attestations; attestations (and signatures) come from a second registry.
test('audit: Verdaccio as the registry, attestations from a second source', async () => {
  const { startVerdaccio } = require('./verdaccio')
  const mirror = await startRegistry({ mirror: true })
  const vd = await startVerdaccio(mirror.url)
  try {
    const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${vd.url}\n`)
    const plain = await pn.audit({ cwd: dir, cache: false })
    assert.equal(plain.summary.verified, 0)
    assert.equal(plain.packages[0].registry, vd.url)
    assert.ok(plain.packages.every((p) => p.status === 'unverifiable' && p.problems.some((x) => x.code === 'ERR_PROV_ATTESTATIONS_UNAVAILABLE')))

    const result = await pn.audit({ cwd: dir, cache: false, attestationsRegistry: reg.url })
    const r = byName(result)
    assert.equal(r['sigstore@1.0.0'].status, 'verified', JSON.stringify(r['sigstore@1.0.0'].problems))
    assert.equal(r['tuf-js@1.0.0'].status, 'verified')
    assert.equal(r['sigstore@2.3.1'].checks.provenance, 'passed')
    assert.equal(r['sigstore@1.0.0'].registry, vd.url)
  } finally {
    await vd.close()
    await mirror.close()
  }
})
