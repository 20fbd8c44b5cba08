'use strict'

// A loopback registry for the audit benchmark: for every registry package of a real lockfile,
// a packument whose version carries the lockfile's integrity, a registry signature and an
// attestation pair, all made by the SYNTHETIC Sigstore instance in ./sigstore.js.

const http = require('node:http')
const { createInstance } = require('./sigstore')

// Registry packages of an npm v2/v3 lockfile: distinct name@version with sha512 integrity.
function packagesOf (lock) {
  const out = new Map()
  for (const [key, e] of Object.entries(lock.packages || {})) {
    if (!key.includes('node_modules/') || e.link || !e.integrity || !/^sha512-/.test(e.integrity)) continue
    if (e.resolved && !/\/-\//.test(e.resolved)) continue
    const name = e.name || key.slice(key.lastIndexOf('node_modules/') + 13)
    out.set(`${name}@${e.version}`, { name, version: e.version, integrity: e.integrity })
  }
  return [...out.values()]
}

async function startSyntheticRegistry (lock) {
  const inst = createInstance()
  const pkgs = packagesOf(lock)
  const t0 = Date.now() - 30 * 86400000
  const docs = new Map()
  const atts = new Map()
  let keysBody = null
  const responses = []
  let base = ''
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split('?')[0])
    const send = (code, body) => {
      const b = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': b.length })
      res.end(b)
    }
    if (url === '/-/npm/v1/keys') return send(200, keysBody)
    if (url.startsWith('/-/npm/v1/attestations/')) {
      const body = atts.get(url.slice('/-/npm/v1/attestations/'.length))
      return body ? send(200, body) : send(404, { error: 'not found' })
    }
    const doc = docs.get(url.slice(1))
    return doc ? send(200, doc) : send(404, { error: 'not found' })
  })
  server.keepAliveTimeout = 30000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}/`
  pkgs.forEach((p, i) => {
    const t = t0 + i * 1000
    const a = inst.attest(p.name, p.version, p.integrity, t)
    const response = { attestations: a.attestations }
    responses.push(response)
    atts.set(`${p.name}@${p.version}`, response)
    let doc = docs.get(p.name)
    if (!doc) {
      doc = { _id: p.name, name: p.name, 'dist-tags': {}, versions: {}, time: {} }
      docs.set(p.name, doc)
    }
    const file = `${p.name.split('/').pop()}-${p.version}.tgz`
    doc.versions[p.version] = {
      name: p.name,
      version: p.version,
      dist: {
        integrity: p.integrity,
        tarball: `${base}${p.name}/-/${file}`,
        signatures: a.signatures,
        attestations: { url: `${base}-/npm/v1/attestations/${p.name}@${p.version}`, provenance: { predicateType: 'https://slsa.dev/provenance/v1' } }
      }
    }
    doc.time[p.version] = new Date(t + 5000).toISOString()
    doc['dist-tags'].latest = p.version
  })
  inst.finalize(responses)
  // Serialise once: the server should cost both sides as little as possible.
  for (const [k, v] of atts) atts.set(k, Buffer.from(JSON.stringify(v)))
  for (const [k, v] of docs) docs.set(k, Buffer.from(JSON.stringify(v)))
  keysBody = Buffer.from(JSON.stringify(inst.npmKeys))
  return {
    url: base,
    packages: pkgs,
    trustedRoot: inst.trustedRoot,
    npmKeys: inst.npmKeys,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections() })
  }
}

module.exports = { startSyntheticRegistry, packagesOf }
