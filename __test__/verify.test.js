'use strict'

// verify() end to end against the loopback fixture registry (./registry.js): the verified
// path, the mirror path, and one test per check where only that check fails.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { fixture, fixtureJson, clone, flipB64, tmpdir, pick, rejectsWith, sri } = require('./helpers')

const cwd = tmpdir()
let reg
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

const CHECKS = ['resolve', 'integrity', 'registrySignature', 'publishAttestation', 'provenance', 'transparencyLog']

function states (report) {
  return Object.fromEntries(CHECKS.map((c) => [c, report.checks[c]]))
}

// Every check passed except `failed`, which failed; the others are passed or (for checks that
// depend on a failed bundle) skipped — never failed.
function onlyFailed (report, failed) {
  for (const c of CHECKS) {
    if (c === failed) assert.equal(report.checks[c], 'failed', `${c} should fail: ${JSON.stringify(report.problems)}`)
    else assert.notEqual(report.checks[c], 'failed', `${c} should not fail: ${JSON.stringify(report.problems)}`)
  }
  assert.equal(report.status, 'invalid')
}

test('sigstore@1.0.0 verifies end to end, with provenance facts', async () => {
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd })
  assert.equal(r.status, 'verified', JSON.stringify(r.problems))
  assert.deepEqual(r.problems, [])
  assert.deepEqual(r.skipped, [])
  assert.ok(CHECKS.every((c) => r.checks[c] === 'passed'), JSON.stringify(states(r)))
  assert.equal(r.name, 'sigstore')
  assert.equal(r.version, '1.0.0')
  assert.equal(r.registry, reg.url)
  assert.equal(r.integrity, r.tarballIntegrity)
  assert.equal(r.registrySignature.keyId, 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA')
  assert.equal(r.registrySignature.keySource, 'embedded')
  assert.equal(r.provenance.sourceRepository, 'https://github.com/sigstore/sigstore-js')
  assert.match(r.provenance.sourceCommit, /^[0-9a-f]{40}$/)
  assert.match(r.provenance.workflowPath, /^\.github\/workflows\//)
  assert.equal(r.provenance.issuer, 'https://token.actions.githubusercontent.com')
  assert.ok(r.provenance.builderId)
  assert.equal(r.publishAttestation.signerKind, 'publicKey')
  assert.equal(r.provenanceBundle.signerKind, 'certificate')
  assert.ok(r.provenanceBundle.tlogVerified && r.publishAttestation.tlogVerified)
})

test('tuf-js@1.0.0 verifies end to end', async () => {
  const r = await pn.verify('tuf-js@1.0.0', { registry: reg.url, cwd })
  assert.equal(r.status, 'verified', JSON.stringify(r.problems))
  assert.equal(r.provenance.sourceRepository, 'https://github.com/theupdateframework/tuf-js')
})

test('specs resolve through dist-tags and ranges', async () => {
  const latest = await pn.verify('sigstore', { registry: reg.url, cwd })
  assert.equal(latest.version, '5.0.0')
  const range = await pn.verify('sigstore@^1.1.0', { registry: reg.url, cwd })
  assert.equal(range.version, '1.8.0')
  const scoped = await pn.verify('@playwright/cli@0.1.1', { registry: reg.url, cwd })
  assert.equal(scoped.name, '@playwright/cli')
  assert.equal(scoped.checks.resolve, 'passed')
  assert.equal(scoped.checks.provenance, 'passed', JSON.stringify(scoped.problems))
  assert.equal(scoped.checks.publishAttestation, 'passed', JSON.stringify(scoped.problems))
})

test('the registry from the project .npmrc is used when none is given', async () => {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\n`)
  const r = await pn.verify('tuf-js@1.0.0', { cwd: dir })
  assert.equal(r.registry, reg.url)
  assert.equal(r.status, 'verified', JSON.stringify(r.problems))
})

test('a mirror without signatures or attestations is unverifiable, and says why', async () => {
  const mirror = await startRegistry({ mirror: true })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: mirror.url, cwd })
    assert.equal(r.status, 'unverifiable')
    assert.equal(r.checks.integrity, 'passed')
    const codes = r.problems.map((p) => p.code)
    assert.ok(codes.includes('ERR_PROV_ATTESTATIONS_UNAVAILABLE'), codes.join())
    assert.ok(codes.includes('ERR_PROV_REGISTRY_SIGNATURE_MISSING'), codes.join())
    assert.ok(r.skipped.some((s) => s.check === 'attestations' && /attestationsRegistry/.test(s.reason)))

    // ...and verifies when attestations come from a registry that serves them.
    const v = await pn.verify('sigstore@1.0.0', { registry: mirror.url, attestationsRegistry: reg.url, cwd })
    assert.equal(v.status, 'verified', JSON.stringify(v.problems))
    assert.equal(v.registry, mirror.url)
    assert.ok(v.attestationsSource.startsWith(reg.url))

    // ...or from a file: attestations verify, the registry signature is still missing.
    const f = await pn.verify('sigstore@1.0.0', { registry: mirror.url, attestations: fixture('attestations/sigstore-1.0.0.json'), cwd })
    assert.equal(f.checks.provenance, 'passed')
    assert.equal(f.checks.publishAttestation, 'passed')
    assert.equal(f.checks.transparencyLog, 'passed')
    assert.equal(f.checks.registrySignature, 'skipped')
    assert.equal(f.status, 'unverifiable')
  } finally {
    await mirror.close()
  }
})

test('a version without attestations on a registry that serves them is unsigned', async () => {
  const r = await pn.verify('sigstore@1.8.0', { registry: reg.url, cwd })
  // sigstore@1.8.0 has no registry signature in the fixtures: never better than unverifiable.
  assert.notEqual(r.status, 'verified')
  const codes = r.problems.map((p) => p.code)
  assert.ok(codes.length > 0)
})

// --- one check fails, the others do not --------------------------------------------------

test('resolve: a version that does not exist', async () => {
  const r = await pn.verify('sigstore@9.9.9', { registry: reg.url, cwd })
  assert.equal(r.checks.resolve, 'failed')
  assert.equal(r.status, 'invalid')
  assert.equal(r.problems[0].code, 'ERR_PROV_NO_MATCHING_VERSION')
})

test('resolve only: the manifest names another package', async () => {
  const bad = await startRegistry({
    overrides: {
      sigstore: (doc) => { doc.versions['1.0.0'].name = 'sigstorе' }
    }
  })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'resolve')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_MANIFEST_MISMATCH'))
  } finally { await bad.close() }
})

test('integrity only: the registry serves other bytes', async () => {
  const bad = await startRegistry({
    tarballOverrides: { 'sigstore@1.0.0': fs.readFileSync(fixture('tarballs/tuf-js-1.0.0.tgz')) }
  })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'integrity')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_INTEGRITY'))
    assert.notEqual(r.tarballIntegrity, r.integrity)
  } finally { await bad.close() }
})

test('integrity only: a truncated tarball given by the caller', async () => {
  const tgz = fs.readFileSync(fixture('tarballs/sigstore-1.0.0.tgz'))
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, tarball: tgz.subarray(0, 100) })
  onlyFailed(r, 'integrity')
})

test('registry signature only: one flipped bit', async () => {
  const bad = await startRegistry({
    overrides: { sigstore: (doc) => { flipB64(doc.versions['1.0.0'].dist.signatures[0], 'sig', 20) } }
  })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'registrySignature')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_REGISTRY_SIGNATURE'))
  } finally { await bad.close() }
})

test('registry signature only: an unknown key id', async () => {
  const bad = await startRegistry({
    overrides: { sigstore: (doc) => { doc.versions['1.0.0'].dist.signatures[0].keyid = 'SHA256:unknownunknownunknownunknownunknownunknown0' } }
  })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'registrySignature')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_KEY_UNKNOWN'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

// Attestations for sigstore@1.0.0 with one attestation replaced by tuf-js@1.0.0's (valid, but
// about another package).
function swapped (kind) {
  const mine = fixtureJson('attestations/sigstore-1.0.0.json')
  const other = fixtureJson('attestations/tuf-js-1.0.0.json')
  const i = mine.attestations.indexOf(pick(mine, kind))
  mine.attestations[i] = pick(other, kind)
  return mine
}

test('publish attestation only: it is about another package', async () => {
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@1.0.0': swapped('publish') } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'publishAttestation')
    assert.equal(r.checks.provenance, 'passed')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_SUBJECT_NAME'))
  } finally { await bad.close() }
})

test('provenance only: it is about another package', async () => {
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@1.0.0': swapped('provenance') } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'provenance')
    assert.equal(r.checks.publishAttestation, 'passed')
  } finally { await bad.close() }
})

test('transparency log only: a flipped bit in the Signed Entry Timestamp', async () => {
  const att = fixtureJson('attestations/sigstore-1.0.0.json')
  for (const a of att.attestations) flipB64(a.bundle.verificationMaterial.tlogEntries[0].inclusionPromise, 'signedEntryTimestamp', 12)
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@1.0.0': att } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'transparencyLog')
    assert.equal(r.checks.provenance, 'skipped')
    assert.equal(r.checks.publishAttestation, 'skipped')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TLOG_SET'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

// sigstore@2.3.1 carries v0.2 bundles with inclusion proofs and checkpoints.
async function tlogTamper (edit) {
  const att = fixtureJson('attestations/sigstore-2.3.1.json')
  for (const a of att.attestations) edit(a.bundle.verificationMaterial.tlogEntries[0])
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@2.3.1': att } })
  try {
    return await pn.verify('sigstore@2.3.1', { registry: bad.url, cwd })
  } finally { await bad.close() }
}

test('sigstore@2.3.1 attestations pass untouched (baseline for the tlog tamper tests)', async () => {
  const r = await tlogTamper(() => {})
  assert.equal(r.checks.transparencyLog, 'passed', JSON.stringify(r.problems))
  assert.equal(r.checks.provenance, 'passed')
  assert.equal(r.checks.publishAttestation, 'passed')
})

test('transparency log only: an edited inclusion-proof hash', async () => {
  const r = await tlogTamper((t) => flipB64(t.inclusionProof.hashes, 3, 5))
  onlyFailed(r, 'transparencyLog')
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TLOG_INCLUSION'), JSON.stringify(r.problems))
})

test('transparency log only: a checkpoint whose signature does not verify', async () => {
  const r = await tlogTamper((t) => {
    const lines = t.inclusionProof.checkpoint.envelope.split('\n')
    const i = lines.findIndex((l) => l.startsWith('\u2014 '))
    const parts = lines[i].split(' ')
    const sig = Buffer.from(parts[2], 'base64')
    sig[sig.length - 3] ^= 0x01
    parts[2] = sig.toString('base64')
    lines[i] = parts.join(' ')
    t.inclusionProof.checkpoint.envelope = lines.join('\n')
  })
  onlyFailed(r, 'transparencyLog')
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TLOG_CHECKPOINT'), JSON.stringify(r.problems))
})

test('transparency log only: an entry from a log not in the trusted root', async () => {
  const r = await tlogTamper((t) => flipB64(t.logId, 'keyId', 0))
  onlyFailed(r, 'transparencyLog')
  assert.ok(r.problems.some((p) => p.code.startsWith('ERR_PROV_TLOG_')), JSON.stringify(r.problems))
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TLOG_UNKNOWN_LOG'), JSON.stringify(r.problems))
})

test('transparency log only: a log entry that belongs to the other bundle', async () => {
  // Each entry is genuine (its SET and inclusion proof verify) but describes the other
  // attestation's envelope.
  const att = fixtureJson('attestations/sigstore-2.3.1.json')
  const [a, b] = att.attestations.map((x) => x.bundle.verificationMaterial)
  ;[a.tlogEntries, b.tlogEntries] = [b.tlogEntries, a.tlogEntries]
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@2.3.1': att } })
  try {
    const r = await pn.verify('sigstore@2.3.1', { registry: bad.url, cwd })
    assert.notEqual(r.status, 'verified')
    assert.notEqual(r.checks.transparencyLog, 'passed')
    assert.ok(r.problems.some((p) => /^ERR_PROV_(TLOG_BODY|CERTIFICATE)$/.test(p.code)), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

test('transparency log only: a trusted root whose Rekor key had expired by the integrated time', async () => {
  const root = fixtureJson('trust/trusted_root.json')
  for (const t of root.tlogs) t.publicKey.validFor = { start: '2021-01-12T11:53:27Z', end: '2021-06-01T00:00:00Z' }
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, trustedRoot: JSON.stringify(root) })
  onlyFailed(r, 'transparencyLog')
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TLOG_UNKNOWN_LOG'), JSON.stringify(r.problems))
})

// --- key validity in time -----------------------------------------------------------------

test('registry signature only: the key had expired when the version was published', async () => {
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { doc.time['1.0.0'] = '2026-01-01T00:00:00.000Z' } } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'registrySignature')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_KEY_EXPIRED'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

test('publish attestation only: the npm key was not valid at the integrated time', async () => {
  const keys = fixtureJson('keys/tuf-npm-registry-keys.json')
  for (const k of keys.keys) {
    if (k.keyUsage === 'npm:attestations') k.publicKey.validFor = { ...k.publicKey.validFor, start: '2024-06-01T00:00:00.000Z' }
  }
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, npmKeys: JSON.stringify(keys) })
  onlyFailed(r, 'publishAttestation')
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_KEY_EXPIRED'), JSON.stringify(r.problems))
})

// --- weak, ambiguous and missing evidence ---------------------------------------------------

test('a sha1-only packument is weak: never verified', async () => {
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { delete doc.versions['1.0.0'].dist.integrity } } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    assert.notEqual(r.status, 'verified')
    assert.match(r.integrity, /^sha1-/)
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_INTEGRITY_WEAK'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

test('integrity only: dist.integrity naming two sha512 digests is refused', async () => {
  // Either digest would satisfy an integrity check, while the attestations name one of them.
  const bad = await startRegistry({
    overrides: { sigstore: (doc) => { const d = doc.versions['1.0.0'].dist; d.integrity = `${d.integrity} sha512-${Buffer.alloc(64, 9).toString('base64')}` } }
  })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    assert.equal(r.checks.integrity, 'failed')
    assert.equal(r.status, 'invalid')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_INTEGRITY' && /more than one sha512/.test(p.message)), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

test('registry signature only: dist.signatures that is not a list fails, it is not missing', async () => {
  const bad = await startRegistry({ overrides: { sigstore: (doc) => { doc.versions['1.0.0'].dist.signatures = { keyid: 'x' } } } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    onlyFailed(r, 'registrySignature')
  } finally { await bad.close() }
})

// SYNTHETIC signing key (made here): npm's private key is not available, so an unsigned
// version's registry signature is made with this key and trusted through npmKeys.
function syntheticKey () {
  const crypto = require('node:crypto')
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const point = spki.subarray(spki.length - 65)
  const wire = Buffer.concat(['ecdsa-sha2-nistp256', 'nistp256', point].map((p) => {
    const b = Buffer.from(p)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }))
  const keyid = 'SHA256:' + crypto.createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')
  const sign = (msg) => crypto.sign('sha256', Buffer.from(msg), privateKey).toString('base64')
  return { keyid, sign, keys: { keys: [{ keyid, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: spki.toString('base64'), expires: null }] } }
}

test('a version with a trusted registry signature and no attestations is unsigned', async () => {
  const k = syntheticKey()
  const bad = await startRegistry({
    keys: k.keys,
    overrides: { sigstore: (doc) => { const d = doc.versions['1.8.0'].dist; d.signatures = [{ keyid: k.keyid, sig: k.sign(`sigstore@1.8.0:${d.integrity}`) }]; delete d.attestations } },
    attestationOverrides: { 'sigstore@1.8.0': null }
  })
  try {
    const r = await pn.verify('sigstore@1.8.0', { registry: bad.url, cwd, npmKeys: JSON.stringify(k.keys) })
    assert.equal(r.status, 'unsigned', JSON.stringify([r.problems, r.skipped]))
    assert.equal(r.checks.registrySignature, 'passed')
    assert.equal(r.checks.provenance, 'missing')
    assert.equal(r.checks.publishAttestation, 'missing')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_NO_PROVENANCE'))
  } finally { await bad.close() }
})

test('a key only the registry serves is not trusted: the signature is not checkable', async () => {
  const k = syntheticKey()
  const served = { keys: [...JSON.parse(fs.readFileSync(fixture('keys/npm-registry-keys.json'), 'utf8')).keys, ...k.keys.keys] }
  const bad = await startRegistry({
    keys: served,
    overrides: { sigstore: (doc) => { const d = doc.versions['1.0.0'].dist; d.signatures = [{ keyid: k.keyid, sig: k.sign(`sigstore@1.0.0:${d.integrity}`) }] } }
  })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    assert.equal(r.status, 'unverifiable')
    assert.equal(r.checks.registrySignature, 'skipped')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_KEY_UNKNOWN' && /npmKeys/.test(p.message)), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

// --- trust material and npm configuration, wired through -------------------------------------

test('trust material given as files is used', async () => {
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, trustedRoot: fixture('trust/trusted_root.json'), npmKeys: fixture('keys/tuf-npm-registry-keys.json') })
  assert.equal(r.status, 'verified', JSON.stringify(r.problems))
  assert.equal(r.registrySignature.keySource, 'file')
  // A root without Fulcio CAs: the provenance certificate no longer chains.
  const root = fixtureJson('trust/trusted_root.json')
  root.certificateAuthorities = []
  const f = path.join(tmpdir(), 'root.json')
  fs.writeFileSync(f, JSON.stringify(root))
  const bad = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, trustedRoot: f })
  onlyFailed(bad, 'provenance')
})

// Runs `code` in a child process (environment variables are read once per process). Async: the
// fixture registry lives in this process and must keep answering.
function child (code, env) {
  const { execFile } = require('node:child_process')
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout))
    })
  })
}

test('PROV_NATIVE_TRUSTED_ROOT and PROV_NATIVE_NPM_KEYS replace the embedded trust material', async () => {
  const root = fixtureJson('trust/trusted_root.json')
  root.certificateAuthorities = []
  const rootFile = path.join(tmpdir(), 'root.json')
  fs.writeFileSync(rootFile, JSON.stringify(root))
  const code = `require(${JSON.stringify(path.resolve(__dirname, '..'))}).verify('sigstore@1.0.0', { registry: ${JSON.stringify(reg.url)} })` +
    '.then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify({ code: e.code })))'
  const r = await child(code, { PROV_NATIVE_TRUSTED_ROOT: rootFile })
  assert.equal(r.checks.provenance, 'failed', JSON.stringify(r.problems))
  const keysFile = path.join(tmpdir(), 'keys.json')
  // Only npm's 2025 key: sigstore@1.0.0 is signed with the older one.
  const current = JSON.parse(fs.readFileSync(fixture('keys/npm-registry-keys.json'), 'utf8')).keys.filter((x) => x.keyid.startsWith('SHA256:DhQ8'))
  assert.equal(current.length, 1)
  fs.writeFileSync(keysFile, JSON.stringify({ keys: current }))
  const k = await child(code, { PROV_NATIVE_NPM_KEYS: keysFile })
  assert.notEqual(k.status, 'verified')
  assert.ok(k.problems.some((p) => p.code === 'ERR_PROV_KEY_UNKNOWN'), JSON.stringify(k.problems))
})

test('npm_config_registry and @scope:registry choose the registry', async () => {
  const dir = tmpdir()
  // The default registry is a closed port: only the scoped one can answer.
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=http://127.0.0.1:9/\n@playwright:registry=${reg.url}\n`)
  const code = (spec) => `require(${JSON.stringify(path.resolve(__dirname, '..'))}).verify(${JSON.stringify(spec)}, { cwd: ${JSON.stringify(dir)} })` +
    '.then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify({ code: e.code })))'
  const scoped = await child(code('@playwright/cli@0.1.1'), {})
  assert.equal(scoped.registry, reg.url)
  assert.equal(scoped.checks.provenance, 'passed', JSON.stringify(scoped.problems))
  // The environment outranks the project .npmrc, as in npm.
  const env = await child(code('tuf-js@1.0.0'), { npm_config_registry: reg.url })
  assert.equal(env.registry, reg.url)
  assert.equal(env.status, 'verified', JSON.stringify(env.problems))
})

test('https-proxy / proxy from .npmrc carry the requests', async () => {
  const http = require('node:http')
  const seen = []
  // A minimal forward proxy (absolute-form requests), loopback only.
  const proxy = http.createServer((req, res) => {
    seen.push(req.url)
    const u = new URL(req.url)
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers)
      r.pipe(res)
    })
    up.on('error', () => { res.writeHead(502); res.end() })
    req.pipe(up)
  })
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  try {
    const dir = tmpdir()
    const p = `http://127.0.0.1:${proxy.address().port}/`
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\nproxy=${p}\nhttps-proxy=${p}\nnoproxy=\n`)
    const r = await pn.verify('tuf-js@1.0.0', { cwd: dir })
    assert.equal(r.status, 'verified', JSON.stringify(r.problems))
    assert.ok(seen.some((u) => u.startsWith(reg.url) && /tuf-js/.test(u)), JSON.stringify(seen))
  } finally {
    proxy.closeAllConnections()
    await new Promise((resolve) => proxy.close(resolve))
  }
})

// --- bad input ----------------------------------------------------------------------------

test('bad arguments reject with ERR_PROV_INVALID_ARG, never crash', async () => {
  await rejectsWith(pn.verify(42), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verify('sigstore@1.0.0', 'nope'), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verify('sigstore@1.0.0', { registry: 5 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verify('sigstore@1.0.0', { tarball: 5 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verify('sigstore@1.0.0', { maxTarballBytes: -1 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verify('', { registry: reg.url }), 'ERR_PROV_SPEC')
  await rejectsWith(pn.verify('sigstore@1.0.0', { registry: 'ftp://example.invalid/' }), 'ERR_PROV_CONFIG')
  await rejectsWith(pn.verify('sigstore@1.0.0', { registry: reg.url, trustedRoot: '{"nope":1}' }), 'ERR_PROV_TRUST_ROOT')
  await rejectsWith(pn.verify('sigstore@1.0.0', { registry: reg.url, attestations: '{"attestations": [' }), 'ERR_PROV_JSON')
})

test('a tarball over the size limit is refused, not read', async () => {
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, maxTarballBytes: 1000 })
  assert.notEqual(r.status, 'verified')
  assert.equal(r.checks.integrity, 'skipped')
  assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TOO_LARGE'), JSON.stringify(r.problems))
  await rejectsWith(pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, maxTarballBytes: 1000, tarball: fixture('tarballs/sigstore-1.0.0.tgz') }), 'ERR_PROV_TOO_LARGE')
})

test('a registry that answers 500 makes the report unverifiable, with the reason', async () => {
  const bad = await startRegistry({ status: { '/sigstore': 500 } })
  try {
    const r = await pn.verify('sigstore@1.0.0', { registry: bad.url, cwd })
    assert.equal(r.status, 'unverifiable')
    assert.equal(r.checks.resolve, 'skipped')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_NETWORK'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

test('a token from .npmrc is sent to its registry', async () => {
  const locked = await startRegistry({ token: 's3cret' })
  try {
    const dir = tmpdir()
    const host = locked.url.replace(/^http:/, '')
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${locked.url}\n${host}:_authToken=s3cret\n`)
    const r = await pn.verify('tuf-js@1.0.0', { cwd: dir })
    assert.equal(r.status, 'verified', JSON.stringify(r.problems))
    const anon = await pn.verify('tuf-js@1.0.0', { registry: locked.url, cwd })
    assert.notEqual(anon.status, 'verified')
  } finally { await locked.close() }
})

test('the tarball integrity helper matches node:crypto', async () => {
  const tgz = fs.readFileSync(fixture('tarballs/sigstore-1.0.0.tgz'))
  assert.equal(await pn.integrity(tgz), sri(tgz))
  const r = await pn.verify('sigstore@1.0.0', { registry: reg.url, cwd, tarball: tgz })
  assert.equal(r.tarballIntegrity, sri(tgz))
  assert.equal(r.status, 'verified')
  assert.ok(clone(r))
})
