'use strict'

// A SYNTHETIC Sigstore instance for benchmarks: its own CA (Fulcio-like, P-384), CT log (P-256)
// issuing embedded SCTs, Rekor log (P-256) with Signed Entry Timestamps, an RFC 6962 Merkle
// tree with inclusion proofs and a signed checkpoint, and an npm-registry-like key (P-256) for
// registry signatures and publish attestations. Nothing here is trusted by anything but the
// synthetic trusted root it writes. Node's standard library only (a small DER encoder).

const crypto = require('node:crypto')

// --- DER ----------------------------------------------------------------------------------
function len (n) {
  if (n < 0x80) return Buffer.from([n])
  const b = []
  while (n > 0) { b.unshift(n & 0xff); n >>= 8 }
  return Buffer.from([0x80 | b.length, ...b])
}
const tlv = (tag, ...parts) => { const c = Buffer.concat(parts); return Buffer.concat([Buffer.from([tag]), len(c.length), c]) }
const seq = (...p) => tlv(0x30, ...p)
const set = (...p) => tlv(0x31, ...p)
const ctx = (n, ...p) => tlv(0xa0 | n, ...p)
const octet = (b) => tlv(0x04, b)
const utf8 = (s) => tlv(0x0c, Buffer.from(s))
const ia5Uri = (s) => tlv(0x86, Buffer.from(s)) // [6] IMPLICIT IA5String (SAN URI)
const bool = (v) => tlv(0x01, Buffer.from([v ? 0xff : 0]))
const bits = (b, unused = 0) => tlv(0x03, Buffer.from([unused]), b)
function int (v) {
  let h = v.toString(16)
  if (h.length % 2) h = '0' + h
  let b = Buffer.from(h, 'hex')
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b])
  return tlv(0x02, b)
}
function oid (s) {
  const p = s.split('.').map(Number)
  const out = [40 * p[0] + p[1]]
  for (const n of p.slice(2)) {
    const enc = [n & 0x7f]
    let v = Math.floor(n / 128)
    while (v > 0) { enc.unshift((v & 0x7f) | 0x80); v = Math.floor(v / 128) }
    out.push(...enc)
  }
  return tlv(0x06, Buffer.from(out))
}
function time (d) {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'
  return tlv(0x17, Buffer.from(s))
}
const name = (cn) => seq(set(seq(oid('2.5.4.10'), utf8('synthetic'))), set(seq(oid('2.5.4.3'), utf8(cn))))
const ext = (id, critical, value) => seq(oid(id), ...(critical ? [bool(true)] : []), octet(value))
const ECDSA_SHA384 = seq(oid('1.2.840.10045.4.3.3'))
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'))

const spki = (key) => key.export({ type: 'spki', format: 'der' })
const sha256 = (...b) => crypto.createHash('sha256').update(Buffer.concat(b)).digest()
const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
const u24 = (n) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b }

function signCert (tbs, issuerKey, alg) {
  const sig = crypto.sign(alg === ECDSA_SHA384 ? 'sha384' : 'sha256', tbs, { key: issuerKey, dsaEncoding: 'der' })
  return seq(tbs, alg, bits(sig))
}

function pem (der, label) {
  return `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`
}

// --- Merkle tree (RFC 6962) --------------------------------------------------------------
const leafHash = (b) => sha256(Buffer.from([0]), b)
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r)
const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k }

function tree (leaves) {
  const memo = new Map()
  const mth = (start, n) => {
    const key = `${start}:${n}`
    if (memo.has(key)) return memo.get(key)
    const h = n === 1 ? leaves[start] : nodeHash(mth(start, split(n)), mth(start + split(n), n - split(n)))
    memo.set(key, h)
    return h
  }
  const path = (m, start, n) => {
    if (n === 1) return []
    const k = split(n)
    return m < k
      ? [...path(m, start, k), mth(start + k, n - k)]
      : [...path(m - k, start + k, n - k), mth(start, k)]
  }
  return { root: mth(0, leaves.length), proof: (m) => path(m, 0, leaves.length) }
}

// --- The instance -------------------------------------------------------------------------
function createInstance () {
  const gen = (namedCurve) => crypto.generateKeyPairSync('ec', { namedCurve })
  const ca = gen('P-384')
  const ct = gen('P-256')
  const rekor = gen('P-256')
  const npm = gen('P-256')
  const leaf = gen('P-256')
  const start = new Date('2020-01-01T00:00:00Z')
  const caCert = signCert(seq(
    ctx(0, int(2)), int(1), ECDSA_SHA384, name('synthetic-fulcio'),
    seq(time(start), time(new Date('2049-01-01T00:00:00Z'))), name('synthetic-fulcio'), spki(ca.publicKey),
    ctx(3, seq(
      ext('2.5.29.19', true, seq(bool(true))),
      ext('2.5.29.15', true, bits(Buffer.from([0x06]), 1)) // keyCertSign, cRLSign
    ))
  ), ca.privateKey, ECDSA_SHA384)
  const ctSpki = spki(ct.publicKey)
  const rekorSpki = spki(rekor.publicKey)
  const npmSpki = spki(npm.publicKey)
  const rekorLogId = sha256(rekorSpki)
  const ctLogId = sha256(ctSpki)
  // npm key id: SHA256 of the OpenSSH wire-format key, unpadded base64.
  const point = npmSpki.subarray(npmSpki.length - 65)
  const sshStr = (b) => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 0xff, b.length & 0xff]), b])
  const wire = Buffer.concat([sshStr(Buffer.from('ecdsa-sha2-nistp256')), sshStr(Buffer.from('nistp256')), sshStr(point)])
  const npmKeyId = 'SHA256:' + sha256(wire).toString('base64').replace(/=+$/, '')
  const pubKey = (raw) => ({ rawBytes: raw.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: start.toISOString() } })

  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.synthetic.example', hashAlgorithm: 'SHA2_256', publicKey: pubKey(rekorSpki), logId: { keyId: rekorLogId.toString('base64') } }],
    certificateAuthorities: [{ subject: { organization: 'synthetic', commonName: 'synthetic-fulcio' }, uri: 'https://fulcio.synthetic.example', certChain: { certificates: [{ rawBytes: caCert.toString('base64') }] }, validFor: { start: start.toISOString() } }],
    ctlogs: [{ baseUrl: 'https://ctfe.synthetic.example', hashAlgorithm: 'SHA2_256', publicKey: pubKey(ctSpki), logId: { keyId: ctLogId.toString('base64') } }],
    timestampAuthorities: []
  }
  const npmKeys = { keys: [{ keyid: npmKeyId, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: npmSpki.toString('base64'), expires: null }] }

  let serial = 1000
  // A Fulcio-like leaf for a GitHub Actions build of `repo` at `ref`, with an embedded SCT.
  function leafCert (repo, ref, commit, t) {
    const san = `https://github.com/${repo}/.github/workflows/release.yml@${ref}`
    const exts = [
      ext('2.5.29.15', true, bits(Buffer.from([0x80]), 7)), // digitalSignature
      ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))), // codeSigning
      ext('2.5.29.17', true, seq(ia5Uri(san))),
      ext('1.3.6.1.4.1.57264.1.1', false, Buffer.from('https://token.actions.githubusercontent.com')),
      ext('1.3.6.1.4.1.57264.1.8', false, utf8('https://token.actions.githubusercontent.com')),
      ext('1.3.6.1.4.1.57264.1.9', false, utf8(san)),
      ext('1.3.6.1.4.1.57264.1.11', false, utf8('github-hosted')),
      ext('1.3.6.1.4.1.57264.1.12', false, utf8(`https://github.com/${repo}`)),
      ext('1.3.6.1.4.1.57264.1.13', false, utf8(commit)),
      ext('1.3.6.1.4.1.57264.1.14', false, utf8(ref)),
      ext('1.3.6.1.4.1.57264.1.18', false, utf8(san)),
      ext('1.3.6.1.4.1.57264.1.20', false, utf8('push'))
    ]
    const head = [ctx(0, int(2)), int(serial++), ECDSA_SHA384, name('synthetic-fulcio'),
      seq(time(new Date(t - 60000)), time(new Date(t + 540000))), seq(), spki(leaf.publicKey)]
    const precertTbs = seq(...head, ctx(3, seq(...exts)))
    const ts = t - 1000
    const signed = Buffer.concat([Buffer.from([0, 0]), u64(ts), u16(1), sha256(spki(ca.publicKey)), u24(precertTbs.length), precertTbs, u16(0)])
    const sig = crypto.sign('sha256', signed, { key: ct.privateKey, dsaEncoding: 'der' })
    const sct = Buffer.concat([Buffer.from([0]), ctLogId, u64(ts), u16(0), Buffer.from([4, 3]), u16(sig.length), sig])
    const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct])
    const tbs = seq(...head, ctx(3, seq(...exts, ext('1.3.6.1.4.1.11129.2.4.2', false, octet(list)))))
    return signCert(tbs, ca.privateKey, ECDSA_SHA384)
  }

  const pae = (type, payload) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload])

  // Entries are collected, then the log is "integrated" once: tree, proofs, checkpoint, SETs.
  const entries = []
  function dsse (statement, { keyed, t, cert }) {
    const payload = Buffer.from(JSON.stringify(statement))
    const type = 'application/vnd.in-toto+json'
    const sig = crypto.sign('sha256', pae(type, payload), { key: keyed ? npm.privateKey : leaf.privateKey, dsaEncoding: 'der' })
    const envelope = { payload: payload.toString('base64'), payloadType: type, signatures: [{ sig: sig.toString('base64'), keyid: keyed ? npmKeyId : '' }] }
    const verifier = keyed ? pem(npmSpki, 'PUBLIC KEY') : pem(cert, 'CERTIFICATE')
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(JSON.stringify(envelope))).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        signatures: [{ signature: envelope.signatures[0].sig, verifier: Buffer.from(verifier).toString('base64') }]
      }
    }
    const entry = { body: Buffer.from(JSON.stringify(body)), t, index: entries.length }
    entries.push(entry)
    const bundle = keyed
      ? { mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2', verificationMaterial: { publicKey: { hint: npmKeyId }, tlogEntries: [entry], timestampVerificationData: {} }, dsseEnvelope: envelope }
      : { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { certificate: { rawBytes: cert.toString('base64') }, tlogEntries: [entry], timestampVerificationData: {} }, dsseEnvelope: envelope }
    return bundle
  }

  // Replace every placeholder entry with its complete tlog entry.
  function integrate () {
    const t = tree(entries.map((e) => leafHash(e.body)))
    const size = entries.length
    const origin = 'rekor.synthetic.example - 1'
    const note = `${origin}\n${size}\n${t.root.toString('base64')}\n`
    const nsig = crypto.sign('sha256', Buffer.from(note), { key: rekor.privateKey, dsaEncoding: 'der' })
    const checkpoint = `${note}\n\u2014 rekor.synthetic.example ${Buffer.concat([rekorLogId.subarray(0, 4), nsig]).toString('base64')}\n`
    for (const e of entries) {
      const b64 = e.body.toString('base64')
      const integratedTime = Math.floor(e.t / 1000)
      const canonical = `{"body":${JSON.stringify(b64)},"integratedTime":${integratedTime},"logID":${JSON.stringify(rekorLogId.toString('hex'))},"logIndex":${e.index}}`
      const set = crypto.sign('sha256', Buffer.from(canonical), { key: rekor.privateKey, dsaEncoding: 'der' })
      e.full = {
        logIndex: String(e.index),
        logId: { keyId: rekorLogId.toString('base64') },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: String(integratedTime),
        inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
        inclusionProof: {
          logIndex: String(e.index),
          rootHash: t.root.toString('base64'),
          treeSize: String(size),
          hashes: t.proof(e.index).map((h) => h.toString('base64')),
          checkpoint: { envelope: checkpoint }
        },
        canonicalizedBody: b64
      }
    }
  }

  function purl (n, v) { return `pkg:npm/${n.replace(/^@/, '%40')}@${v}` }

  // The pair of attestations for one package version, plus its registry signature.
  function attest (pkgName, version, integrity, t) {
    const hex = Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex')
    const repo = `synthetic-org/${pkgName.replace(/^@/, '').replace('/', '-')}`
    const commit = sha256(Buffer.from(`${pkgName}@${version}`)).toString('hex').slice(0, 40)
    const ref = `refs/tags/v${version}`
    const cert = leafCert(repo, ref, commit, t)
    const subject = [{ name: purl(pkgName, version), digest: { sha512: hex } }]
    const provenance = dsse({
      _type: 'https://in-toto.io/Statement/v1',
      subject,
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
          externalParameters: { workflow: { ref, repository: `https://github.com/${repo}`, path: '.github/workflows/release.yml' } },
          internalParameters: { github: { event_name: 'push', runner_environment: 'github-hosted' } },
          resolvedDependencies: [{ uri: `git+https://github.com/${repo}@${ref}`, digest: { gitCommit: commit } }]
        },
        runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' }, metadata: { invocationId: `https://github.com/${repo}/actions/runs/1/attempts/1` } }
      }
    }, { keyed: false, t, cert })
    const publish = dsse({
      _type: 'https://in-toto.io/Statement/v0.1',
      subject,
      predicateType: 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1',
      predicate: { name: pkgName, version, registry: 'https://registry.npm.example' }
    }, { keyed: true, t: t + 2000 })
    const sig = crypto.sign('sha256', Buffer.from(`${pkgName}@${version}:${integrity}`), { key: npm.privateKey, dsaEncoding: 'der' })
    return {
      attestations: [
        { predicateType: 'https://slsa.dev/provenance/v1', bundle: provenance },
        { predicateType: 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1', bundle: publish }
      ],
      signatures: [{ keyid: npmKeyId, sig: sig.toString('base64') }]
    }
  }

  // After integrate(): swap placeholder entries for complete ones inside every bundle.
  function finalize (responses) {
    integrate()
    for (const r of responses) {
      for (const a of r.attestations) {
        a.bundle.verificationMaterial.tlogEntries = a.bundle.verificationMaterial.tlogEntries.map((e) => e.full)
      }
    }
  }

  return { trustedRoot, npmKeys, npmKeyId, attest, finalize }
}

module.exports = { createInstance }
