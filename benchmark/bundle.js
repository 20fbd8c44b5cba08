'use strict'

// verifyBundle vs @sigstore/verify 3.x on the same real npm bundles and trusted root, offline,
// in one run. Prints per-bundle times and the ratio.
//
//   npm run bench                 (fixtures in testdata/fixtures, or PROV_FIXTURES)
//   BENCH_ROUNDS=50 npm run bench
//
// Both sides verify signature, certificate chain, SCTs and the transparency log entry; the
// native side also checks the in-toto subject digest against the artifact (the JS verifier
// leaves that to its caller).

const fs = require('node:fs')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { fixturesDir } = require('../__test__/registry')

const FIX = fixturesDir()
const ROUNDS = Number(process.env.BENCH_ROUNDS || 20)

function load () {
  const index = JSON.parse(fs.readFileSync(path.join(FIX, 'index.json'), 'utf8'))
  const out = []
  for (const f of index.files) {
    if (f.expect !== 'VALID' || !['attestations-response', 'bundle'].includes(f.kind)) continue
    const tgz = index.tarballs[f.package]
    if (!tgz) continue
    const hex = require('node:crypto').createHash('sha512').update(fs.readFileSync(path.join(FIX, tgz))).digest('hex')
    const doc = JSON.parse(fs.readFileSync(path.join(FIX, f.file), 'utf8'))
    const bundles = doc.attestations ? doc.attestations.map((a) => a.bundle) : [doc]
    for (const b of bundles) out.push({ file: f.file, json: b, text: JSON.stringify(b), digest: `sha512:${hex}` })
  }
  return out
}

function jsVerifier () {
  const { TrustedRoot } = require('@sigstore/protobuf-specs')
  const { bundleFromJSON } = require('@sigstore/bundle')
  const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify')
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(path.join(FIX, 'trust/trusted_root.json'), 'utf8')))
  const keys = {}
  for (const k of JSON.parse(fs.readFileSync(path.join(FIX, 'keys/npm-registry-keys.json'), 'utf8')).keys) {
    keys[k.keyid] = {
      rawBytes: Buffer.from(k.key, 'base64'),
      validFor: { start: new Date(0), end: k.expires ? new Date(k.expires) : undefined }
    }
  }
  const verifier = new Verifier(toTrustMaterial(root, keys))
  return (b) => verifier.verify(toSignedEntity(bundleFromJSON(b.json)))
}

async function main () {
  const pn = require('..')
  const bundles = load()
  const verifyJs = jsVerifier()

  // Warm up both and prove they agree that every bundle is valid.
  for (const b of bundles) {
    verifyJs(b)
    await pn.verifyBundle(b.text, { digest: b.digest })
  }

  const n = bundles.length * ROUNDS
  let t = performance.now()
  for (let r = 0; r < ROUNDS; r++) for (const b of bundles) verifyJs(b)
  const js = (performance.now() - t) / n

  t = performance.now()
  for (let r = 0; r < ROUNDS; r++) for (const b of bundles) await pn.verifyBundle(b.text, { digest: b.digest })
  const native = (performance.now() - t) / n

  t = performance.now()
  for (let r = 0; r < ROUNDS; r++) await Promise.all(bundles.map((b) => pn.verifyBundle(b.text, { digest: b.digest })))
  const nativeConcurrent = (performance.now() - t) / n

  const fmt = (ms) => `${ms.toFixed(3)} ms`
  console.log(`${bundles.length} real npm bundles x ${ROUNDS} rounds (${n} verifications each side)`)
  console.log(`@sigstore/verify ${require('@sigstore/verify/package.json').version}, one at a time: ${fmt(js)} / bundle`)
  console.log(`prov-native verifyBundle, one at a time (awaited): ${fmt(native)} / bundle  -> ${(js / native).toFixed(1)}x faster`)
  console.log(`prov-native verifyBundle, concurrent (Promise.all): ${fmt(nativeConcurrent)} / bundle  -> ${(js / nativeConcurrent).toFixed(1)}x faster`)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
