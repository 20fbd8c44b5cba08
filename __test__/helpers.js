'use strict'

// Shared test helpers: fixture access and bundle tampering. Fixtures are the real data in
// ../shared/fixtures (see its README); a missing fixture fails the test, it never skips.

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { fixturesDir } = require('./registry')

const FIX = fixturesDir()

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

module.exports = { FIX, fixture, fixtureJson, sha512Hex, sri, flipB64, clone, tmpdir, pick, rejectsWith }
