'use strict'

// The prov-native command line, run as a child process.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { test, before, after } = require('node:test')

const { startRegistry } = require('./registry')
const { fixture, tmpdir } = require('./helpers')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const cwd = tmpdir()

function run (args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd }, (err, stdout, stderr) => {
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
