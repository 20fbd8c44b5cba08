'use strict'

// Extracts tarballs the way npm does (pacote's `extract`, at the version npm 11 bundles) in a
// process of its own: a malformed tarball can make node-tar throw outside any promise, which
// would take a test process down. Reads a JSON list of `{ tgz, dest }` paths on stdin, writes
// one JSON result per tarball: `{ files: { path: sha512 } }` or `{ error }`.

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const pacote = require('pacote')

const sri = (buf) => 'sha512-' + crypto.createHash('sha512').update(buf).digest('base64')

function walk (dir, base = dir, out = {}) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p, base, out)
    else if (e.isFile()) out[path.relative(base, p).split(path.sep).join('/')] = sri(fs.readFileSync(p))
  }
  return out
}

const log = { warn () {}, silly () {}, http () {}, verbose () {}, info () {} }

async function one ({ tgz, dest, cache }) {
  return new Promise((resolve) => {
    const crashed = (e) => resolve({ error: `uncaught: ${e && e.message}` })
    process.once('uncaughtException', crashed)
    pacote.extract(`file:${tgz}`, dest, { cache, log })
      .then(() => resolve({ files: walk(dest) }), (e) => resolve({ error: e.message }))
      .finally(() => process.off('uncaughtException', crashed))
  })
}

async function main () {
  const jobs = JSON.parse(fs.readFileSync(0, 'utf8'))
  const out = []
  for (const j of jobs) out.push(await one(j))
  process.stdout.write(JSON.stringify(out))
}

main()
