'use strict'

// Checks that the SYNTHETIC set verifies — and that it verifies for the right reasons:
//   1. every certificate parses (node:crypto) and chains: leaf -> intermediate -> root;
//   2. every registry signature verifies with node:crypto against the synthetic npm key;
//   3. every bundle verifies with prov-native verifyBundle (digest, synthetic root and keys) and
//      with @sigstore/verify 3.x (offline, as benchmark/bundle.js drives it);
//   4. every attestations response passes prov-native verifyAttestations;
//   5. verify('name@version') end to end against the loopback registry for the self-test
//      packages (tarball downloaded) and, for the lockfile's packages, verifyAttestations is the
//      check (their real tarballs are not here);
//   6. negative controls: a flipped SET byte, an edited inclusion-proof hash, an edited checkpoint
//      signature, an unknown CT log, an edited DSSE payload and a wrong registry signature are each
//      rejected by both verifiers.
//
//   node benchmark/synthetic/validate.js [package-lock.json]      (exit 1 on any failure)

const crypto = require('node:crypto')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { loadSet, DEFAULT_LOCKFILE } = require('./set')
const { startSyntheticRegistry } = require('./registry')

const pn = require(path.resolve(__dirname, '../..'))

function jsVerifier (trustedRoot, npmKeys) {
  const { TrustedRoot } = require('@sigstore/protobuf-specs')
  const { bundleFromJSON } = require('@sigstore/bundle')
  const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify')
  const keys = Object.fromEntries(npmKeys.keys.map((k) => [k.keyid, {
    rawBytes: Buffer.from(k.key, 'base64'),
    validFor: { start: new Date(0), end: k.expires ? new Date(k.expires) : undefined }
  }]))
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRoot), keys))
  return (bundle) => verifier.verify(toSignedEntity(bundleFromJSON(bundle)))
}

const sha512Hex = (sri) => Buffer.from(sri.split(/\s+/).find((s) => s.startsWith('sha512-')).slice(7), 'base64').toString('hex')
const clone = (v) => JSON.parse(JSON.stringify(v))

async function main () {
  const lockfile = process.argv[2] || DEFAULT_LOCKFILE
  const set = loadSet(lockfile, { log: console.log })
  const { trustedRoot, npmKeys } = set
  const all = [...set.packages, ...set.selftest]
  const failures = []
  const fail = (what, e) => { failures.push(`${what}: ${e && e.code ? e.code + ' ' : ''}${e && e.message ? e.message : e}`) }

  // 1. certificates
  const chain = trustedRoot.certificateAuthorities[0].certChain.certificates.map((c) => new crypto.X509Certificate(Buffer.from(c.rawBytes, 'base64')))
  const [inter, root] = chain
  if (!root.verify(root.publicKey) || !inter.verify(root.publicKey) || !inter.checkIssued(root)) fail('CA chain', 'intermediate/root do not verify')
  let certs = 0
  for (const p of all) {
    for (const a of p.attestations) {
      const vm = a.bundle.verificationMaterial
      const raw = vm.certificate ? vm.certificate.rawBytes : vm.x509CertificateChain ? vm.x509CertificateChain.certificates[0].rawBytes : null
      if (!raw) continue
      certs++
      try {
        const leaf = new crypto.X509Certificate(Buffer.from(raw, 'base64'))
        if (!leaf.verify(inter.publicKey) || !leaf.checkIssued(inter)) fail(`${p.name}@${p.version} leaf`, 'not issued by the intermediate')
        const it = Number(vm.tlogEntries[0].integratedTime) * 1000
        if (!(Date.parse(leaf.validFrom) <= it && it <= Date.parse(leaf.validTo))) fail(`${p.name}@${p.version} leaf`, 'integrated time outside validity')
      } catch (e) { fail(`${p.name}@${p.version} leaf`, e) }
    }
  }
  console.log(`1. ${certs} leaf certificates parse and chain to the synthetic CA`)

  // 2. registry signatures
  const pubs = Object.fromEntries(npmKeys.keys.map((k) => [k.keyid, crypto.createPublicKey({ key: Buffer.from(k.key, 'base64'), format: 'der', type: 'spki' })]))
  for (const p of all) {
    const s = p.signatures[0]
    if (!crypto.verify('sha256', Buffer.from(`${p.name}@${p.version}:${p.integrity}`), pubs[s.keyid], Buffer.from(s.sig, 'base64'))) fail(`${p.name}@${p.version} registry signature`, 'does not verify')
  }
  console.log(`2. ${all.length} registry signatures verify`)

  // 3. bundles, both verifiers
  const verifyJs = jsVerifier(trustedRoot, npmKeys)
  let t = performance.now()
  let n = 0
  for (const p of all) {
    for (const a of p.attestations) {
      n++
      try { verifyJs(a.bundle) } catch (e) { fail(`@sigstore/verify ${p.name}@${p.version} ${a.predicateType}`, e) }
    }
  }
  const jsMs = performance.now() - t
  t = performance.now()
  const opts = { trustedRoot, npmKeys }
  for (let i = 0; i < all.length; i += 64) {
    await Promise.all(all.slice(i, i + 64).flatMap((p) => p.attestations.map((a) =>
      pn.verifyBundle(a.bundle, { ...opts, digest: `sha512:${sha512Hex(p.integrity)}` })
        .catch((e) => fail(`verifyBundle ${p.name}@${p.version} ${a.predicateType}`, e)))))
  }
  console.log(`3. ${n} bundles: @sigstore/verify ${(jsMs / n).toFixed(2)} ms/bundle, prov-native verifyBundle ${((performance.now() - t) / n).toFixed(2)} ms/bundle (concurrent)`)

  // 4. attestations responses
  for (let i = 0; i < all.length; i += 64) {
    await Promise.all(all.slice(i, i + 64).map((p) =>
      pn.verifyAttestations({ attestations: p.attestations }, { ...opts, name: p.name, version: p.version, integrity: p.integrity })
        .then((r) => { if (!r || !r.provenance || !r.publishAttestation) fail(`verifyAttestations ${p.name}@${p.version}`, `incomplete result ${JSON.stringify(Object.keys(r || {}))}`) })
        .catch((e) => fail(`verifyAttestations ${p.name}@${p.version}`, e))))
  }
  console.log(`4. ${all.length} attestations responses pass verifyAttestations`)

  // 5. verify() end to end for the self-test packages
  const reg = await startSyntheticRegistry(set)
  try {
    for (const p of set.selftest) {
      const r = await pn.verify(`${p.name}@${p.version}`, { ...opts, registry: reg.url })
      if (r.status !== 'verified') fail(`verify ${p.name}@${p.version}`, `${r.status} ${JSON.stringify(r.problems)} ${JSON.stringify(r.skipped)}`)
      else console.log(`5. verify('${p.name}@${p.version}') against ${reg.url}: verified (${r.provenance && r.provenance.sourceRepository})`)
    }
  } finally { await reg.close() }

  // 6. negative controls: each tampering must be rejected by both verifiers
  const isProv = (a) => a.predicateType.startsWith('https://slsa.dev/')
  const sample = set.packages.find((p) => !p.lockSha1Only && p.attestations.find(isProv).bundle.verificationMaterial.tlogEntries[0].inclusionProof.hashes.length > 2)
  const provIdx = sample.attestations.findIndex(isProv)
  const flip = (s) => { const b = Buffer.from(s, 'base64'); b[b.length >> 1] ^= 1; return b.toString('base64') }
  const tamper = {
    'SET byte flipped': (b) => { const e = b.verificationMaterial.tlogEntries[0]; e.inclusionPromise.signedEntryTimestamp = flip(e.inclusionPromise.signedEntryTimestamp) },
    'inclusion-proof hash edited': (b) => { const h = b.verificationMaterial.tlogEntries[0].inclusionProof.hashes; h[0] = flip(h[0]) },
    'checkpoint signature edited': (b) => {
      const cp = b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint
      cp.envelope = cp.envelope.replace(/ (\S+)\n$/, (m, sig) => ` ${flip(sig)}\n`)
    },
    'DSSE payload edited': (b) => {
      const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64'))
      st.predicate.buildDefinition.externalParameters.workflow.ref = 'refs/heads/evil'
      b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64')
    }
  }
  const otherCt = clone(trustedRoot)
  const stranger = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' })
  otherCt.ctlogs[0].publicKey.rawBytes = stranger.toString('base64')
  otherCt.ctlogs[0].logId.keyId = crypto.createHash('sha256').update(stranger).digest('base64')
  const digest = `sha512:${sha512Hex(sample.integrity)}`
  const rejects = async (label, bundle, root) => {
    let js = false
    let native = false
    try { (root ? jsVerifier(root, npmKeys) : verifyJs)(bundle) } catch { js = true }
    try { await pn.verifyBundle(bundle, { trustedRoot: root || trustedRoot, npmKeys, digest }) } catch (e) { native = e.code || true }
    if (!js || !native) fail(`negative control "${label}"`, `accepted by ${[!js && '@sigstore/verify', !native && 'prov-native'].filter(Boolean).join(' and ')}`)
    return native
  }
  const codes = []
  for (const [label, edit] of Object.entries(tamper)) {
    const b = clone(sample.attestations[provIdx].bundle)
    edit(b)
    codes.push(`${label} (${await rejects(label, b)})`)
  }
  codes.push(`unknown CT log (${await rejects('unknown CT log', sample.attestations[provIdx].bundle, otherCt)})`)
  const badSig = clone({ attestations: sample.attestations })
  const wrongVersion = await pn.verifyAttestations(badSig, { trustedRoot, npmKeys, name: sample.name, version: sample.version + '-other', integrity: sample.integrity }).then(() => false, (e) => e.code || true)
  if (!wrongVersion) fail('negative control "attestations for another version"', 'accepted by prov-native')
  else codes.push(`attestations for another version (${wrongVersion})`)
  const s = sample.signatures[0]
  if (crypto.verify('sha256', Buffer.from(`${sample.name}@${sample.version}:${set.packages.find((p) => p.integrity !== sample.integrity).integrity}`), pubs[s.keyid], Buffer.from(s.sig, 'base64'))) fail('negative control "registry signature over another integrity"', 'verifies')
  console.log(`6. rejected by both: ${codes.join('; ')}`)

  const sha1 = set.packages.filter((p) => p.lockSha1Only).length
  if (sha1) console.log(`   note: ${sha1} lockfile entries are sha1-only; their attestations name the registry's (synthetic) sha512`)
  if (failures.length) {
    console.log(`\nFAILED: ${failures.length}`)
    for (const f of failures.slice(0, 20)) console.log(`  ${f}`)
    process.exitCode = 1
  } else {
    console.log(`\nOK: ${all.length} package versions, ${n} bundles, all verified by both verifiers`)
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1 })
