'use strict'

// A loopback npm registry for the SRI tests and benchmark: packuments made from the real npm
// tarballs in testdata/data/sri/tarballs (see the README there; foundation-sites is a SYNTHETIC
// repack of its real files). It serves no signatures, keys or attestations (as the mirror here
// does). `tamper` serves other bytes for a "name@version".

const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')

const SRI = path.resolve(__dirname, '../testdata/data/sri')
const TARBALLS = {
  'bootstrap@5.2.3': 'bootstrap-5.2.3.tgz',
  'bootstrap@5.3.8': 'bootstrap-5.3.8.tgz',
  'chart.js@2.8.0': 'chart.js-2.8.0.tgz',
  'es-module-shims@1.5.5': 'es-module-shims-1.5.5.tgz',
  'foundation-sites@6.6.3': 'foundation-sites-6.6.3.SYNTHETIC-repack.tgz',
  '@popperjs/core@2.11.8': 'popperjs-core-2.11.8.tgz',
  'simple-datatables@7.1.2': 'simple-datatables-7.1.2.tgz'
}

function startCdnRegistry ({ tamper = {} } = {}) {
  const byName = {}
  for (const [spec, file] of Object.entries(TARBALLS)) {
    const at = spec.lastIndexOf('@')
    const name = spec.slice(0, at)
    const version = spec.slice(at + 1)
    const bytes = fs.readFileSync(path.join(SRI, 'tarballs', file))
    byName[name] = byName[name] || {}
    byName[name][version] = { bytes, file }
  }
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split('?')[0]).slice(1)
    const tgz = /^(.+)\/-\/(.+\.tgz)$/.exec(url)
    if (tgz && byName[tgz[1]]) {
      for (const [version, v] of Object.entries(byName[tgz[1]])) {
        if (v.file === tgz[2]) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' })
          return res.end(tamper[`${tgz[1]}@${version}`] || v.bytes)
        }
      }
    }
    const versions = byName[url]
    if (!versions) {
      res.writeHead(404, { 'content-type': 'application/json' })
      return res.end('{"error":"not found"}')
    }
    const base = `http://127.0.0.1:${server.address().port}/`
    const doc = { name: url, 'dist-tags': {}, versions: {}, time: {} }
    for (const [version, v] of Object.entries(versions)) {
      doc.versions[version] = {
        name: url,
        version,
        dist: {
          tarball: `${base}${url}/-/${v.file}`,
          integrity: 'sha512-' + crypto.createHash('sha512').update(v.bytes).digest('base64')
        }
      }
      doc['dist-tags'].latest = version
      doc.time[version] = '2024-01-01T00:00:00.000Z'
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(doc))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) })
  }))
}

module.exports = { startCdnRegistry, TARBALLS, SRI }
