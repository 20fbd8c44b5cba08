'use strict'

// verifyBundle, verifyAttestations, integrity and checkIntegrity: options, tampering and bad
// input. Every failure is a rejection with a stable `code`; nothing crashes Node.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const pn = require('..')
const { fixture, fixtureJson, sha512Hex, sri, clone, flipB64, tmpdir, pick, rejectsWith } = require('./helpers')

const V03 = 'bundles/sigstore-2.2.0.provenance.bundle-v0.3.json'
const V02 = 'bundles/sigstore-2.2.0.provenance.bundle-v0.2.json'
const TGZ = 'tarballs/sigstore-2.2.0.tgz'
const tgz = () => fs.readFileSync(fixture(TGZ))
const digest = () => `sha512:${sha512Hex(tgz())}`
const GH = 'https://token.actions.githubusercontent.com'

test('exports', () => {
  for (const f of ['verify', 'verifyBundle', 'verifyAttestations', 'integrity', 'checkIntegrity']) {
    assert.equal(typeof pn[f], 'function', f)
  }
})

test('verifyBundle: text, Buffer, object and path-free inputs agree', async () => {
  const text = fs.readFileSync(fixture(V03), 'utf8')
  const a = await pn.verifyBundle(text, { digest: digest() })
  const b = await pn.verifyBundle(Buffer.from(text), { artifact: tgz() })
  const c = await pn.verifyBundle(JSON.parse(text), { artifact: fixture(TGZ) })
  assert.deepEqual(a, b)
  assert.deepEqual(a, c)
  assert.equal(a.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json')
  assert.equal(a.certificateIssuer, GH)
  assert.match(a.certificateIdentity, /^https:\/\/github\.com\/sigstore\/sigstore-js\//)
  assert.ok(a.certificateVerified && a.sctVerified && a.tlogVerified && a.inclusionProof)
  assert.equal(a.statement.subjects[0].name, 'pkg:npm/sigstore@2.2.0')
  assert.equal(a.provenance.sourceRepository, 'https://github.com/sigstore/sigstore-js')
})

test('verifyBundle: identity and issuer policy', async () => {
  const text = fs.readFileSync(fixture(V02), 'utf8')
  const ok = await pn.verifyBundle(text, { digest: digest(), certificateIssuer: GH })
  await pn.verifyBundle(text, { digest: digest(), certificateIdentity: ok.certificateIdentity, certificateIssuer: GH })
  await rejectsWith(pn.verifyBundle(text, { digest: digest(), certificateIdentity: 'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main' }), 'ERR_PROV_IDENTITY')
  await rejectsWith(pn.verifyBundle(text, { digest: digest(), certificateIssuer: 'https://accounts.google.com' }), 'ERR_PROV_IDENTITY')
})

test('verifyBundle: the wrong artifact is rejected', async () => {
  const text = fs.readFileSync(fixture(V03), 'utf8')
  await rejectsWith(pn.verifyBundle(text, { artifact: Buffer.from('not the tarball') }), 'ERR_PROV_SUBJECT_DIGEST')
  await rejectsWith(pn.verifyBundle(text, { digest: 'sha512:' + '00'.repeat(64) }), 'ERR_PROV_SUBJECT_DIGEST')
})

test('verifyBundle: a keyed publish attestation needs its key', async () => {
  const att = pick(fixtureJson('attestations/sigstore-2.3.1.json'), 'publish').bundle
  const hex = sha512Hex(fs.readFileSync(fixture('tarballs/sigstore-2.3.1.tgz')))
  // The key is found in the embedded npm keys by its hint.
  const facts = await pn.verifyBundle(att, { digest: `sha512:${hex}` })
  assert.equal(facts.signerKind, 'publicKey')
  assert.equal(facts.publicKeyHint, 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA')
  // An explicit PEM key is honoured: the right one verifies, another is refused.
  const pem = fs.readFileSync(fixture('keys/npm-SHA256_jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA.pem'), 'utf8')
  await pn.verifyBundle(att, { digest: `sha512:${hex}`, publicKey: pem })
  const otherPem = fs.readFileSync(fixture('keys/npm-SHA256_DhQ8wR5APBvFHLF_+Tc+AYvPOdTpcIDqOhxsBHRwC7U.pem'), 'utf8')
  await assert.rejects(pn.verifyBundle(att, { digest: `sha512:${hex}`, publicKey: otherPem }), (e) => /^ERR_PROV_(SIGNATURE|KEY_UNKNOWN)$/.test(e.code))
  // An unknown hint with no key given.
  const unknown = clone(att)
  unknown.verificationMaterial.publicKey.hint = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
  await rejectsWith(pn.verifyBundle(unknown, { digest: `sha512:${hex}` }), 'ERR_PROV_KEY_UNKNOWN')
})

test('verifyBundle: transparency-log tampering is caught (SET, inclusion proof, checkpoint, body)', async () => {
  const base = fixtureJson(V02)
  const d = digest()
  await pn.verifyBundle(base, { digest: d })

  const set = clone(base)
  flipB64(set.verificationMaterial.tlogEntries[0].inclusionPromise, 'signedEntryTimestamp', 12)
  await rejectsWith(pn.verifyBundle(set, { digest: d }), 'ERR_PROV_TLOG_SET')

  const proof = clone(base)
  flipB64(proof.verificationMaterial.tlogEntries[0].inclusionProof.hashes, 0, 3)
  await rejectsWith(pn.verifyBundle(proof, { digest: d }), 'ERR_PROV_TLOG_INCLUSION')

  const cp = clone(base)
  const ip = cp.verificationMaterial.tlogEntries[0].inclusionProof
  ip.checkpoint.envelope = ip.checkpoint.envelope.replace(/\n(\d+)\n/, (m, n) => `\n${Number(n) + 1}\n`)
  await assert.rejects(pn.verifyBundle(cp, { digest: d }), (e) => /^ERR_PROV_TLOG_(CHECKPOINT|INCLUSION)$/.test(e.code))

  const body = clone(base)
  const t = body.verificationMaterial.tlogEntries[0]
  const other = fixtureJson('bundles/sigstore-2.2.0.provenance.bundle-v0.3.json')
  t.canonicalizedBody = other.verificationMaterial.tlogEntries[0].canonicalizedBody
  t.canonicalizedBody = Buffer.from(Buffer.from(t.canonicalizedBody, 'base64').toString().replace('"kind":"', '"kind":"x')).toString('base64')
  await assert.rejects(pn.verifyBundle(body, { digest: d }), (e) => /^ERR_PROV_TLOG_/.test(e.code))

  const nolog = clone(base)
  nolog.verificationMaterial.tlogEntries = []
  await assert.rejects(pn.verifyBundle(nolog, { digest: d }), (e) => /^ERR_PROV_(TLOG_MISSING|BUNDLE_PARSE)$/.test(e.code))
})

test('verifyBundle: a DSSE signature over another payload fails', async () => {
  const b = fixtureJson(V03)
  flipB64(b.dsseEnvelope.signatures[0], 'sig', 30)
  await assert.rejects(pn.verifyBundle(b, { digest: digest() }), (e) => /^ERR_PROV_(SIGNATURE|TLOG_BODY)$/.test(e.code))
})

test('verifyBundle: bad input', async () => {
  await rejectsWith(pn.verifyBundle('{not json', {}), 'ERR_PROV_JSON')
  await rejectsWith(pn.verifyBundle(42), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyBundle(null), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), 'opts'), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { artifact: 7 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { digest: 'md5:abcd' }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { publicKey: 'not a pem' }), 'ERR_PROV_INVALID_ARG')
  const v9 = fixtureJson(V03)
  v9.mediaType = 'application/vnd.dev.sigstore.bundle.v9.9+json'
  await rejectsWith(pn.verifyBundle(v9, { digest: digest() }), 'ERR_PROV_BUNDLE_VERSION')
  await rejectsWith(pn.verifyBundle({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }, { digest: digest() }), 'ERR_PROV_BUNDLE_PARSE')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { digest: digest(), trustedRoot: path.join(tmpdir(), 'missing.json') }), 'ERR_PROV_IO')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { digest: digest(), trustedRoot: { mediaType: 'x' } }), 'ERR_PROV_TRUST_ROOT')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { artifact: path.join(tmpdir(), 'missing.tgz') }), 'ERR_PROV_IO')
  // Deeply nested JSON is refused, not a stack overflow.
  await assert.rejects(pn.verifyBundle('['.repeat(100000)), (e) => /^ERR_PROV_(JSON|BUNDLE_PARSE)$/.test(e.code))
})

test('verifyBundle: options that do not fit the bundle are refused, not ignored', async () => {
  // A certificate bundle with a public key to check against.
  const pem = fs.readFileSync(fixture('keys/npm-SHA256_DhQ8wR5APBvFHLF_+Tc+AYvPOdTpcIDqOhxsBHRwC7U.pem'), 'utf8')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { digest: digest(), publicKey: pem }), 'ERR_PROV_CERTIFICATE')
  // A keyed bundle with a certificate identity to match.
  const att = pick(fixtureJson('attestations/sigstore-2.3.1.json'), 'publish').bundle
  const hex = sha512Hex(fs.readFileSync(fixture('tarballs/sigstore-2.3.1.tgz')))
  await rejectsWith(pn.verifyBundle(att, { digest: `sha512:${hex}`, certificateIssuer: GH }), 'ERR_PROV_IDENTITY')
  await rejectsWith(pn.verifyBundle(att, { digest: `sha512:${hex}`, certificateIdentity: 'x' }), 'ERR_PROV_IDENTITY')
})

test('cyclic and absurdly deep objects reject, they do not crash Node', async () => {
  const cyclic = fixtureJson(V03)
  cyclic.self = cyclic
  await rejectsWith(pn.verifyBundle(cyclic, { digest: digest() }), 'ERR_PROV_INVALID_ARG')
  let deep = {}
  const top = deep
  for (let i = 0; i < 100000; i++) { deep.a = {}; deep = deep.a }
  await assert.rejects(pn.verifyBundle(top, { digest: digest() }), (e) => /^ERR_PROV_(INVALID_ARG|JSON|BUNDLE_PARSE)$/.test(e.code))
  await rejectsWith(pn.verifyAttestations(cyclic, { name: 'sigstore', version: '2.2.0', integrity: 'sha512-' + Buffer.from(sha512Hex(tgz()), 'hex').toString('base64') }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyBundle(fixtureJson(V03), { digest: digest(), trustedRoot: cyclic }), 'ERR_PROV_INVALID_ARG')
})

test('a log entry whose integrated time lies outside the certificate is a certificate failure', async () => {
  // The SET covers integratedTime: editing it breaks the SET first; what matters is that the
  // bundle is refused with a transparency-log or certificate code, never accepted.
  const b = fixtureJson(V02)
  b.verificationMaterial.tlogEntries[0].integratedTime = String(Number(b.verificationMaterial.tlogEntries[0].integratedTime) + 86400)
  await assert.rejects(pn.verifyBundle(b, { digest: digest() }), (e) => /^ERR_PROV_(TLOG_SET|CERTIFICATE)$/.test(e.code))
})

test('verifyAttestations: an integrity with two sha512 digests is refused', async () => {
  const hex = sha512Hex(fs.readFileSync(fixture('tarballs/sigstore-2.3.1.tgz')))
  const one = 'sha512-' + Buffer.from(hex, 'hex').toString('base64')
  const two = `${one} sha512-${Buffer.alloc(64, 3).toString('base64')}`
  await rejectsWith(pn.verifyAttestations(fixture('attestations/sigstore-2.3.1.json'), { name: 'sigstore', version: '2.3.1', integrity: two }), 'ERR_PROV_INTEGRITY')
})

test('a path to a device or a directory is refused, not read forever', async () => {
  if (process.platform !== 'win32') {
    await rejectsWith(pn.verifyBundle(fixtureJson(V03), { digest: digest(), trustedRoot: '/dev/zero' }), 'ERR_PROV_IO')
    await rejectsWith(pn.integrity('/dev/zero'), 'ERR_PROV_IO')
  }
  await rejectsWith(pn.integrity(tmpdir()), 'ERR_PROV_IO')
})

test('verifyBundle: a trusted root without the signing CA rejects', async () => {
  const root = fixtureJson('trust/trusted_root.json')
  root.certificateAuthorities = []
  await assert.rejects(pn.verifyBundle(fixtureJson(V03), { digest: digest(), trustedRoot: root }), (e) => /^ERR_PROV_(CERTIFICATE|TRUST_ROOT)$/.test(e.code))
})

test('verifyAttestations: bad input', async () => {
  const file = fixture('attestations/sigstore-2.3.1.json')
  await rejectsWith(pn.verifyAttestations(file), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyAttestations(file, { name: 'sigstore' }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyAttestations(file, { name: 'sigstore', version: '2.3.1' }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.verifyAttestations(file, { name: 'sigstore', version: '2.3.1', integrity: 'sha1-AAAA' }), 'ERR_PROV_SRI')
  await rejectsWith(pn.verifyAttestations('{"attestations":[]}', { name: 'sigstore', version: '2.3.1', integrity: sri(Buffer.from('x')) }), 'ERR_PROV_BUNDLE_PARSE')
  await rejectsWith(pn.verifyAttestations('{"hello":1}', { name: 'sigstore', version: '2.3.1', integrity: sri(Buffer.from('x')) }), 'ERR_PROV_BUNDLE_PARSE')
  // tarball and integrity that disagree
  await rejectsWith(pn.verifyAttestations(file, { name: 'sigstore', version: '2.3.1', integrity: sri(Buffer.from('x')), tarball: fixture('tarballs/sigstore-2.3.1.tgz') }), 'ERR_PROV_INTEGRITY')
  const ok = await pn.verifyAttestations(file, { name: 'sigstore', version: '2.3.1', tarball: fixture('tarballs/sigstore-2.3.1.tgz') })
  assert.ok(ok.provenance && ok.publishAttestation)
  // the same attestations for another version
  await rejectsWith(pn.verifyAttestations(file, { name: 'sigstore', version: '2.3.2', tarball: fixture('tarballs/sigstore-2.3.1.tgz') }), 'ERR_PROV_SUBJECT_NAME')
})

test('integrity and checkIntegrity', async () => {
  const buf = tgz()
  assert.equal(await pn.integrity(buf), sri(buf))
  assert.equal(await pn.integrity(fixture(TGZ)), sri(buf))
  assert.equal(await pn.integrity(new Uint8Array(buf)), sri(buf))
  const multi = await pn.integrity(buf, { algorithms: ['sha1', 'sha512'] })
  assert.equal(multi.split(' ').length, 2)
  const ok = await pn.checkIntegrity(buf, sri(buf))
  assert.deepEqual(ok, { match: true, algorithm: 'sha512', actual: sri(buf) })
  const bad = await pn.checkIntegrity(Buffer.from('other'), sri(buf))
  assert.equal(bad.match, false)
  await rejectsWith(pn.checkIntegrity(buf, 'garbage'), 'ERR_PROV_SRI')
  await rejectsWith(pn.checkIntegrity(buf, 5), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.integrity(5), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.integrity(buf, { algorithms: ['md5'] }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.integrity(path.join(tmpdir(), 'nope')), 'ERR_PROV_IO')
})

test('calls run concurrently without blocking the event loop', async () => {
  const text = fs.readFileSync(fixture(V03), 'utf8')
  const d = digest()
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 0)
  const all = await Promise.all(Array.from({ length: 64 }, () => pn.verifyBundle(text, { digest: d })))
  clearInterval(timer)
  assert.equal(all.length, 64)
  assert.ok(ticks > 0, 'the event loop ran while bundles verified')
})
