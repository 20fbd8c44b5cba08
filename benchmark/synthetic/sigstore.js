'use strict'

// A SYNTHETIC Sigstore instance, for benchmarks and nothing else. Nothing here is trusted by
// anything but the synthetic trusted root it writes; every name in it says "synthetic".
//
//   CA          root (P-384, self-signed) + intermediate (P-384, pathlen 0), as Fulcio's chain
//   CT log      P-256 key; each leaf certificate carries an embedded SCT (RFC 6962 precertificate
//               entry over the TBS without the SCT extension, issuer key hash = SHA-256 of the
//               intermediate's SPKI)
//   Rekor       P-256 key; per entry a canonicalized body (intoto 0.0.2 or dsse 0.0.1), a Signed
//               Entry Timestamp over {"body","integratedTime","logID","logIndex"}, an RFC 6962
//               inclusion proof and a signed-note checkpoint for the tree as it was just after the
//               entry was added (each entry its own tree size, its own checkpoint)
//   npm key     P-256, in the /-/npm/v1/keys format; signs registry signatures
//               (`${name}@${version}:${integrity}`) and publish attestations (keyed bundles)
//
// Leaf certificates look like Fulcio's for a GitHub Actions build: empty subject, critical SAN URI
// `https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/tags/v<version>`, EKU
// codeSigning, SKI/AKI, the Fulcio OIDC extensions (1.3.6.1.4.1.57264.1.1-1.6 raw, 1.8-1.22 DER
// UTF8String), a fresh P-256 key each and 10 minutes of validity around the integrated time.
//
// X.509 is written with the small DER encoder below rather than a dependency (@peculiar/x509,
// pkijs): node:crypto cannot create certificates, and the SCT has to be computed over the exact
// TBS bytes of the certificate *without* its SCT extension and then embedded — with a library that
// means building each certificate twice and digging the TBS out; here the TBS is a Buffer we hold.
// Every certificate is parsed back by node:crypto (X509Certificate) in validate.js, and both
// verifiers (prov-native, @sigstore/verify) check the chain and the SCT.
//
// Keys are derived from a seed (same seed, same trusted root and npm key id); ECDSA signatures are
// randomised by OpenSSL, so bundles differ byte for byte between generations ("deterministic-ish").

const crypto = require('node:crypto')

const GENERATOR = 'prov-native synthetic sigstore v2'

// --- DER ----------------------------------------------------------------------------------
function derLen (n) {
  if (n < 0x80) return Buffer.from([n])
  const b = []
  while (n > 0) { b.unshift(n & 0xff); n = Math.floor(n / 256) }
  return Buffer.from([0x80 | b.length, ...b])
}
const tlv = (tag, ...parts) => { const c = Buffer.concat(parts); return Buffer.concat([Buffer.from([tag]), derLen(c.length), c]) }
const seq = (...p) => tlv(0x30, ...p)
const set = (...p) => tlv(0x31, ...p)
const explicit = (n, ...p) => tlv(0xa0 | n, ...p)
const octet = (b) => tlv(0x04, b)
const utf8 = (s) => tlv(0x0c, Buffer.from(s, 'utf8'))
const bool = (v) => tlv(0x01, Buffer.from([v ? 0xff : 0]))
const bits = (b, unused = 0) => tlv(0x03, Buffer.from([unused]), b)
function int (v) { // v: number, bigint or unsigned big-endian Buffer
  let b
  if (Buffer.isBuffer(v)) b = v
  else {
    let h = BigInt(v).toString(16)
    if (h.length % 2) h = '0' + h
    b = Buffer.from(h, 'hex')
  }
  let i = 0
  while (i < b.length - 1 && b[i] === 0 && !(b[i + 1] & 0x80)) i++
  b = b.subarray(i)
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
function time (d) { // RFC 5280: UTCTime through 2049, GeneralizedTime after
  const iso = d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso))
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  P256: '1.2.840.10045.3.1.7',
  P384: '1.3.132.0.34',
  O: '2.5.4.10',
  CN: '2.5.4.3',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
  san: '2.5.29.17',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  fulcio: (n) => `1.3.6.1.4.1.57264.1.${n}`
}
const ALG = { sha256: seq(oid(OID.ecdsaSha256)), sha384: seq(oid(OID.ecdsaSha384)) }
const name = (o, cn) => seq(set(seq(oid(OID.O), utf8(o))), set(seq(oid(OID.CN), utf8(cn))))
const ext = (id, critical, value) => seq(oid(id), ...(critical ? [bool(true)] : []), octet(value))

const sha256 = (...b) => crypto.createHash('sha256').update(Buffer.concat(b)).digest()
const spkiOf = (key) => key.export({ type: 'spki', format: 'der' })
const pointOf = (spki) => spki.subarray(spki.length - (spki.length > 100 ? 97 : 65)) // P-384 : P-256
const keyId = (spki) => crypto.createHash('sha1').update(pointOf(spki)).digest() // RFC 5280 method 1
const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
const u24 = (n) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b }
const b64 = (b) => Buffer.from(b).toString('base64')
const sign = (hash, data, key) => crypto.sign(hash, data, { key, dsaEncoding: 'der' })

function pem (der, label) {
  return `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`
}

// A private key derived from the seed: SEC1 ECPrivateKey without the public point (OpenSSL
// computes it). 0 < d < n is checked; a miss (probability ~2^-128) takes the next counter.
const ORDER = {
  'P-256': { bytes: 32, oid: OID.P256, n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
  'P-384': { bytes: 48, oid: OID.P384, n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n }
}
function derivedKey (seed, label, curve) {
  const { bytes, oid: curveOid, n } = ORDER[curve]
  for (let i = 0; ; i++) {
    const d = crypto.createHmac('sha512', seed).update(`${label}/${i}`).digest().subarray(0, bytes)
    const v = BigInt('0x' + d.toString('hex'))
    if (v === 0n || v >= n) continue
    const sec1 = seq(int(1), octet(d), explicit(0, oid(curveOid)))
    const privateKey = crypto.createPrivateKey({ key: sec1, format: 'der', type: 'sec1' })
    return { privateKey, publicKey: crypto.createPublicKey(privateKey) }
  }
}

// --- Merkle tree (RFC 6962 §2.1) -----------------------------------------------------------
const leafHash = (b) => sha256(Buffer.from([0]), b)
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r)
const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k } // largest power of 2 < n

function merkle (leaves) {
  const full = new Map() // complete subtrees never change as the tree grows: memoise them
  const mth = (start, n) => {
    if (n === 1) return leaves[start]
    const complete = (n & (n - 1)) === 0
    const key = start * 64 + Math.log2(n)
    if (complete && full.has(key)) return full.get(key)
    const k = split(n)
    const h = nodeHash(mth(start, k), mth(start + k, n - k))
    if (complete) full.set(key, h)
    return h
  }
  const path = (m, start, n) => { // PATH(m, D[start:start+n]), leaf to root
    if (n === 1) return []
    const k = split(n)
    return m < k
      ? [...path(m, start, k), mth(start + k, n - k)]
      : [...path(m - k, start + k, n - k), mth(start, k)]
  }
  return { root: (size) => mth(0, size), proof: (index, size) => path(index, 0, size) }
}

// --- tar (for the self-test packages' tarballs) ---------------------------------------------
function tgz (files) {
  const zlib = require('node:zlib')
  const blocks = []
  for (const [file, text] of Object.entries(files)) {
    const body = Buffer.from(text)
    const h = Buffer.alloc(512)
    const put = (off, len, s) => h.write(s, off, len, 'ascii')
    put(0, 100, file)
    put(100, 8, '0000644\0')
    put(108, 8, '0000000\0')
    put(116, 8, '0000000\0')
    put(124, 12, body.length.toString(8).padStart(11, '0') + '\0')
    put(136, 12, '14707014000\0') // 1985-10-26, as npm pack writes
    h.fill(0x20, 148, 156)
    put(156, 1, '0')
    put(257, 8, 'ustar\x0000')
    let sum = 0
    for (const c of h) sum += c
    put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return zlib.gzipSync(Buffer.concat(blocks), { level: 9 })
}

// --- The instance -------------------------------------------------------------------------
const ORIGIN_NAME = 'rekor.synthetic.example'
const ISSUER = 'https://token.actions.githubusercontent.com'
const PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
const PUBLISH_V01 = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1'
const START = new Date('2021-01-01T00:00:00Z')

function createInstance ({ seed = GENERATOR, logOffset = 100000000 } = {}) {
  const root = derivedKey(seed, 'ca-root', 'P-384')
  const inter = derivedKey(seed, 'ca-intermediate', 'P-384')
  const ct = derivedKey(seed, 'ctlog', 'P-256')
  const rekor = derivedKey(seed, 'rekor', 'P-256')
  const npm = derivedKey(seed, 'npm-registry', 'P-256')

  const rootSpki = spkiOf(root.publicKey)
  const interSpki = spkiOf(inter.publicKey)
  const ctSpki = spkiOf(ct.publicKey)
  const rekorSpki = spkiOf(rekor.publicKey)
  const npmSpki = spkiOf(npm.publicKey)
  const rootName = name('synthetic.example', 'synthetic-sigstore')
  const interName = name('synthetic.example', 'synthetic-sigstore-intermediate')
  const serialOf = (label) => { const s = sha256(Buffer.from(`${seed}/serial/${label}`)).subarray(0, 20); s[0] &= 0x7f; s[0] |= 0x01; return s }

  function certificate ({ serial, issuer, validity, subject, spki, exts, signer }, { tbsOnly = false } = {}) {
    const tbs = seq(explicit(0, int(2)), int(serial), ALG.sha384, issuer, seq(time(validity[0]), time(validity[1])), subject, spki, explicit(3, seq(...exts)))
    return { tbs, der: tbsOnly ? null : seq(tbs, ALG.sha384, bits(sign('sha384', tbs, signer))) }
  }

  const caValidity = [START, new Date('2049-12-31T23:59:59Z')]
  const rootCert = certificate({
    serial: serialOf('root'),
    issuer: rootName,
    validity: caValidity,
    subject: rootName,
    spki: rootSpki,
    exts: [
      ext(OID.keyUsage, true, bits(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
      ext(OID.basicConstraints, true, seq(bool(true))),
      ext(OID.ski, false, octet(keyId(rootSpki))),
      ext(OID.aki, false, seq(tlv(0x80, keyId(rootSpki))))
    ],
    signer: root.privateKey
  }).der
  const interCert = certificate({
    serial: serialOf('intermediate'),
    issuer: rootName,
    validity: caValidity,
    subject: interName,
    spki: interSpki,
    exts: [
      ext(OID.keyUsage, true, bits(Buffer.from([0x06]), 1)),
      ext(OID.extKeyUsage, false, seq(oid(OID.codeSigning))),
      ext(OID.basicConstraints, true, seq(bool(true), int(0))),
      ext(OID.ski, false, octet(keyId(interSpki))),
      ext(OID.aki, false, seq(tlv(0x80, keyId(rootSpki))))
    ],
    signer: root.privateKey
  }).der

  const rekorLogId = sha256(rekorSpki)
  const ctLogId = sha256(ctSpki)
  const issuerKeyHash = sha256(interSpki)

  // npm key id: "SHA256:" + unpadded base64 of SHA-256 over the OpenSSH wire-format key.
  const npmKeyId = npmKeyIdOf(npmSpki)
  const npmPem = pem(npmSpki, 'PUBLIC KEY')

  const pubKey = (raw) => ({ rawBytes: b64(raw), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: START.toISOString() } })
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.synthetic.example', hashAlgorithm: 'SHA2_256', publicKey: pubKey(rekorSpki), logId: { keyId: b64(rekorLogId) } }],
    certificateAuthorities: [{
      subject: { organization: 'synthetic.example', commonName: 'synthetic-sigstore' },
      uri: 'https://fulcio.synthetic.example',
      certChain: { certificates: [{ rawBytes: b64(interCert) }, { rawBytes: b64(rootCert) }] },
      validFor: { start: START.toISOString() }
    }],
    ctlogs: [{ baseUrl: 'https://ctfe.synthetic.example', hashAlgorithm: 'SHA2_256', publicKey: pubKey(ctSpki), logId: { keyId: b64(ctLogId) } }],
    timestampAuthorities: []
  }
  const npmKeys = { keys: [{ keyid: npmKeyId, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: b64(npmSpki), expires: null }] }

  // A Fulcio-like leaf for a GitHub Actions release build, with a fresh key and an embedded SCT.
  let leaves = 0
  function leafCertificate ({ repo, ref, commit, t }) {
    const n = leaves++
    const key = derivedKey(seed, `leaf/${n}`, 'P-256')
    const spki = spkiOf(key.publicKey)
    const owner = repo.split('/')[0]
    const workflow = `https://github.com/${repo}/.github/workflows/release.yml@${ref}`
    const run = `https://github.com/${repo}/actions/runs/${1000000 + n}/attempts/1`
    const raw = (i, s) => ext(OID.fulcio(i), false, Buffer.from(s))
    const str = (i, s) => ext(OID.fulcio(i), false, utf8(s))
    const exts = [
      ext(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)), // digitalSignature
      ext(OID.extKeyUsage, false, seq(oid(OID.codeSigning))),
      ext(OID.ski, false, octet(keyId(spki))),
      ext(OID.aki, false, seq(tlv(0x80, keyId(interSpki)))),
      ext(OID.san, true, seq(tlv(0x86, Buffer.from(workflow)))), // uniformResourceIdentifier
      raw(1, ISSUER), // v1: raw bytes
      raw(2, 'push'),
      raw(3, commit),
      raw(4, 'Release'),
      raw(5, repo),
      raw(6, ref),
      str(8, ISSUER), // v2: DER UTF8String
      str(9, workflow), // build signer URI
      str(10, commit), // build signer digest
      str(11, 'github-hosted'), // runner environment
      str(12, `https://github.com/${repo}`), // source repository URI
      str(13, commit), // source repository digest
      str(14, ref), // source repository ref
      str(15, String(500000000 + n)), // source repository identifier
      str(16, `https://github.com/${owner}`), // source repository owner URI
      str(17, String(90000000 + (n % 997))), // source repository owner identifier
      str(18, workflow), // build config URI
      str(19, commit), // build config digest
      str(20, 'push'), // build trigger
      str(21, run), // run invocation URI
      str(22, 'public') // source repository visibility
    ]
    const notBefore = new Date((Math.floor(t / 1000) - 5) * 1000)
    const head = {
      serial: serialOf(`leaf/${n}`),
      issuer: interName,
      validity: [notBefore, new Date(notBefore.getTime() + 600000)],
      subject: seq(),
      spki,
      signer: inter.privateKey
    }
    // RFC 6962 §3.2: the SCT signs the precertificate's TBS, i.e. the TBS without the SCT list.
    const precertTbs = certificate({ ...head, exts }, { tbsOnly: true }).tbs
    const ts = notBefore.getTime() + 150
    const signed = Buffer.concat([Buffer.from([0, 0]), u64(ts), u16(1), issuerKeyHash, u24(precertTbs.length), precertTbs, u16(0)])
    const sig = sign('sha256', signed, ct.privateKey)
    const sct = Buffer.concat([Buffer.from([0]), ctLogId, u64(ts), u16(0), Buffer.from([4, 3]), u16(sig.length), sig])
    const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct])
    const cert = certificate({ ...head, exts: [...exts, ext(OID.sctList, false, octet(list))] })
    return { der: cert.der, key: key.privateKey, run }
  }

  const PAYLOAD_TYPE = 'application/vnd.in-toto+json'
  const pae = (payload) => Buffer.concat([Buffer.from(`DSSEv1 ${PAYLOAD_TYPE.length} ${PAYLOAD_TYPE} ${payload.length} `), payload])

  // Log entries are collected, then integrated once (tree, proofs, checkpoints, SETs).
  const entries = []
  function envelopeAndEntry (statement, { key, keyid, verifierPem, kind, t }) {
    const payload = Buffer.from(JSON.stringify(statement))
    const sig = sign('sha256', pae(payload), key)
    const envelope = { payload: b64(payload), payloadType: PAYLOAD_TYPE, signatures: [{ sig: b64(sig), keyid }] }
    const envelopeJson = JSON.stringify(envelope)
    // Canonicalized bodies as Rekor stores them: keys sorted, no whitespace.
    const body = kind === 'intoto'
      ? {
          apiVersion: '0.0.2',
          kind: 'intoto',
          spec: {
            content: {
              envelope: {
                payloadType: PAYLOAD_TYPE,
                signatures: [{ ...(keyid ? { keyid } : {}), publicKey: b64(verifierPem), sig: b64(b64(sig)) }]
              },
              hash: { algorithm: 'sha256', value: sha256(Buffer.from(envelopeJson)).toString('hex') },
              payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') }
            }
          }
        }
      : {
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelopeJson)).toString('hex') },
            payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
            signatures: [{ signature: b64(sig), verifier: b64(verifierPem) }]
          }
        }
    const entry = { body: Buffer.from(JSON.stringify(body)), t, index: entries.length, kind: body.kind, version: body.apiVersion, tlog: null }
    entries.push(entry)
    return { envelope, entry }
  }

  let integrated = 0
  function integrate () {
    const N = entries.length
    const tree = merkle(entries.map((e) => leafHash(e.body)))
    const treeId = BigInt('0x' + sha256(Buffer.from(`${seed}/tree`)).toString('hex').slice(0, 15)).toString()
    const origin = `${ORIGIN_NAME} - ${treeId}`
    const checkpoints = new Map()
    const checkpoint = (size) => {
      if (!checkpoints.has(size)) {
        const note = `${origin}\n${size}\n${b64(tree.root(size))}\n`
        const sig = sign('sha256', Buffer.from(note), rekor.privateKey)
        checkpoints.set(size, `${note}\n\u2014 ${ORIGIN_NAME} ${b64(Buffer.concat([rekorLogId.subarray(0, 4), sig]))}\n`)
      }
      return checkpoints.get(size)
    }
    for (const e of entries) {
      if (e.tlog) continue
      // The tree as it was a moment after the entry was added (a few later entries included).
      const size = Math.min(N, e.index + 1 + (e.index % 3))
      const integratedTime = Math.floor(e.t / 1000)
      const logIndex = logOffset + e.index // global index; inclusionProof.logIndex is the shard's
      const body = b64(e.body)
      const canonical = `{"body":${JSON.stringify(body)},"integratedTime":${integratedTime},"logID":"${rekorLogId.toString('hex')}","logIndex":${logIndex}}`
      e.tlog = {
        logIndex: String(logIndex),
        logId: { keyId: b64(rekorLogId) },
        kindVersion: { kind: e.kind, version: e.version },
        integratedTime: String(integratedTime),
        inclusionPromise: { signedEntryTimestamp: b64(sign('sha256', Buffer.from(canonical), rekor.privateKey)) },
        inclusionProof: {
          logIndex: String(e.index),
          rootHash: b64(tree.root(size)),
          treeSize: String(size),
          hashes: tree.proof(e.index, size).map(b64),
          checkpoint: { envelope: checkpoint(size) }
        },
        canonicalizedBody: body
      }
    }
    integrated = N
  }

  const purl = (n, v) => `pkg:npm/${n.replace(/^@/, '%40')}@${v}`

  // The attestation pair for one package version plus its registry signature. `style` 0 looks
  // like 2026 data (v0.3 bundle, dsse 0.0.1), 1 like 2024 data (v0.2 with x509CertificateChain,
  // intoto 0.0.2); both verifiers must accept both. Bundles are completed by finish().
  function attest (pkgName, version, integrity, t, { style = 0 } = {}) {
    const sha512 = integrity.split(/\s+/).find((s) => s.startsWith('sha512-'))
    if (!sha512) throw new Error(`${pkgName}@${version}: no sha512 integrity to attest (${integrity})`)
    const hex = Buffer.from(sha512.slice(7), 'base64').toString('hex')
    const repo = pkgName.startsWith('@') ? `synthetic-${pkgName.slice(1).split('/')[0]}/${pkgName.split('/')[1]}` : `synthetic-org/${pkgName}`
    const commit = sha256(Buffer.from(`${seed}/${pkgName}@${version}`)).toString('hex').slice(0, 40)
    const ref = `refs/tags/v${version}`
    const leaf = leafCertificate({ repo, ref, commit, t })
    const subject = [{ name: purl(pkgName, version), digest: { sha512: hex } }]
    const kind = style === 1 ? 'intoto' : 'dsse'
    const prov = envelopeAndEntry({
      _type: 'https://in-toto.io/Statement/v1',
      subject,
      predicateType: PROVENANCE_V1,
      predicate: {
        buildDefinition: {
          buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
          externalParameters: { workflow: { ref, repository: `https://github.com/${repo}`, path: '.github/workflows/release.yml' } },
          internalParameters: { github: { event_name: 'push', repository_id: String(500000000 + leaves - 1), repository_owner_id: '90000000', runner_environment: 'github-hosted' } },
          resolvedDependencies: [{ uri: `git+https://github.com/${repo}@${ref}`, digest: { gitCommit: commit } }]
        },
        runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' }, metadata: { invocationId: leaf.run } }
      }
    }, { key: leaf.key, keyid: '', verifierPem: pem(leaf.der, 'CERTIFICATE'), kind, t })
    const publish = envelopeAndEntry({
      _type: 'https://in-toto.io/Statement/v0.1',
      subject,
      predicateType: PUBLISH_V01,
      predicate: { name: pkgName, version, registry: 'https://registry.npm.example' }
    }, { key: npm.privateKey, keyid: npmKeyId, verifierPem: npmPem, kind, t: t + 2000 })
    const tsv = { rfc3161Timestamps: [] }
    const provenance = style === 1
      ? { mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2', verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: b64(leaf.der) }] }, tlogEntries: [prov.entry], timestampVerificationData: tsv }, dsseEnvelope: prov.envelope }
      : { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { certificate: { rawBytes: b64(leaf.der) }, tlogEntries: [prov.entry], timestampVerificationData: tsv }, dsseEnvelope: prov.envelope }
    const publishBundle = { mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2', verificationMaterial: { publicKey: { hint: npmKeyId }, tlogEntries: [publish.entry], timestampVerificationData: tsv }, dsseEnvelope: publish.envelope }
    const pair = [
      { predicateType: PUBLISH_V01, bundle: publishBundle },
      { predicateType: PROVENANCE_V1, bundle: provenance }
    ]
    return {
      attestations: style === 1 ? pair : pair.reverse(), // real responses come in either order
      signatures: [registrySignature(pkgName, version, integrity)]
    }
  }

  function registrySignature (pkgName, version, integrity) {
    return { keyid: npmKeyId, sig: b64(sign('sha256', Buffer.from(`${pkgName}@${version}:${integrity}`), npm.privateKey)) }
  }

  // Integrate the log, then put each complete tlog entry in place of its placeholder.
  function finish (responses) {
    if (integrated !== entries.length) integrate()
    for (const r of responses) {
      for (const a of r.attestations) {
        const vm = a.bundle.verificationMaterial
        vm.tlogEntries = vm.tlogEntries.map((e) => (e.tlog ? e.tlog : e))
      }
    }
    return responses
  }

  return { trustedRoot, npmKeys, npmKeyId, attest, registrySignature, finish, tgz }
}

// "SHA256:" + unpadded base64 of SHA-256 over the OpenSSH wire format of a P-256 key
// (string "ecdsa-sha2-nistp256", string "nistp256", string <uncompressed point>).
function npmKeyIdOf (spkiDer) {
  const point = spkiDer.subarray(spkiDer.length - 65)
  const str = (b) => Buffer.concat([u16(0), u16(b.length), b])
  const wire = Buffer.concat([str(Buffer.from('ecdsa-sha2-nistp256')), str(Buffer.from('nistp256')), str(point)])
  return 'SHA256:' + sha256(wire).toString('base64').replace(/=+$/, '')
}

module.exports = { createInstance, npmKeyIdOf, tgz, GENERATOR, PROVENANCE_V1, PUBLISH_V01 }
