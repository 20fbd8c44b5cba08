'use strict'

// The prov-native command line, run as a child process.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { test, before, after } = require('node:test')

const { startRegistry } = require('./registry')
const fs = require('node:fs')
const { fixture, tmpdir, project } = require('./helpers')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const cwd = tmpdir()

function run (args, dir = cwd) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr })
    })
  })
}

let reg, mirror
before(async () => {
  reg = await startRegistry()
  mirror = await startRegistry({ mirror: true })
})
after(async () => {
  await reg.close()
  await mirror.close()
})

test('verify: exit 0 when every spec verified; --json has the API field names', async () => {
  const r = await run(['verify', 'sigstore@1.0.0', 'tuf-js@1.0.0', '--registry', reg.url, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const reports = JSON.parse(r.stdout)
  assert.equal(reports.length, 2)
  for (const rep of reports) {
    assert.equal(rep.status, 'verified')
    assert.deepEqual(rep.problems, [])
    for (const k of ['spec', 'name', 'version', 'status', 'provenance', 'problems', 'skipped', 'checks', 'registrySignature']) assert.ok(k in rep, k)
    assert.ok(rep.provenance.sourceRepository)
  }
})

test('verify: human output names the source and the verdict', async () => {
  const r = await run(['verify', 'sigstore@1.0.0', '--registry', reg.url])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /verified\s+sigstore@1\.0\.0/)
  assert.match(r.stdout, /source\s+https:\/\/github\.com\/sigstore\/sigstore-js@[0-9a-f]{12}/)
  assert.match(r.stdout, /1 of 1 verified/)
})

test('verify: exit 1 when any spec is not verified, with the reason', async () => {
  const r = await run(['verify', 'sigstore@1.0.0', '--registry', mirror.url])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /unverifiable/)
  assert.match(r.stdout, /ERR_PROV_ATTESTATIONS_UNAVAILABLE/)
})

test('verify: attestations from another registry or a file', async () => {
  const a = await run(['verify', 'sigstore@1.0.0', '--registry', mirror.url, '--attestations-registry', reg.url, '--json'])
  assert.equal(a.code, 0, a.stdout)
  const f = await run(['verify', 'sigstore@1.0.0', '--registry', reg.url, '--attestations', fixture('attestations/sigstore-1.0.0.json'),
    '--tarball', fixture('tarballs/sigstore-1.0.0.tgz'), '--json'])
  assert.equal(f.code, 0, f.stdout)
  assert.equal(JSON.parse(f.stdout)[0].attestationsSource, fixture('attestations/sigstore-1.0.0.json'))
})

test('usage and configuration errors exit 2', async () => {
  for (const args of [
    [],
    ['verify'],
    ['frobnicate'],
    ['verify', 'sigstore@1.0.0', '--no-such-flag'],
    ['verify', 'a@1', 'b@1', '--tarball', 'x.tgz'],
    ['verify', 'sigstore@1.0.0', '--registry', reg.url, '--trusted-root', path.join(cwd, 'missing.json')],
    ['verify', 'sigstore@1.0.0', '--registry', 'not a url']
  ]) {
    const r = await run(args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    if (args.length) assert.match(r.stderr, /ERR_PROV_/)
  }
  const h = await run(['--help'])
  assert.equal(h.code, 0)
  assert.match(h.stdout, /Usage:/)
})

test('verify: a malformed --attestations file exits 2; the other specs are still reported', async () => {
  const bad = path.join(tmpdir(), 'bad.json')
  fs.writeFileSync(bad, '{"attestations": [')
  const r = await run(['verify', 'sigstore@1.0.0', '--registry', reg.url, '--attestations', bad])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /ERR_PROV_JSON/)
  const two = await run(['verify', 'tuf-js@1.0.0', 'not a spec!!', '--registry', reg.url])
  assert.equal(two.code, 2, two.stderr)
  assert.match(two.stdout, /verified\s+tuf-js@1\.0\.0/)
  assert.match(two.stderr, /ERR_PROV_SPEC/)
})

// --- audit --------------------------------------------------------------------------------

test('audit: exit 0 when every package verified, table with a summary line, nothing on stderr without a TTY', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'], (p) => { delete p['node_modules/from-git'] })
  const r = await run(['audit', '--no-cache'], dir)
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /VERIFIED \(2\)/)
  assert.match(r.stdout, /2 packages: 2 verified, 0 unsigned, 0 invalid, 0 unverifiable/)
  assert.equal(r.stderr, '', 'no progress bar when stderr is not a TTY')
})

test('audit: exit 1 on findings; --json and --sarif are valid documents', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'sigstore@2.3.1'])
  const t = await run(['audit', '--no-cache'], dir)
  assert.equal(t.code, 1)
  assert.match(t.stdout, /UNVERIFIABLE \(1\)/)
  assert.match(t.stdout, /NOT FROM A REGISTRY \(1\)/)
  const j = await run(['audit', '--no-cache', '--json'], dir)
  assert.equal(j.code, 1)
  const result = JSON.parse(j.stdout)
  for (const k of ['lockfile', 'format', 'summary', 'packages']) assert.ok(k in result, k)
  assert.equal(result.summary.total, 3)
  assert.equal(result.summary.verified, 1)
  const s = await run(['audit', '--no-cache', '--format', 'sarif'], dir)
  assert.equal(s.code, 1)
  const sarif = JSON.parse(s.stdout)
  assert.equal(sarif.version, '2.1.0')
  assert.ok(sarif.runs[0].results.length >= 2)
  // --strict: unsigned counts too; here nothing is unsigned, so the code is the same.
  assert.equal((await run(['audit', '--no-cache', '--strict'], dir)).code, 1)
})

test('audit: --cache-dir, then --offline answers from the cache', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => { delete p['node_modules/from-git'] })
  const cache = path.join(dir, 'c')
  assert.equal((await run(['audit', '--cache-dir', cache], dir)).code, 0)
  assert.ok(fs.existsSync(path.join(cache, 'v1')))
  const off = await run(['audit', '--cache-dir', cache, '--offline', '--json'], dir)
  assert.equal(off.code, 0, off.stdout)
  assert.equal(JSON.parse(off.stdout).summary.cached, 1)
  const cold = await run(['audit', '--no-cache', '--offline'], dir)
  assert.equal(cold.code, 1)
})

test('audit: usage and configuration errors exit 2', async () => {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {')
  for (const args of [
    ['audit', '--concurrency', '0'],
    ['audit', '--format', 'xml'],
    ['audit', 'a', 'b'],
    ['audit', '--no-cache'], // malformed lockfile
    ['audit', path.join(dir, 'missing')]
  ]) {
    const r = await run(args, dir)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout} ${r.stderr}`)
    assert.match(r.stderr, /ERR_PROV_/)
  }
})
