'use strict'

// A fake npm registry for the prov-native tests, listening on 127.0.0.1.
//
// Everything it serves comes from the real fixture set in testdata/fixtures
// (README.md there explains every file). Packuments for the packages that have
// fixture tarballs are assembled from those tarballs, the registry-signature
// tuples and the attestation fixtures; the three fixture packuments are served
// as they are, with their tarball URLs pointed at this server.
//
// No dependencies beyond Node's standard library.

const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const zlib = require('node:zlib')

const PUBLISH_PREDICATE = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1'
const PROVENANCE_PREFIX = 'https://slsa.dev/provenance/'
const CORGI = 'application/vnd.npm.install-v1+json'

// ---------------------------------------------------------------------------
// Fixture location

function fixturesDir () {
  return process.env.PROV_FIXTURES
    ? path.resolve(process.env.PROV_FIXTURES)
    : path.resolve(__dirname, '../testdata/fixtures')
}

function fixtureError (dir, what) {
  return new Error(
    `prov-native test registry: ${what} (fixtures directory: ${dir}). ` +
    'The fixtures are in testdata/fixtures (PROV_FIXTURES overrides the directory).'
  )
}

function readFixture (dir, rel) {
  const file = path.join(dir, rel)
  try {
    return fs.readFileSync(file)
  } catch (e) {
    throw fixtureError(dir, `cannot read fixture ${rel}: ${e.message}`)
  }
}

function readFixtureJson (dir, rel) {
  const buf = readFixture(dir, rel)
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch (e) {
    throw fixtureError(dir, `fixture ${rel} is not valid JSON: ${e.message}`)
  }
}

// ---------------------------------------------------------------------------
// Small helpers

// "name@version" -> { name, version }; the name may be scoped ("@scope/name@1.0.0").
function splitSpec (spec) {
  const at = spec.lastIndexOf('@')
  if (at <= 0) return null
  return { name: spec.slice(0, at), version: spec.slice(at + 1) }
}

function basename (name) {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name
}

// Minimal semver ordering: MAJOR.MINOR.PATCH[-prerelease][+build].
function parseSemver (v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(String(v).trim())
  if (!m) return null
  return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] }
}

function compareSemver (a, b) {
  const pa = parseSemver(a)
  const pb = parseSemver(b)
  if (!pa || !pb) {
    if (pa) return 1
    if (pb) return -1
    return a < b ? -1 : a > b ? 1 : 0
  }
  for (let i = 0; i < 3; i++) {
    if (pa.nums[i] !== pb.nums[i]) return pa.nums[i] < pb.nums[i] ? -1 : 1
  }
  // A version without prerelease ranks above one with a prerelease.
  if (!pa.pre.length && !pb.pre.length) return 0
  if (!pa.pre.length) return 1
  if (!pb.pre.length) return -1
  for (let i = 0; i < Math.max(pa.pre.length, pb.pre.length); i++) {
    const x = pa.pre[i]
    const y = pb.pre[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const xn = /^\d+$/.test(x)
    const yn = /^\d+$/.test(y)
    if (xn && yn) {
      if (Number(x) !== Number(y)) return Number(x) < Number(y) ? -1 : 1
    } else if (xn !== yn) {
      return xn ? -1 : 1
    } else if (x !== y) {
      return x < y ? -1 : 1
    }
  }
  return 0
}

// Rank of a Sigstore bundle media type, so that the newest one wins:
// "...bundle+json;version=0.2" -> 0.2, "...bundle.v0.3+json" -> 0.3.
function mediaTypeRank (mediaType) {
  const s = String(mediaType || '')
  const m = /version=(\d+)\.(\d+)/.exec(s) || /\.v(\d+)\.(\d+)\+json/.exec(s)
  if (!m) return -1
  // The ".v0.3+json" spelling is the current one; prefer it over ";version=0.3" on a tie.
  return Number(m[1]) * 1000 + Number(m[2]) * 10 + (s.includes('.v') ? 1 : 0)
}

function statementOf (bundle) {
  const payload = bundle && bundle.dsseEnvelope && bundle.dsseEnvelope.payload
  if (typeof payload !== 'string') return null
  try {
    return JSON.parse(Buffer.from(payload, 'base64').toString('utf8'))
  } catch {
    return null
  }
}

function integratedTimeOf (bundle) {
  const entries = bundle && bundle.verificationMaterial && bundle.verificationMaterial.tlogEntries
  if (!Array.isArray(entries) || !entries.length) return null
  const t = Number(entries[0].integratedTime)
  return Number.isFinite(t) && t > 0 ? t : null
}

// ---------------------------------------------------------------------------
// Tarballs: gunzip, then walk the ustar headers to find <top>/package.json.

function cstr (buf, start, end) {
  const slice = buf.subarray(start, end)
  const nul = slice.indexOf(0)
  return (nul === -1 ? slice : slice.subarray(0, nul)).toString('utf8')
}

function tarSize (buf, start) {
  // Base-256 (GNU) for very large files; octal otherwise.
  if (buf[start] & 0x80) {
    let n = 0
    for (let i = start + 1; i < start + 12; i++) n = n * 256 + buf[i]
    return n
  }
  const s = cstr(buf, start, start + 12).trim()
  return s ? parseInt(s, 8) : 0
}

function paxPath (data) {
  // Records are "<len> key=value\n".
  let off = 0
  let found = null
  while (off < data.length) {
    const sp = data.indexOf(0x20, off)
    if (sp === -1) break
    const len = parseInt(data.subarray(off, sp).toString('ascii'), 10)
    if (!len) break
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8')
    const eq = rec.indexOf('=')
    if (eq !== -1 && rec.slice(0, eq) === 'path') found = rec.slice(eq + 1)
    off += len
  }
  return found
}

function packageJsonFromTgz (tgz, label) {
  const tar = zlib.gunzipSync(tgz)
  const candidates = []
  let off = 0
  let nextPath = null
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512)
    if (header.every((b) => b === 0)) break
    const size = tarSize(header, 124)
    const type = String.fromCharCode(header[156] || 0x30)
    const dataStart = off + 512
    const data = tar.subarray(dataStart, dataStart + size)
    off = dataStart + Math.ceil(size / 512) * 512

    if (type === 'x') { nextPath = paxPath(data) || nextPath; continue }
    if (type === 'L') { nextPath = cstr(data, 0, data.length); continue }
    if (type === 'g') continue

    let name = cstr(header, 0, 100)
    const ustar = cstr(header, 257, 262) === 'ustar'
    const prefix = ustar ? cstr(header, 345, 500) : ''
    if (prefix) name = prefix + '/' + name
    if (nextPath) { name = nextPath; nextPath = null }

    if (type !== '0' && type !== '\0') continue
    const parts = name.replace(/^\.\//, '').split('/').filter(Boolean)
    if (parts.length === 2 && parts[1] === 'package.json') candidates.push({ top: parts[0], data })
  }
  const pick = candidates.find((c) => c.top === 'package') || candidates[0]
  if (!pick) throw new Error(`prov-native test registry: no <dir>/package.json in tarball ${label}`)
  try {
    return JSON.parse(pick.data.toString('utf8'))
  } catch (e) {
    throw new Error(`prov-native test registry: bad package.json in tarball ${label}: ${e.message}`)
  }
}

// ---------------------------------------------------------------------------
// Fixture model (independent of the server's port; cached per directory).

const modelCache = new Map()

function loadModel (dir) {
  if (modelCache.has(dir)) return modelCache.get(dir)

  if (!fs.existsSync(path.join(dir, 'index.json'))) {
    throw fixtureError(dir, 'index.json not found; the fixture set is missing')
  }
  const index = readFixtureJson(dir, 'index.json')
  if (!index || typeof index.tarballs !== 'object' || !Array.isArray(index.files)) {
    throw fixtureError(dir, 'index.json has no "tarballs" map or "files" list')
  }

  const sigTuples = readFixtureJson(dir, 'packuments/registry-signatures.json')
  if (!Array.isArray(sigTuples)) throw fixtureError(dir, 'packuments/registry-signatures.json is not a list')
  const keysBody = readFixture(dir, 'keys/npm-registry-keys.json')

  // Attestation responses per "name@version": { body: Buffer, entries: [{predicateType, bundle}] }.
  const attestations = new Map()
  for (const f of index.files) {
    if (f.kind !== 'attestations-response') continue
    const body = readFixture(dir, f.file)
    let doc
    try { doc = JSON.parse(body.toString('utf8')) } catch (e) { throw fixtureError(dir, `${f.file}: ${e.message}`) }
    if (!doc || !Array.isArray(doc.attestations)) throw fixtureError(dir, `${f.file} has no "attestations" list`)
    attestations.set(f.package, { source: [f.file], body, entries: doc.attestations })
  }
  // Versions without a response file: assemble one from the VALID single bundles,
  // one per predicateType (the newest media type wins).
  const assembled = new Map()
  for (const f of index.files) {
    if (f.kind !== 'bundle' || f.expect !== 'VALID' || !f.package) continue
    if (attestations.has(f.package)) continue
    const bundle = readFixtureJson(dir, f.file)
    const stmt = statementOf(bundle)
    if (!stmt || typeof stmt.predicateType !== 'string') {
      throw fixtureError(dir, `${f.file}: cannot read predicateType from the DSSE payload`)
    }
    const byType = assembled.get(f.package) || new Map()
    const prev = byType.get(stmt.predicateType)
    if (!prev || mediaTypeRank(bundle.mediaType) > mediaTypeRank(prev.bundle.mediaType)) {
      byType.set(stmt.predicateType, { file: f.file, predicateType: stmt.predicateType, bundle })
    }
    assembled.set(f.package, byType)
  }
  for (const [spec, byType] of assembled) {
    const picked = [...byType.values()]
    const doc = { attestations: picked.map(({ predicateType, bundle }) => ({ predicateType, bundle })) }
    attestations.set(spec, {
      source: picked.map((p) => p.file),
      body: Buffer.from(JSON.stringify(doc)),
      entries: doc.attestations
    })
  }

  // Per attestation set: predicate types and the time used for time[version].
  for (const att of attestations.values()) {
    const types = []
    let publishTime = null
    let provenanceTime = null
    for (const entry of att.entries) {
      const stmt = statementOf(entry.bundle)
      const type = (stmt && stmt.predicateType) || entry.predicateType
      types.push(type)
      const t = integratedTimeOf(entry.bundle)
      if (type === PUBLISH_PREDICATE) publishTime = publishTime ?? t
      else if (typeof type === 'string' && type.startsWith(PROVENANCE_PREFIX)) provenanceTime = provenanceTime ?? t
    }
    att.predicateTypes = types
    att.provenanceType = types.find((t) => typeof t === 'string' && t.startsWith(PROVENANCE_PREFIX)) || null
    att.time = publishTime ?? provenanceTime
  }

  // Packages built from the fixture tarballs.
  const packages = new Map() // name -> { kind: 'built', versions: Map(version -> {manifest, tgz, file}) }
  for (const [spec, rel] of Object.entries(index.tarballs)) {
    const s = splitSpec(spec)
    if (!s) throw fixtureError(dir, `index.json tarballs: bad key ${spec}`)
    const tgz = readFixture(dir, rel)
    const pkg = packageJsonFromTgz(tgz, rel)
    if (pkg.name !== s.name || pkg.version !== s.version) {
      throw fixtureError(dir, `${rel}: package.json says ${pkg.name}@${pkg.version}, index.json says ${spec}`)
    }
    const integrity = 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64')
    const shasum = crypto.createHash('sha1').update(tgz).digest('hex')
    const sig = sigTuples.find((t) =>
      t.name === s.name && t.version === s.version && t.integrity === integrity && t.expect === 'valid')
    const entry = packages.get(s.name) || { kind: 'built', name: s.name, versions: new Map() }
    entry.versions.set(s.version, {
      pkg,
      tgz,
      file: rel,
      integrity,
      shasum,
      signatures: sig ? [{ keyid: sig.keyid, sig: sig.sig }] : null,
      attestations: attestations.get(spec) || null
    })
    packages.set(s.name, entry)
  }

  // Packuments copied from public test suites, served as they are.
  for (const f of index.files) {
    if (f.kind !== 'packument' || !/\.full\.json$/.test(f.file)) continue
    const doc = readFixtureJson(dir, f.file)
    if (!doc || typeof doc.name !== 'string' || !doc.versions) throw fixtureError(dir, `${f.file} is not a packument`)
    if (packages.has(doc.name)) throw fixtureError(dir, `${f.file}: package ${doc.name} is defined twice`)
    packages.set(doc.name, { kind: 'fixture', name: doc.name, doc, file: f.file })
  }

  const model = { dir, packages, attestations, keysBody }
  modelCache.set(dir, model)
  return model
}

// ---------------------------------------------------------------------------
// Packuments for one server (URLs depend on its port).

function tarballUrl (base, name, version) {
  return `${base}${name}/-/${basename(name)}-${version}.tgz`
}

function buildPackument (model, entry, base) {
  if (entry.kind === 'fixture') {
    const doc = structuredClone(entry.doc)
    for (const [version, manifest] of Object.entries(doc.versions || {})) {
      if (manifest && manifest.dist && manifest.dist.tarball) {
        manifest.dist.tarball = tarballUrl(base, doc.name, version)
      }
    }
    return doc
  }

  const name = entry.name
  const versions = [...entry.versions.keys()].sort(compareSemver)
  const doc = { _id: name, name, 'dist-tags': { latest: versions[versions.length - 1] }, versions: {}, time: {} }
  const times = []
  for (const version of versions) {
    const v = entry.versions.get(version)
    const manifest = structuredClone(v.pkg)
    manifest._id = `${name}@${version}`
    manifest.dist = { integrity: v.integrity, shasum: v.shasum, tarball: tarballUrl(base, name, version) }
    if (v.signatures) manifest.dist.signatures = structuredClone(v.signatures)
    if (v.attestations) {
      manifest.dist.attestations = { url: `${base}-/npm/v1/attestations/${name}@${version}` }
      if (v.attestations.provenanceType) {
        manifest.dist.attestations.provenance = { predicateType: v.attestations.provenanceType }
      }
      // time[version] is DERIVED FROM THE ATTESTATION: the Rekor integratedTime of the
      // publish attestation (or of the provenance when there is no publish attestation).
      // The real publish time is not part of the fixtures.
      if (v.attestations.time) {
        const iso = new Date(v.attestations.time * 1000).toISOString()
        doc.time[version] = iso
        times.push(iso)
      }
    }
    doc.versions[version] = manifest
  }
  if (times.length) {
    times.sort()
    doc.time.created = times[0]
    doc.time.modified = times[times.length - 1]
  }
  return doc
}

function stripSigningData (doc) {
  for (const manifest of Object.values(doc.versions || {})) {
    if (manifest && manifest.dist) {
      delete manifest.dist.signatures
      delete manifest.dist.attestations
    }
  }
  return doc
}

// ---------------------------------------------------------------------------
// Server

function etagOf (body) {
  return '"' + crypto.createHash('sha1').update(body).digest('hex') + '"'
}

function etagMatches (header, etag) {
  if (!header) return false
  return header.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || tag === etag || tag === 'W/' + etag
  })
}

function safeDecode (s) {
  try { return decodeURIComponent(s) } catch { return null }
}

function toBody (value) {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value)
  return Buffer.from(JSON.stringify(value))
}

/**
 * Start the fake registry.
 * @param {object} [options]
 * @param {boolean} [options.mirror] strip dist.signatures / dist.attestations; keys and attestations answer 404
 * @param {Object<string, function(object): object>} [options.overrides] per package name, tamper the packument
 * @param {Object<string, Buffer>} [options.tarballOverrides] per "name@version", bytes served as the tarball
 * @param {Object<string, object|null>} [options.attestationOverrides] per "name@version", response body (null: 404)
 * @param {Object<string, number>} [options.status] per URL path prefix, answer that HTTP status
 * @param {string} [options.token] require "authorization: Bearer <token>"
 */
// npm's abbreviated ("corgi") packument: what an installer needs, without time, publishers,
// scripts or readmes.
function abbreviate (doc) {
  const keep = ['name', 'version', 'dependencies', 'optionalDependencies', 'devDependencies', 'bundleDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'directories', 'dist', 'engines', 'os', 'cpu', 'deprecated', 'hasInstallScript', '_hasShrinkwrap', 'funding', 'license']
  const versions = {}
  for (const [v, m] of Object.entries(doc.versions || {})) {
    versions[v] = Object.fromEntries(keep.filter((k) => k in m).map((k) => [k, m[k]]))
  }
  return { name: doc.name, 'dist-tags': doc['dist-tags'], modified: doc.time && doc.time.modified, versions }
}

async function startRegistry (options = {}) {
  const opts = options || {}
  const model = loadModel(fixturesDir())
  const mirror = !!opts.mirror
  const overrides = opts.overrides || {}
  const tarballOverrides = opts.tarballOverrides || {}
  const attestationOverrides = opts.attestationOverrides || {}
  const statusRules = Object.entries(opts.status || {})
  const token = opts.token == null ? null : String(opts.token)
  // { prefix: { times, status, retryAfter } }: the first `times` requests under `prefix` fail.
  const failRules = Object.entries(opts.fail || {}).map(([prefix, r]) => ({ prefix, left: r.times || 1, status: r.status || 500, retryAfter: r.retryAfter }))
  // { prefix: ms }: responses under `prefix` are held back this long.
  const delayRules = Object.entries(opts.delay || {})
  // Serve the abbreviated packument (no time, no _npmUser, …) to Accept: install-v1.
  const corgi = !!opts.abbreviated

  // Fail loudly on typos in the overrides.
  for (const name of Object.keys(overrides)) {
    if (!model.packages.has(name)) throw new Error(`prov-native test registry: overrides: unknown package ${name}`)
    if (typeof overrides[name] !== 'function') throw new Error(`prov-native test registry: overrides[${name}] must be a function`)
  }
  for (const spec of Object.keys(attestationOverrides)) {
    const s = splitSpec(spec)
    if (!s || !model.packages.has(s.name)) throw new Error(`prov-native test registry: attestationOverrides: unknown package in ${spec}`)
  }
  for (const rule of statusRules) {
    if (!Number.isInteger(rule[1]) || rule[1] < 100 || rule[1] > 599) {
      throw new Error(`prov-native test registry: status[${rule[0]}] must be an HTTP status code`)
    }
  }

  const requests = []
  const served = new Map() // name -> { doc, body }
  // Published while the server runs (publish()): "name@version" -> tarball bytes.
  const runtimeTarballs = new Map()
  // outage(status[, prefix]): every request (under `prefix`) answers this status until outage(null).
  let outageStatus = null
  let outagePrefix = '/'
  // The changes feed (CouchDB's `_changes`, SYNTHETIC sequence numbers): name -> { seq, rev,
  // deleted }. A document appears once, at its latest change, as CouchDB lists it.
  const feedPath = '/-/feed/_changes'
  const changes = new Map()
  let seq = 0
  const changed = (name, deleted = false) => {
    const c = changes.get(name)
    const n = c ? Number(c.rev.split('-')[0]) + 1 : 1
    changes.set(name, { seq: ++seq, rev: `${n}-${crypto.createHash('md5').update(name + n).digest('hex')}`, deleted })
  }
  let base = null

  const server = http.createServer((req, res) => {
    const record = { method: req.method, url: req.url, headers: req.headers, status: null }
    requests.push(record)
    const writeHead = res.writeHead.bind(res)
    res.writeHead = (status, ...rest) => { record.status = status; return writeHead(status, ...rest) }
    const go = () => {
      try {
        handle(req, res)
      } catch (e) {
        send(res, req, 500, { error: `test registry failure: ${e.message}` })
      }
    }
    const delay = delayRules.find(([prefix]) => req.url.startsWith(prefix))
    if (delay) setTimeout(go, delay[1])
    else go()
  })

  function send (res, req, status, body, type = 'application/json', cache = false) {
    const buf = toBody(body)
    const headers = { 'content-type': type }
    if (cache && status === 200) {
      const etag = etagOf(buf)
      headers.etag = etag
      if (etagMatches(req.headers['if-none-match'], etag)) {
        res.writeHead(304, { etag })
        res.end()
        return
      }
    }
    headers['content-length'] = buf.length
    res.writeHead(status, headers)
    res.end(req.method === 'HEAD' ? undefined : buf)
  }

  function notFound (req, res) {
    send(res, req, 404, { error: 'Not found' })
  }

  function handle (req, res) {
    if (token !== null && req.headers.authorization !== `Bearer ${token}`) {
      res.setHeader('www-authenticate', 'Bearer')
      return send(res, req, 401, { error: 'Unauthorized' })
    }
    if (outageStatus !== null && req.url.startsWith(outagePrefix)) return send(res, req, outageStatus, { error: http.STATUS_CODES[outageStatus] || `HTTP ${outageStatus}` })
    const rawPath = req.url.split('?')[0]
    const decodedPath = safeDecode(rawPath)
    const fail = failRules.find((r) => r.left > 0 && (rawPath.startsWith(r.prefix) || (decodedPath !== null && decodedPath.startsWith(r.prefix))))
    if (fail) {
      fail.left--
      if (fail.retryAfter !== undefined) res.setHeader('retry-after', String(fail.retryAfter))
      return send(res, req, fail.status, { error: http.STATUS_CODES[fail.status] || `HTTP ${fail.status}` })
    }
    for (const [prefix, code] of statusRules) {
      if (rawPath.startsWith(prefix) || (decodedPath !== null && decodedPath.startsWith(prefix))) {
        return send(res, req, code, { error: http.STATUS_CODES[code] || `HTTP ${code}` })
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return send(res, req, 405, { error: 'Method not allowed' })
    }

    // Keys
    if (rawPath === '/-/npm/v1/keys') {
      if (mirror) return notFound(req, res)
      return send(res, req, 200, opts.keys || model.keysBody, 'application/json', true)
    }

    // Attestations
    const attPrefix = '/-/npm/v1/attestations/'
    if (rawPath.startsWith(attPrefix)) {
      const spec = safeDecode(rawPath.slice(attPrefix.length))
      const s = spec && splitSpec(spec)
      if (!s) return notFound(req, res)
      const key = `${s.name}@${s.version}`
      // An explicit override wins, even in mirror mode.
      if (Object.prototype.hasOwnProperty.call(attestationOverrides, key)) {
        const body = attestationOverrides[key]
        if (body === null || body === undefined) return notFound(req, res)
        return send(res, req, 200, body, 'application/json', true)
      }
      if (mirror) return notFound(req, res)
      const att = model.attestations.get(key)
      if (!att) return notFound(req, res)
      return send(res, req, 200, att.body, 'application/json', true)
    }

    // GET /-/feed/_changes?since=<seq|now>&limit=N -> { results: [{ seq, id, changes }], last_seq }
    if (rawPath === feedPath) {
      const q = new URL(req.url, 'http://x').searchParams
      const since = q.get('since') || '0'
      const limit = q.has('limit') ? Number(q.get('limit')) : Infinity
      if (since !== 'now' && !/^\d+$/.test(since)) return send(res, req, 400, { error: 'bad_request', reason: 'since' })
      if (!(limit > 0)) return send(res, req, 400, { error: 'bad_request', reason: 'limit' })
      if (since === 'now') return send(res, req, 200, { results: [], last_seq: seq })
      const results = [...changes.entries()]
        .filter(([, c]) => c.seq > Number(since))
        .sort((a, b) => a[1].seq - b[1].seq)
        .slice(0, limit)
        .map(([id, c]) => ({ seq: c.seq, id, changes: [{ rev: c.rev }], ...(c.deleted ? { deleted: true } : {}) }))
      return send(res, req, 200, { results, last_seq: results.length ? results[results.length - 1].seq : Number(since) })
    }

    if (decodedPath === null || rawPath.startsWith('/-/')) return notFound(req, res)

    // Tarballs: /<name>/-/<basename>-<version>.tgz
    const dash = decodedPath.indexOf('/-/')
    if (dash !== -1) {
      const name = decodedPath.slice(1, dash)
      const file = decodedPath.slice(dash + 3)
      const doc = served.get(name)
      if (!doc) return notFound(req, res)
      const prefix = basename(name) + '-'
      if (!file.startsWith(prefix) || !file.endsWith('.tgz')) return notFound(req, res)
      const version = file.slice(prefix.length, -'.tgz'.length)
      const key = `${name}@${version}`
      if (runtimeTarballs.has(key)) return send(res, req, 200, runtimeTarballs.get(key), 'application/octet-stream', true)
      if (Object.prototype.hasOwnProperty.call(tarballOverrides, key)) {
        return send(res, req, 200, tarballOverrides[key], 'application/octet-stream', true)
      }
      const entry = model.packages.get(name)
      const v = entry && entry.kind === 'built' ? entry.versions.get(version) : null
      if (!v) return notFound(req, res) // includes the tarballs of the fixture packuments
      return send(res, req, 200, v.tgz, 'application/octet-stream', true)
    }

    // Packuments: /name, /@scope/name, /@scope%2fname, /@scope%2Fname.
    // The abbreviated form (Accept: application/vnd.npm.install-v1+json) gets the full document,
    // unless the registry was started with `abbreviated: true`.
    const name = decodedPath.slice(1)
    const doc = served.get(name)
    if (!doc) return notFound(req, res)
    if (corgi && String(req.headers.accept || '').includes(CORGI)) return send(res, req, 200, doc.corgi, CORGI, true)
    return send(res, req, 200, doc.body, 'application/json', true)
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  base = `http://127.0.0.1:${server.address().port}/`

  try {
    for (const [name, entry] of model.packages) {
      let doc = buildPackument(model, entry, base)
      if (mirror) stripSigningData(doc)
      if (overrides[name]) {
        const out = overrides[name](doc)
        if (out !== undefined) doc = out
        if (!doc || typeof doc !== 'object') throw new Error(`prov-native test registry: overrides[${name}] returned no packument`)
      }
      served.set(name, { doc, body: Buffer.from(JSON.stringify(doc)), corgi: Buffer.from(JSON.stringify(abbreviate(doc))) })
      changed(name)
    }
  } catch (e) {
    server.close()
    throw e
  }

  const serve = (name, doc) => served.set(name, { doc, body: Buffer.from(JSON.stringify(doc)), corgi: Buffer.from(JSON.stringify(abbreviate(doc))) })

  let closing = null
  return {
    url: base,
    /** The changes feed's URL (`<feedUrl>/_changes`), fed by publish(). */
    feedUrl: base + '-/feed',
    requests,
    /**
     * Publish a version while the server runs (SYNTHETIC): `manifest` is its package.json
     * (name and version are set), `tgz` its tarball (dist.integrity/shasum are computed from it),
     * `attestations` an optional response body served at /-/npm/v1/attestations, `time` its
     * publish time (default now). The packument's ETag changes with it, and the changes feed
     * lists the name at a new sequence number. A name not served yet is created (a brand-new
     * package: its first version's time is its `time.created`).
     */
    publish (name, version, { manifest = {}, tgz, attestations, time } = {}) {
      const s = served.get(name)
      const doc = s ? JSON.parse(s.body.toString('utf8')) : { _id: name, name, 'dist-tags': {}, versions: {}, time: {} }
      const m = { ...structuredClone(manifest), name, version, _id: `${name}@${version}` }
      m.dist = { tarball: tarballUrl(base, name, version) }
      if (tgz) {
        m.dist.integrity = 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64')
        m.dist.shasum = crypto.createHash('sha1').update(tgz).digest('hex')
        runtimeTarballs.set(`${name}@${version}`, tgz)
      }
      if (attestations) {
        attestationOverrides[`${name}@${version}`] = attestations
        m.dist.attestations = { url: `${base}-/npm/v1/attestations/${name}@${version}` }
      }
      doc.versions[version] = m
      doc.time = doc.time || {}
      doc.time[version] = time || new Date().toISOString()
      if (!s) doc.time.created = doc.time[version]
      doc.time.modified = doc.time[version]
      doc['dist-tags'] = { ...doc['dist-tags'], latest: version }
      serve(name, doc)
      changed(name)
      return m
    },
    /**
     * Every request (whose URL starts with `prefix`, default all; `feedPath` for the changes
     * feed alone) answers `status` (a number) until outage(null).
     */
    outage (status, prefix = '/') {
      outageStatus = status == null ? null : status
      outagePrefix = prefix
    },
    feedPath,
    packument (name) {
      const s = served.get(name)
      if (!s) throw new Error(`prov-native test registry: no packument for ${name}`)
      return JSON.parse(s.body.toString('utf8'))
    },
    close () {
      if (!closing) {
        closing = new Promise((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()))
          if (typeof server.closeAllConnections === 'function') server.closeAllConnections()
        })
      }
      return closing
    }
  }
}

/**
 * What the fixture set gives each package version (for reports and tests).
 * @returns {Array<{name, version, source, signatures, attestations, predicateTypes}>}
 */
function describeFixtures () {
  const model = loadModel(fixturesDir())
  const rows = []
  for (const [name, entry] of model.packages) {
    if (entry.kind === 'fixture') {
      for (const [version, m] of Object.entries(entry.doc.versions || {})) {
        rows.push({
          name,
          version,
          source: entry.file,
          signatures: !!(m.dist && Array.isArray(m.dist.signatures) && m.dist.signatures.length),
          attestations: false,
          predicateTypes: []
        })
      }
      continue
    }
    for (const [version, v] of entry.versions) {
      rows.push({
        name,
        version,
        source: v.file,
        signatures: !!v.signatures,
        attestations: v.attestations ? v.attestations.source : false,
        predicateTypes: v.attestations ? v.attestations.predicateTypes : []
      })
    }
  }
  return rows
}

module.exports = { startRegistry, fixturesDir, describeFixtures, compareSemver }
