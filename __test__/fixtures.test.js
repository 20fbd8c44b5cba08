'use strict'

// Every fixture with a verdict reaches it through the public API (fixtures/index.json lists
// them): verifyAttestations for npm attestations, verifyBundle for generic bundles.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const { test } = require('node:test')

const pn = require('..')
const { fixture, fixtureJson, sha512Hex, rejectsWith } = require('./helpers')

const index = fixtureJson('index.json')

function split (pkg) {
  const at = pkg.lastIndexOf('@')
  return { name: pkg.slice(0, at), version: pkg.slice(at + 1) }
}

// The version's sha512 (hex): from its tarball, or (no tarball) the first subject's own.
function sha512Of (pkg, file) {
  const tgz = index.tarballs[pkg]
  if (tgz) return sha512Hex(fs.readFileSync(fixture(tgz)))
  const text = fs.readFileSync(fixture(file), 'utf8')
  let first
  try { first = JSON.parse(text) } catch { first = JSON.parse(text.split('\n')[0]) }
  const bundles = first.attestations ? first.attestations.map((a) => a.bundle) : [first]
  for (const b of bundles) {
    try {
      const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'))
      if (st.subject[0].digest.sha512) return st.subject[0].digest.sha512
    } catch {}
  }
  throw new Error(`${file}: no tarball and no subject digest`)
}

function target (f) {
  const { name, version } = split(f.package)
  const hex = sha512Of(f.package, f.file)
  return { name, version, integrity: 'sha512-' + Buffer.from(hex, 'hex').toString('base64'), hex }
}

const counts = { valid: 0, negative: 0, nonNpm: 0 }

// Verdict classes whose cause is one check.
const EXPECTED_CODE = {
  'INVALID (npm policy)': /^ERR_PROV_(KEY_UNKNOWN|PREDICATE_TYPE)$/,
  'INVALID (no transparency)': /^ERR_PROV_TLOG_MISSING$/,
  'INVALID (untrusted CA)': /^ERR_PROV_(CERTIFICATE|TLOG_MISSING)$/
}

for (const f of index.files) {
  if (['attestations-response', 'bundle', 'bundle-jsonl'].includes(f.kind) && f.expect === 'VALID') {
    counts.valid++
    test(`VALID ${f.file}`, async () => {
      const t = target(f)
      const out = await pn.verifyAttestations(fixture(f.file), t)
      assert.ok(out.provenanceBundle || out.publishAttestation)
      if (out.provenanceBundle) {
        assert.ok(out.provenance.sourceRepository, 'provenance names its source')
        assert.equal(out.provenanceBundle.signerKind, 'certificate')
      }
      if (out.publishAttestation) assert.equal(out.publishAttestation.signerKind, 'publicKey')
      // The same bytes as a Buffer and as an object give the same answer.
      const text = fs.readFileSync(fixture(f.file))
      await pn.verifyAttestations(text, t)
      // Bound to the digest: another digest fails.
      const other = { ...t, integrity: 'sha512-' + Buffer.alloc(64, 7).toString('base64') }
      await assert.rejects(pn.verifyAttestations(text, other), (e) => e.code === 'ERR_PROV_SUBJECT_DIGEST')
    })
  } else if (f.kind === 'bundle' && f.expect.startsWith('VALID as a generic')) {
    counts.nonNpm++
    test(`generic VALID, npm REJECT ${f.file}`, async () => {
      const t = target(f)
      const facts = await pn.verifyBundle(fs.readFileSync(fixture(f.file), 'utf8'), { digest: `sha512:${t.hex}` })
      assert.equal(facts.signerKind, 'certificate')
      assert.ok(facts.tlogVerified)
      await rejectsWith(pn.verifyAttestations(fixture(f.file), t), 'ERR_PROV_CERTIFICATE')
    })
  } else if (f.kind.startsWith('negative-')) {
    counts.negative++
    test(`${f.expect} ${f.file}`, async () => {
      const t = target(f)
      await assert.rejects(pn.verifyAttestations(fixture(f.file), t), (e) => {
        assert.match(e.code, /^ERR_PROV_/)
        assert.ok(!['ERR_PROV_INVALID_ARG', 'ERR_PROV_IO', 'ERR_PROV_INTERNAL'].includes(e.code), `${e.code}: ${e.message}`)
        // The verdict for the reason the fixture names.
        const want = EXPECTED_CODE[f.expect]
        if (want) assert.match(e.code, want, `${f.file}: ${e.message}`)
        return true
      })
      // Each bundle of a response on its own: it fails if and only if the fixture lists an
      // error for it (npm-policy fixtures fail on the response's wrapper, so only as a whole).
      if (f.kind === 'negative-attestations-response' && f.expect === 'INVALID') {
        const doc = fixtureJson(f.file)
        assert.equal(doc.attestations.length, f.bundles.length)
        for (let i = 0; i < f.bundles.length; i++) {
          const one = pn.verifyAttestations({ attestations: [doc.attestations[i]] }, t)
          if (f.bundles[i].errors.length) await assert.rejects(one, (e) => /^ERR_PROV_/.test(e.code), `${f.file} bundle ${i} should fail`)
          else await one
        }
      }
    })
  }
}

test('fixture counts: 22 valid files (16 versions), 38 negatives, 9 non-npm signers', () => {
  assert.deepEqual(counts, { valid: 22, negative: 38, nonNpm: 9 })
})
