'use strict'

// Tests for the fake registry in ./registry.js (node --test __test__/registry.test.js).

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const { startRegistry, fixturesDir } = require('./registry')

const PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1'

// SHA-512 prefixes of the fixture tarballs, as listed in fixtures/README.md ("sha512 hex ...").
const SIGSTORE_SHA512_PREFIX = {
  '0.4.0': '282c0c5fa936d264',
  '1.0.0': '7bea9f6e7ff37f5f',
  '1.3.0': '76176ffa33808b54',
  '1.8.0': 'a2053caad4375450',
  '2.0.0': '46d4e2f74c487731',
  '2.1.0': '90f223f992e4c88d',
  '2.2.0': '7dc53d7251f012cb',
  '2.3.1': 'f06fbf5c353cc0db',
  '5.0.0': '849a897e81bf7b8a'
}

function integrityHex (integrity) {
  assert.match(integrity, /^sha512-/)
  return Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex')
}

async function getJson (url, headers = {}) {
  const res = await fetch(url, { headers })
  const text = await res.text()
  return { res, status: res.status, body: text ? JSON.parse(text) : null }
}

let reg
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

test('url is a 127.0.0.1 base with a trailing slash', () => {
  assert.match(reg.url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
})

test('sigstore packument lists the fixture versions with the right integrity', async () => {
  const { status, res, body } = await getJson(reg.url + 'sigstore')
  assert.equal(status, 200)
  assert.match(res.headers.get('content-type'), /^application\/json/)
  assert.equal(body.name, 'sigstore')
  assert.equal(body._id, 'sigstore')
  assert.deepEqual(Object.keys(body.versions), Object.keys(SIGSTORE_SHA512_PREFIX))
  assert.equal(body['dist-tags'].latest, '5.0.0')
  for (const [version, prefix] of Object.entries(SIGSTORE_SHA512_PREFIX)) {
    const m = body.versions[version]
    assert.equal(m.name, 'sigstore')
    assert.equal(m.version, version)
    assert.ok(integrityHex(m.dist.integrity).startsWith(prefix), `sigstore@${version} integrity`)
    assert.match(m.dist.shasum, /^[0-9a-f]{40}$/)
    assert.equal(m.dist.tarball, `${reg.url}sigstore/-/sigstore-${version}.tgz`)
    assert.ok(body.time[version], `time[${version}]`)
  }
  assert.equal(body.time.created, body.time['0.4.0'])
  assert.equal(body.time.modified, body.time['5.0.0'])
  // the packument() helper returns the same document
  assert.deepEqual(reg.packument('sigstore'), body)

  // the tarball itself hashes to the advertised integrity
  const tgz = Buffer.from(await (await fetch(body.versions['2.3.1'].dist.tarball)).arrayBuffer())
  assert.equal('sha512-' + crypto.createHash('sha512').update(tgz).digest('base64'), body.versions['2.3.1'].dist.integrity)
  assert.equal(crypto.createHash('sha1').update(tgz).digest('hex'), body.versions['2.3.1'].dist.shasum)
})

test('registry signatures for sigstore@1.0.0 and tuf-js@1.0.0 verify with the served keys', async () => {
  const keys = (await getJson(reg.url + '-/npm/v1/keys')).body.keys
  const expectedKeys = fs.readFileSync(path.join(fixturesDir(), 'keys/npm-registry-keys.json'), 'utf8')
  assert.deepEqual(keys, JSON.parse(expectedKeys).keys)
  for (const [name, version] of [['sigstore', '1.0.0'], ['tuf-js', '1.0.0']]) {
    const dist = (await getJson(reg.url + name)).body.versions[version].dist
    assert.equal(dist.signatures.length, 1)
    const { keyid, sig } = dist.signatures[0]
    const key = keys.find((k) => k.keyid === keyid)
    assert.ok(key, `key ${keyid}`)
    const pub = crypto.createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' })
    const ok = crypto.verify('sha256', Buffer.from(`${name}@${version}:${dist.integrity}`), pub, Buffer.from(sig, 'base64'))
    assert.ok(ok, `${name}@${version} signature`)
  }
  // versions with no matching valid tuple have none
  assert.equal(reg.packument('sigstore').versions['2.3.1'].dist.signatures, undefined)
})

test('attestations endpoint for sigstore@2.3.1 returns 2 entries', async () => {
  const dist = reg.packument('sigstore').versions['2.3.1'].dist
  assert.equal(dist.attestations.url, `${reg.url}-/npm/v1/attestations/sigstore@2.3.1`)
  assert.equal(dist.attestations.provenance.predicateType, 'https://slsa.dev/provenance/v1')
  const { status, body } = await getJson(dist.attestations.url)
  assert.equal(status, 200)
  assert.equal(body.attestations.length, 2)
  assert.deepEqual(body.attestations.map((a) => a.predicateType).sort(),
    [PUBLISH, 'https://slsa.dev/provenance/v1'])
  // verbatim fixture file
  const raw = fs.readFileSync(path.join(fixturesDir(), 'attestations/sigstore-2.3.1.json'))
  const served = Buffer.from(await (await fetch(dist.attestations.url)).arrayBuffer())
  assert.ok(served.equals(raw))
})

test('assembled attestations: one bundle per predicateType, newest media type', async () => {
  // sigstore@2.2.0 has a v0.2 and a v0.3 bundle of the same provenance
  const { status, body } = await getJson(reg.url + '-/npm/v1/attestations/sigstore@2.2.0')
  assert.equal(status, 200)
  assert.equal(body.attestations.length, 1)
  assert.equal(body.attestations[0].predicateType, 'https://slsa.dev/provenance/v1')
  assert.equal(body.attestations[0].bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json')
  // sigstore@1.3.0: provenance + publish from separate bundle files
  const r13 = await getJson(reg.url + '-/npm/v1/attestations/sigstore@1.3.0')
  assert.deepEqual(r13.body.attestations.map((a) => a.predicateType), ['https://slsa.dev/provenance/v0.2', PUBLISH])
  // a version without attestations
  assert.equal((await getJson(reg.url + '-/npm/v1/attestations/@npmcli%2flibnpmpublish-test@1.0.0')).status, 404)
  assert.equal(reg.packument('@npmcli/libnpmpublish-test').versions['1.0.0'].dist.attestations, undefined)
})

test('scoped names: packument, tarball and attestations', async () => {
  const forms = ['@playwright%2fcli', '@playwright%2Fcli', '@playwright/cli', '%40playwright%2fcli']
  let first
  for (const form of forms) {
    const { status, body } = await getJson(reg.url + form, { accept: 'application/vnd.npm.install-v1+json' })
    assert.equal(status, 200, form)
    assert.equal(body.name, '@playwright/cli')
    first = first || body
    assert.deepEqual(body, first)
  }
  const dist = first.versions['0.1.1'].dist
  assert.equal(dist.tarball, `${reg.url}@playwright/cli/-/cli-0.1.1.tgz`)
  const tgz = Buffer.from(await (await fetch(dist.tarball)).arrayBuffer())
  assert.ok(crypto.createHash('sha512').update(tgz).digest('hex').startsWith('f64d7565f0f001f3'))
  assert.equal(dist.integrity, 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64'))
  for (const spec of ['%40playwright%2fcli@0.1.1', '@playwright%2fcli@0.1.1', '@playwright/cli@0.1.1']) {
    const { status, body } = await getJson(reg.url + '-/npm/v1/attestations/' + spec)
    assert.equal(status, 200, spec)
    assert.equal(body.attestations.length, 2)
  }
})

test('fixture packuments are served with tarball URLs on this server; their tarballs 404', async () => {
  const { body } = await getJson(reg.url + '@ljharb%2fhas-package-exports-patterns')
  const dist = body.versions['0.0.2'].dist
  assert.equal(dist.tarball, `${reg.url}@ljharb/has-package-exports-patterns/-/has-package-exports-patterns-0.0.2.tgz`)
  assert.equal(dist.signatures.length, 1)
  assert.equal((await fetch(dist.tarball)).status, 404)
  const abbrev = (await getJson(reg.url + 'abbrev')).body
  assert.equal(abbrev['dist-tags'].latest, '2.0.0')
  for (const m of Object.values(abbrev.versions)) assert.ok(m.dist.tarball.startsWith(reg.url))
})

test('unknown paths answer 404 {"error":"Not found"}', async () => {
  for (const p of ['no-such-package', 'sigstore/-/sigstore-9.9.9.tgz', '-/npm/v1/attestations/sigstore@9.9.9', '-/whoami']) {
    const { status, body } = await getJson(reg.url + p)
    assert.equal(status, 404, p)
    assert.deepEqual(body, { error: 'Not found' })
  }
})

test('etag and 304', async () => {
  for (const p of ['sigstore', '-/npm/v1/keys', '-/npm/v1/attestations/sigstore@2.3.1', 'sigstore/-/sigstore-1.0.0.tgz']) {
    const first = await fetch(reg.url + p)
    const buf = Buffer.from(await first.arrayBuffer())
    const etag = first.headers.get('etag')
    assert.equal(etag, '"' + crypto.createHash('sha1').update(buf).digest('hex') + '"')
    const again = await fetch(reg.url + p, { headers: { 'if-none-match': etag } })
    assert.equal(again.status, 304, p)
    assert.equal((await again.arrayBuffer()).byteLength, 0)
    const other = await fetch(reg.url + p, { headers: { 'if-none-match': '"nope"' } })
    assert.equal(other.status, 200)
    await other.arrayBuffer()
  }
})

test('requests are recorded in order', async () => {
  const r = await startRegistry()
  try {
    await (await fetch(r.url + 'tuf-js')).arrayBuffer()
    await (await fetch(r.url + '-/npm/v1/keys')).arrayBuffer()
    assert.deepEqual(r.requests.map(({ method, url }) => ({ method, url })), [{ method: 'GET', url: '/tuf-js' }, { method: 'GET', url: '/-/npm/v1/keys' }])
    assert.deepEqual(r.requests.map((q) => q.status), [200, 200])
    assert.equal(r.requests[0].headers.host, new URL(r.url).host)
  } finally {
    await r.close()
  }
})

test('mirror mode strips signing data', async () => {
  const m = await startRegistry({ mirror: true })
  try {
    for (const name of ['sigstore', 'tuf-js', '@playwright/cli', 'has-package-exports', 'abbrev']) {
      const { status, body } = await getJson(m.url + name.replace('/', '%2f'))
      assert.equal(status, 200)
      for (const v of Object.values(body.versions)) {
        assert.equal(v.dist.signatures, undefined, `${name}@${v.version}`)
        assert.equal(v.dist.attestations, undefined, `${name}@${v.version}`)
        assert.ok(v.dist.integrity)
      }
    }
    assert.equal((await getJson(m.url + '-/npm/v1/keys')).status, 404)
    assert.equal((await getJson(m.url + '-/npm/v1/attestations/sigstore@2.3.1')).status, 404)
    assert.equal((await fetch(m.url + 'sigstore/-/sigstore-2.3.1.tgz')).status, 200)
  } finally {
    await m.close()
  }
})

test('token enforcement', async () => {
  const t = await startRegistry({ token: 'abc' })
  try {
    for (const p of ['sigstore', '-/npm/v1/keys', 'sigstore/-/sigstore-1.0.0.tgz', 'no-such-package']) {
      assert.equal((await getJson(t.url + p)).status, 401, p)
      assert.equal((await getJson(t.url + p, { authorization: 'Bearer wrong' })).status, 401, p)
    }
    assert.equal((await getJson(t.url + 'sigstore', { authorization: 'Bearer abc' })).status, 200)
    assert.equal((await getJson(t.url + '-/npm/v1/keys', { authorization: 'Bearer abc' })).status, 200)
    assert.equal(t.requests.length, 10)
  } finally {
    await t.close()
  }
})

test('overrides, tarballOverrides, attestationOverrides and status', async () => {
  const bad = fs.readFileSync(path.join(fixturesDir(), 'negative/pacote-invalid-attestations.json'))
  const o = await startRegistry({
    overrides: {
      sigstore: (p) => { p.versions['1.0.0'].dist.integrity = 'sha512-AAAA'; return p },
      'tuf-js': (p) => { delete p.versions['1.0.0'].dist.signatures }
    },
    tarballOverrides: { 'sigstore@2.3.1': Buffer.from('not a tarball') },
    attestationOverrides: { 'sigstore@0.4.0': JSON.parse(bad), 'sigstore@2.3.1': null },
    status: { '/gundam-visor': 500, '/@trishankatdatadog/': 503 }
  })
  try {
    assert.equal((await getJson(o.url + 'sigstore')).body.versions['1.0.0'].dist.integrity, 'sha512-AAAA')
    assert.equal(o.packument('sigstore').versions['1.0.0'].dist.integrity, 'sha512-AAAA')
    assert.equal(o.packument('tuf-js').versions['1.0.0'].dist.signatures, undefined)
    // tampered tarball; the packument keeps the original integrity
    const tgz = await fetch(o.url + 'sigstore/-/sigstore-2.3.1.tgz')
    assert.equal(await tgz.text(), 'not a tarball')
    assert.ok(integrityHex(o.packument('sigstore').versions['2.3.1'].dist.integrity).startsWith('f06fbf5c353cc0db'))
    assert.deepEqual((await getJson(o.url + '-/npm/v1/attestations/sigstore@0.4.0')).body, JSON.parse(bad))
    assert.equal((await getJson(o.url + '-/npm/v1/attestations/sigstore@2.3.1')).status, 404)
    assert.equal((await getJson(o.url + 'gundam-visor')).status, 500)
    assert.equal((await getJson(o.url + 'gundam-visor/-/gundam-visor-1.0.1.tgz')).status, 500)
    assert.equal((await getJson(o.url + '@trishankatdatadog%2fsupreme-goggles')).status, 503)
    assert.equal((await getJson(o.url + 'tuf-js')).status, 200)
  } finally {
    await o.close()
  }
  // the default server is unaffected
  assert.ok(integrityHex(reg.packument('sigstore').versions['1.0.0'].dist.integrity).startsWith('7bea9f6e7ff37f5f'))
  await assert.rejects(startRegistry({ overrides: { 'no-such-package': (p) => p } }), /unknown package/)
})

test('missing fixtures fail loudly', async () => {
  const saved = process.env.PROV_FIXTURES
  process.env.PROV_FIXTURES = path.join(__dirname, 'definitely-not-a-fixtures-dir')
  try {
    await assert.rejects(startRegistry(), /index\.json not found/)
  } finally {
    if (saved === undefined) delete process.env.PROV_FIXTURES
    else process.env.PROV_FIXTURES = saved
  }
})
