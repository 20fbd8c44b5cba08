'use strict'

// A loopback npm registry (127.0.0.1, port 0, keep-alive) serving a SYNTHETIC set (./set.js):
//   GET /<name>, /@scope%2fname, /@scope/name          packument (full document; ETag, 304)
//   GET /-/npm/v1/keys                                  the synthetic npm key
//   GET /-/npm/v1/attestations/<name>@<version>         the synthetic attestation pair
//   GET /<name>/-/<file>.tgz                            tarballs of the self-test packages and of the sha1-only entries
//
// Standalone:  node benchmark/synthetic/registry.js [package-lock.json]
// prints the URL and the synthetic trust material paths, and serves until interrupted.

const crypto = require('node:crypto')
const http = require('node:http')
const { loadSet, DEFAULT_LOCKFILE } = require('./set')

async function startSyntheticRegistry (set = loadSet(), { port = 0 } = {}) {
  const docs = new Map() // name -> { body, etag }
  const atts = new Map() // name@version -> body
  const tarballs = new Map() // path -> Buffer
  const stats = { requests: 0, packument: 0, notModified: 0, attestations: 0, keys: 0, tarball: 0, notFound: 0 }
  const json = (v) => Buffer.from(JSON.stringify(v))

  const server = http.createServer((req, res) => {
    stats.requests++
    let url
    try { url = decodeURIComponent(req.url.split('?')[0]) } catch { url = req.url }
    const send = (code, body, type = 'application/json', extra = {}) => {
      res.writeHead(code, { 'content-type': type, 'content-length': body.length, ...extra })
      res.end(body)
    }
    const notFound = () => { stats.notFound++; send(404, Buffer.from('{"error":"not found"}')) }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, Buffer.from('{"error":"method not allowed"}'))
    if (url === '/-/npm/v1/keys') { stats.keys++; return send(200, keysBody) }
    if (url.startsWith('/-/npm/v1/attestations/')) {
      const body = atts.get(url.slice('/-/npm/v1/attestations/'.length))
      if (!body) return notFound()
      stats.attestations++
      return send(200, body)
    }
    if (url.endsWith('.tgz')) {
      const body = tarballs.get(url)
      if (!body) return notFound()
      stats.tarball++
      return send(200, body, 'application/octet-stream')
    }
    const doc = docs.get(url.slice(1))
    if (!doc) return notFound()
    if (req.headers['if-none-match'] === doc.etag) {
      stats.notModified++
      res.writeHead(304, { etag: doc.etag })
      return res.end()
    }
    stats.packument++
    return send(200, doc.body, 'application/json', { etag: doc.etag })
  })
  server.keepAliveTimeout = 60000
  server.headersTimeout = 65000
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  const base = `http://127.0.0.1:${server.address().port}/`

  const byName = new Map()
  for (const p of [...set.packages, ...set.selftest]) {
    let doc = byName.get(p.name)
    if (!doc) {
      doc = { _id: p.name, name: p.name, description: 'SYNTHETIC packument for the prov-native benchmark', 'dist-tags': {}, versions: {}, time: {} }
      byName.set(p.name, doc)
    }
    const file = `${p.name.split('/').pop()}-${p.version}.tgz`
    const tarballPath = `/${p.name}/-/${file}`
    if (p.tarball) tarballs.set(tarballPath, Buffer.from(p.tarball, 'base64'))
    doc.versions[p.version] = {
      name: p.name,
      version: p.version,
      _id: `${p.name}@${p.version}`,
      dist: {
        integrity: p.integrity,
        ...(p.shasum ? { shasum: p.shasum } : {}),
        tarball: `${base.slice(0, -1)}${tarballPath}`,
        signatures: p.signatures,
        attestations: { url: `${base}-/npm/v1/attestations/${p.name}@${p.version}`, provenance: { predicateType: 'https://slsa.dev/provenance/v1' } }
      }
    }
    doc.time[p.version] = p.time
    if (!doc.time.created || p.time < doc.time.created) doc.time.created = p.time
    if (!doc.time.modified || p.time > doc.time.modified) doc.time.modified = p.time
    doc['dist-tags'].latest = p.version
    atts.set(`${p.name}@${p.version}`, json({ attestations: p.attestations }))
  }
  // Serialise once: the server should cost both sides as little as possible.
  for (const [name, doc] of byName) {
    const body = json(doc)
    docs.set(name, { body, etag: `"${crypto.createHash('sha1').update(body).digest('hex')}"` })
  }
  const keysBody = json(set.npmKeys)

  return {
    url: base,
    set,
    stats: () => ({ ...stats }),
    resetStats: () => { for (const k of Object.keys(stats)) stats[k] = 0 },
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections() })
  }
}

module.exports = { startSyntheticRegistry }

if (require.main === module) {
  const set = loadSet(process.argv[2] || DEFAULT_LOCKFILE, { log: console.error })
  startSyntheticRegistry(set, { port: Number(process.env.PORT || 0) }).then((reg) => {
    console.log(`SYNTHETIC registry: ${reg.url}  (${set.packages.length} package versions + ${set.selftest.map((p) => `${p.name}@${p.version}`).join(', ')})`)
    console.log(`  --registry ${reg.url} --trusted-root ${set.files.trustedRoot} --npm-keys ${set.files.npmKeys}`)
    const stop = () => reg.close().then(() => process.exit(0))
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  }, (e) => { console.error(e); process.exitCode = 1 })
}
