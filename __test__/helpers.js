'use strict'

// Shared test helpers: fixture access and bundle tampering. Fixtures are the real data in
// testdata/fixtures (see its README); a missing fixture fails the test, it never skips.

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { fixturesDir } = require('./registry')

const FIX = fixturesDir()

// Under `npm test`, npm exports its own configuration (npm_config_cache, …) and INIT_CWD to the
// test process; npm's precedence puts that environment above a project's .npmrc. The tests
// build projects with their own .npmrc, so they run without it (child processes inherit this).
for (const k of Object.keys(process.env)) {
  if (/^npm_config_/i.test(k) || k === 'INIT_CWD') delete process.env[k]
}

function fixture (rel) {
  const file = path.join(FIX, rel)
  assert.ok(fs.existsSync(file), `fixture missing: ${file}`)
  return file
}

function fixtureJson (rel) {
  return JSON.parse(fs.readFileSync(fixture(rel), 'utf8'))
}

function sha512Hex (buf) {
  return crypto.createHash('sha512').update(buf).digest('hex')
}

function sri (buf) {
  return 'sha512-' + crypto.createHash('sha512').update(buf).digest('base64')
}

// Flip one bit of a base64 field, in place.
function flipB64 (obj, key, at = 8) {
  const b = Buffer.from(obj[key], 'base64')
  b[at % b.length] ^= 0x01
  obj[key] = b.toString('base64')
}

function clone (v) {
  return JSON.parse(JSON.stringify(v))
}

// An empty directory, so no project .npmrc applies.
function tmpdir () {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-test-'))
}

// The attestation of a given kind inside an attestations response.
function pick (response, kind) {
  const want = kind === 'publish' ? /npm\/attestation/ : /slsa\.dev\/provenance/
  const a = response.attestations.find((x) => want.test(x.predicateType))
  assert.ok(a, `no ${kind} attestation`)
  return a
}

async function rejectsWith (promise, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, 'rejects with an Error')
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`)
    return true
  })
}

// A SYNTHETIC npm tarball (ustar + gzip) holding `files` ({ 'package.json': '...', ... })
// under `package/`. Test-only: real tarballs come from the fixtures.
function makeTgz (files) {
  const zlib = require('node:zlib')
  const blocks = []
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content)
    const h = Buffer.alloc(512)
    h.write(`package/${name}`, 0, 100)
    h.write('0000644\0', 100)
    h.write('0000000\0', 108)
    h.write('0000000\0', 116)
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124)
    h.write('00000000000\0', 136)
    h.write('        ', 148)
    h.write('0', 156)
    h.write('ustar\0', 257)
    h.write('00', 263)
    let sum = 0
    for (const b of h) sum += b
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return zlib.gzipSync(Buffer.concat(blocks))
}

// SYNTHETIC npm v3 lockfile over fixture packages; `edit(entries)` may change entries.
function project (registry, pkgs, edit) {
  const path = require('node:path')
  const dir = tmpdir()
  const packages = { '': { name: 'synthetic-app', version: '1.0.0', dependencies: {} } }
  for (const spec of pkgs) {
    const at = spec.lastIndexOf('@')
    const name = spec.slice(0, at)
    const version = spec.slice(at + 1)
    const doc = registry.packument(name)
    const m = doc.versions[version]
    // A second version of a name is installed nested, as npm would.
    const key = packages[`node_modules/${name}`] ? `node_modules/nested-${version}/node_modules/${name}` : `node_modules/${name}`
    if (key === `node_modules/${name}`) packages[''].dependencies[name] = version
    packages[key] = { version, resolved: m.dist.tarball, integrity: m.dist.integrity }
  }
  packages['node_modules/from-git'] = {
    version: '1.0.0',
    resolved: 'git+ssh://git@github.com/example/from-git.git#0123456789abcdef0123456789abcdef01234567',
    license: 'MIT'
  }
  packages[''].dependencies['from-git'] = 'github:example/from-git'
  if (edit) edit(packages)
  const lock = { name: 'synthetic-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synthetic-app', version: '1.0.0', dependencies: packages[''].dependencies }))
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${registry.url}\ncache=${path.join(dir, 'npm-cache')}\n`)
  return dir
}


module.exports = { project, makeTgz, FIX, fixture, fixtureJson, sha512Hex, sri, flipB64, clone, tmpdir, pick, rejectsWith }
