'use strict'

// Sigstore and API strictness (issue 10, section 4). Each test changes one field of real data
// (the fixtures) or one argument, and checks that exactly that is refused — with a stable code,
// through the public API.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { fixture, fixtureJson, sha512Hex, sri, clone, tmpdir, pick, project, rejectsWith } = require('./helpers')

const run = promisify(execFile)
const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')

const V03 = 'bundles/sigstore-2.2.0.provenance.bundle-v0.3.json'
const V02 = 'bundles/sigstore-2.2.0.provenance.bundle-v0.2.json'
const V01 = 'bundles/sigstore-2.1.0.provenance.bundle-v0.1.json'
const tgz = (name) => fs.readFileSync(fixture(`tarballs/${name}.tgz`))
const digestOf = (name) => `sha512:${sha512Hex(tgz(name))}`
const D220 = digestOf('sigstore-2.2.0')
const D210 = digestOf('sigstore-2.1.0')

const MT = {
  v01: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  v02: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
  v03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  v03legacy: 'application/vnd.dev.sigstore.bundle+json;version=0.3'
}

let reg
const cwd = tmpdir()
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

const entry0 = (b) => b.verificationMaterial.tlogEntries[0]

// --- 1. the inclusion proof's treeSize is the checkpoint's ------------------------------------

test('the untouched bundles verify (baseline)', async () => {
  for (const [file, d] of [[V02, D220], [V03, D220], [V01, D210]]) {
    const f = await pn.verifyBundle(fixtureJson(file), { digest: d })
    assert.ok(f.tlogVerified, file)
  }
})

test('an inclusion proof whose treeSize is not the checkpoint tree size is refused', async () => {
  for (const file of [V02, V03]) {
    for (let k = 1; k <= 7; k++) {
      const b = fixtureJson(file)
      const p = entry0(b).inclusionProof
      p.treeSize = String(BigInt(p.treeSize) + BigInt(k))
      await rejectsWith(pn.verifyBundle(b, { digest: D220 }), 'ERR_PROV_TLOG_INCLUSION')
    }
  }
  // A v0.1 bundle that carries a proof is held to it too.
  const b = fixtureJson(V01)
  entry0(b).inclusionProof.treeSize = String(BigInt(entry0(b).inclusionProof.treeSize) + 1n)
  await rejectsWith(pn.verifyBundle(b, { digest: D210 }), 'ERR_PROV_TLOG_INCLUSION')
})

// --- 2. the checkpoint envelope is exactly the signed note ------------------------------------

test('a checkpoint envelope with anything besides the signed note is refused', async () => {
  const edits = {
    'unsigned text appended': (e) => e + 'unsigned text\n',
    'a second block appended': (e) => e + '\nanything\n',
    'a space after the signature': (e) => e.replace(/\n$/, ' \n'),
    'CRLF after the signature': (e) => e.replace(/\n$/, '\r\n'),
    'no newline after the signature': (e) => e.replace(/\n$/, ''),
    'two spaces before the signature': (e) => e.replace(/^(\u2014 \S+) /m, '$1  ')
  }
  for (const [what, edit] of Object.entries(edits)) {
    const b = fixtureJson(V02)
    const cp = entry0(b).inclusionProof.checkpoint
    cp.envelope = edit(cp.envelope)
    await rejectsWith(pn.verifyBundle(b, { digest: D220 }), 'ERR_PROV_TLOG_CHECKPOINT').catch((e) => {
      throw new Error(`${what}: ${e.message}`)
    })
  }
})

test('verify(): a checkpoint with appended text fails the transparency log check only', async () => {
  const att = fixtureJson('attestations/sigstore-2.3.1.json')
  for (const a of att.attestations) entry0(a.bundle).inclusionProof.checkpoint.envelope += 'unsigned\n'
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@2.3.1': att } })
  try {
    const r = await pn.verify('sigstore@2.3.1', { registry: bad.url, cwd })
    assert.equal(r.status, 'invalid')
    assert.equal(r.checks.transparencyLog, 'failed')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_TLOG_CHECKPOINT'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

// --- 3. a bundle's fields match its media type -------------------------------------------------

test('every media type spelling of a valid bundle still verifies', async () => {
  const v03 = fixtureJson(V03)
  for (const mt of [MT.v03, MT.v03legacy]) {
    await pn.verifyBundle({ ...v03, mediaType: mt }, { digest: D220 })
  }
  await pn.verifyBundle(fixtureJson(V02), { digest: D220 })
  await pn.verifyBundle(fixtureJson(V01), { digest: D210 })
})

test('a v0.3 bundle relabelled v0.1 or v0.2 is refused (certificate is a v0.3 field)', async () => {
  for (const mt of [MT.v01, MT.v02]) {
    const b = fixtureJson(V03)
    b.mediaType = mt
    await rejectsWith(pn.verifyBundle(b, { digest: D220 }), 'ERR_PROV_BUNDLE_PARSE')
  }
  // The case: relabelled v0.1 and its inclusion proof removed (SET only).
  const b = fixtureJson(V03)
  b.mediaType = MT.v01
  delete entry0(b).inclusionProof
  await rejectsWith(pn.verifyBundle(b, { digest: D220 }), 'ERR_PROV_BUNDLE_PARSE')
})

test('a v0.2 bundle relabelled v0.3 is refused (x509CertificateChain is not a v0.3 field)', async () => {
  for (const mt of [MT.v03, MT.v03legacy]) {
    const b = fixtureJson(V02)
    b.mediaType = mt
    await rejectsWith(pn.verifyBundle(b, { digest: D220 }), 'ERR_PROV_BUNDLE_PARSE')
  }
})

test('a bundle naming two signers is refused', async () => {
  const b = fixtureJson(V02)
  b.verificationMaterial.certificate = fixtureJson(V03).verificationMaterial.certificate
  await rejectsWith(pn.verifyBundle(b, { digest: D220 }), 'ERR_PROV_BUNDLE_PARSE')
})

test('v0.1 needs a SET on every entry; v0.2 and v0.3 an inclusion proof with a checkpoint', async () => {
  const noSet = fixtureJson(V01)
  delete entry0(noSet).inclusionPromise
  await rejectsWith(pn.verifyBundle(noSet, { digest: D210 }), 'ERR_PROV_TLOG_MISSING')
  const nullSet = fixtureJson(V01)
  entry0(nullSet).inclusionPromise = null
  await rejectsWith(pn.verifyBundle(nullSet, { digest: D210 }), 'ERR_PROV_TLOG_MISSING')
  for (const file of [V02, V03]) {
    const noProof = fixtureJson(file)
    delete entry0(noProof).inclusionProof
    await rejectsWith(pn.verifyBundle(noProof, { digest: D220 }), 'ERR_PROV_TLOG_MISSING')
    const noCheckpoint = fixtureJson(file)
    delete entry0(noCheckpoint).inclusionProof.checkpoint
    await rejectsWith(pn.verifyBundle(noCheckpoint, { digest: D220 }), 'ERR_PROV_TLOG_MISSING')
    const emptyCheckpoint = fixtureJson(file)
    entry0(emptyCheckpoint).inclusionProof.checkpoint.envelope = ''
    await rejectsWith(pn.verifyBundle(emptyCheckpoint, { digest: D220 }), 'ERR_PROV_TLOG_MISSING')
  }
})

// --- 4. artifact and digest together ------------------------------------------------------------

test('verifyBundle: an artifact and a contradicting digest reject; a matching pair verifies', async () => {
  const b = fixtureJson(V03)
  const ok = await pn.verifyBundle(b, { artifact: tgz('sigstore-2.2.0'), digest: D220 })
  assert.ok(ok.tlogVerified)
  await pn.verifyBundle(b, { artifact: fixture('tarballs/sigstore-2.2.0.tgz'), digest: D220.toUpperCase().replace('SHA512', 'sha512') })
  // The digest of another tarball: the bundle would reject it, but the pair contradicts first.
  await rejectsWith(pn.verifyBundle(b, { artifact: tgz('sigstore-2.2.0'), digest: D210 }), 'ERR_PROV_INTEGRITY')
  await rejectsWith(pn.verifyBundle(b, { artifact: tgz('sigstore-2.2.0'), digest: 'sha512:' + '00'.repeat(64) }), 'ERR_PROV_INTEGRITY')
  await rejectsWith(pn.verifyBundle(b, { artifact: tgz('sigstore-2.2.0'), digest: `sha256:${'00'.repeat(32)}` }), 'ERR_PROV_INTEGRITY')
  // The right digest with other bytes.
  await rejectsWith(pn.verifyBundle(b, { artifact: Buffer.from('other bytes'), digest: D220 }), 'ERR_PROV_INTEGRITY')
})

// --- 5. the attestation wrapper's predicateType ---------------------------------------------------

const TGZ231 = fixture('tarballs/sigstore-2.3.1.tgz')
const T231 = { name: 'sigstore', version: '2.3.1', tarball: TGZ231 }

test('verifyAttestations: the wrapper predicateType must be a string equal to the statement\'s', async () => {
  const base = fixtureJson('attestations/sigstore-2.3.1.json')
  const ok = await pn.verifyAttestations(base, T231)
  assert.ok(ok.provenance && ok.publishAttestation)
  for (const kind of ['provenance', 'publish']) {
    for (const value of [null, 42, true, [], {}, '']) {
      const att = clone(base)
      pick(att, kind).predicateType = value
      await rejectsWith(pn.verifyAttestations(att, T231), 'ERR_PROV_PREDICATE_TYPE')
    }
    const att = clone(base)
    // pick() finds it by predicateType, so take it before removing the field.
    delete pick(att, kind).predicateType
    await rejectsWith(pn.verifyAttestations(att, T231), 'ERR_PROV_PREDICATE_TYPE')
  }
  // A bare bundle declares nothing: it is judged by its statement.
  const bare = pick(clone(base), 'provenance').bundle
  const r = await pn.verifyAttestations(bare, T231)
  assert.ok(r.provenance)
})

test('verify(): an attestation whose predicateType is null is refused', async () => {
  const att = fixtureJson('attestations/sigstore-2.3.1.json')
  pick(att, 'provenance').predicateType = null
  const bad = await startRegistry({ attestationOverrides: { 'sigstore@2.3.1': att } })
  try {
    const r = await pn.verify('sigstore@2.3.1', { registry: bad.url, cwd })
    assert.equal(r.status, 'invalid')
    assert.equal(r.checks.provenance, 'failed')
    assert.equal(r.checks.publishAttestation, 'passed')
    assert.ok(r.problems.some((p) => p.code === 'ERR_PROV_PREDICATE_TYPE'), JSON.stringify(r.problems))
  } finally { await bad.close() }
})

// --- 6. every export returns a promise: a throwing getter or Proxy trap rejects --------------------

function boom () { throw new Error('boom from user code') }
const throwingProxy = () => new Proxy({}, { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom })
function throwingGetter (key) {
  const o = {}
  Object.defineProperty(o, key, { get: boom, enumerable: true })
  return o
}

const calls = {
  verify: (o) => pn.verify('sigstore@1.0.0', o),
  verifyBundle: (o) => pn.verifyBundle(fixtureJson(V03), o),
  verifyAttestations: (o) => pn.verifyAttestations(fixture('attestations/sigstore-2.3.1.json'), o),
  integrity: (o) => pn.integrity(Buffer.from('x'), o),
  checkIntegrity: (o) => pn.checkIntegrity(o, sri(Buffer.from('x'))),
  audit: (o) => pn.audit(o),
  guard: (o) => pn.guard(o),
  inspectTarball: (o) => pn.inspectTarball(Buffer.from('x'), o),
  survey: (o) => pn.survey(o),
  watchPoll: (o) => pn.watchPoll(o),
  sbom: (o) => pn.sbom(o),
  checkSri: (o) => pn.checkSri(o)
}
const getterKey = {
  verify: 'registry',
  verifyBundle: 'digest',
  verifyAttestations: 'name',
  integrity: 'algorithms',
  checkIntegrity: 'length',
  audit: 'cwd',
  guard: 'config',
  inspectTarball: 'platform',
  survey: 'list',
  watchPoll: 'packages',
  sbom: 'format',
  checkSri: 'paths'
}

// The synchronous exports (for ESLint rules, which cannot wait): they throw instead.
const syncCalls = {
  lintSync: (o) => pn.lintSync(o),
  lintChecksComputed: () => pn.lintChecksComputed()
}

test('every export is covered by the throwing-argument cases', () => {
  const exported = Object.keys(pn).filter((k) => typeof pn[k] === 'function').sort()
  assert.deepEqual([...Object.keys(calls), ...Object.keys(syncCalls)].sort(), exported)
})

test('lintSync (synchronous): a throwing getter or Proxy trap throws ERR_PROV_INVALID_ARG and leaves no exception pending', async () => {
  for (const make of [() => throwingGetter('cwd'), throwingProxy]) {
    assert.throws(() => syncCalls.lintSync(make()), (e) => e instanceof Error && e.code === 'ERR_PROV_INVALID_ARG')
    assert.equal(await pn.integrity(Buffer.from('x')), sri(Buffer.from('x')))
  }
  assert.throws(() => pn.lintSync('cwd'), { code: 'ERR_PROV_INVALID_ARG' })
  assert.throws(() => pn.lintSync({ cwd: 42 }), { code: 'ERR_PROV_INVALID_ARG' })
  assert.equal(typeof syncCalls.lintChecksComputed(), 'number')
})

for (const [name, call] of Object.entries(calls)) {
  test(`${name}: a throwing getter or Proxy trap rejects with ERR_PROV_INVALID_ARG, never throws`, async () => {
    for (const [what, make] of [['getter', () => throwingGetter(getterKey[name])], ['proxy', throwingProxy]]) {
      let p
      assert.doesNotThrow(() => { p = call(make()) }, `${name} with a throwing ${what} threw synchronously`)
      assert.ok(p instanceof Promise, `${name} returns a promise`)
      await rejectsWith(p, 'ERR_PROV_INVALID_ARG')
    }
    // The call after it works: no exception was left pending.
    assert.equal(await pn.integrity(Buffer.from('x')), sri(Buffer.from('x')))
  })
}

test('checkIntegrity: a Proxy or throwing getter as the SRI rejects', async () => {
  for (const bad of [throwingProxy(), throwingGetter('toString')]) {
    let p
    assert.doesNotThrow(() => { p = pn.checkIntegrity(Buffer.from('x'), bad) })
    await rejectsWith(p, 'ERR_PROV_INVALID_ARG')
  }
})

test('a throwing getter inside an object argument (bundle, trustedRoot) rejects', async () => {
  const b = fixtureJson(V03)
  Object.defineProperty(b, 'mediaType', { get: boom, enumerable: true })
  let p
  assert.doesNotThrow(() => { p = pn.verifyBundle(b, { digest: D220 }) })
  await rejectsWith(p, 'ERR_PROV_INVALID_ARG')
  assert.doesNotThrow(() => { p = pn.verifyBundle(fixtureJson(V03), { digest: D220, trustedRoot: throwingProxy() }) })
  await rejectsWith(p, 'ERR_PROV_INVALID_ARG')
  assert.doesNotThrow(() => { p = pn.verifyAttestations(throwingProxy(), T231) })
  await rejectsWith(p, 'ERR_PROV_INVALID_ARG')
})

// --- 7. an exception's reason has a visible character ----------------------------------------------

function policyProject (policy) {
  const dir = project(reg, ['sigstore@1.0.0'])
  fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify(policy))
  return dir
}

test('guard: a reason of invisible characters is blank: a configuration error', async () => {
  const exc = (reason) => ({ exceptions: [{ package: 'sigstore', reason, expires: '2099-01-01' }] })
  for (const reason of ['\u200B', '\u200C\u200D', '\u2060', '\uFEFF', '\u00AD', '\u202E\u2066\u200F', ' \u3000\t', '\u{E0041}']) {
    const dir = policyProject(exc(reason))
    await rejectsWith(pn.guard({ cwd: dir, cache: false, offline: true }), 'ERR_PROV_CONFIG').catch((e) => {
      throw new Error(`${JSON.stringify(reason)}: ${e.message}`)
    })
  }
  const ok = await pn.guard({ cwd: policyProject(exc('reviewed \u200B')), cache: false })
  assert.ok(Array.isArray(ok.findings))
})

// --- 8. a bad policy file is named as the policy file ------------------------------------------------

test('guard: errors in the policy file say "policy file" and name it, not npm config', async () => {
  const dir = policyProject({ rules: { nope: 'error' } })
  const file = path.join(dir, 'prov-native.config.json')
  await assert.rejects(pn.guard({ cwd: dir, cache: false, offline: true }), (e) => {
    assert.equal(e.code, 'ERR_PROV_CONFIG')
    assert.ok(e.message.startsWith(`policy file ${file}: unknown rule "nope"`), e.message)
    assert.doesNotMatch(e.message, /npm config/)
    return true
  })
  const cli = await run(process.execPath, [BIN, 'guard', '--no-cache', '--offline'], { cwd: dir }).catch((e) => e)
  assert.equal(cli.code, 2)
  assert.match(cli.stderr, /ERR_PROV_CONFIG: policy file .*prov-native\.config\.json: unknown rule "nope"/)
  assert.doesNotMatch(cli.stderr, /npm config/)

  // Malformed JSON in it, and the package.json key.
  fs.writeFileSync(file, '{ "rules": ')
  await assert.rejects(pn.guard({ cwd: dir, cache: false, offline: true }), (e) => {
    assert.ok(e.message.includes(`policy file ${file}`), e.message)
    return true
  })
  fs.rmSync(file)
  const pjFile = path.join(dir, 'package.json')
  const pj = JSON.parse(fs.readFileSync(pjFile, 'utf8'))
  fs.writeFileSync(pjFile, JSON.stringify({ ...pj, 'prov-native': { rules: { typosquat: 'loud' } } }))
  await assert.rejects(pn.guard({ cwd: dir, cache: false, offline: true }), (e) => {
    assert.equal(e.code, 'ERR_PROV_CONFIG')
    assert.ok(e.message.startsWith(`policy file ${pjFile} ("prov-native"): rules.typosquat`), e.message)
    return true
  })
  // An explicit --config that does not exist.
  await assert.rejects(pn.guard({ cwd: dir, cache: false, offline: true, config: 'missing.json' }), (e) => {
    assert.equal(e.code, 'ERR_PROV_IO')
    assert.ok(e.message.includes('policy file'), e.message)
    return true
  })
})
