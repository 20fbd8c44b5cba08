'use strict'

// prov-native sbom: a CycloneDX 1.6 or SPDX 2.3 SBOM of a lockfile, with provenance evidence.

const { parseArgs } = require('node:util')
const fs = require('node:fs')
const path = require('node:path')

const usage = `Usage: prov-native sbom [dir|lockfile] [options]

Write a software bill of materials for the project's lockfile (npm, pnpm, yarn, bun or
node_modules). Each registry package carries its verified provenance as evidence (the audit
runs first; from its cache, offline, when it already ran).

Options:
  --format cyclonedx|spdx        CycloneDX 1.6 JSON (default) or SPDX 2.3 JSON
  --output FILE                  write to FILE (atomically) instead of stdout
  --reproducible                 no serial number and no time: the same tree gives the same bytes
  --no-verify                    inventory only: no audit, no evidence, no network
  --offline                      evidence from the cache only
  --registry URL, --attestations-registry URL, --concurrency N, --no-cache, --cache-dir DIR,
  --trusted-root FILE, --npm-keys FILE, --fetch-timeout MS   as for audit

Exit codes: 0 written, 2 usage or configuration error.`

function usageError (message) {
  const e = new Error(message)
  e.code = 'ERR_PROV_INVALID_ARG'
  return e
}

function writeAtomic (file, text) {
  const dir = path.dirname(file)
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`)
  fs.writeFileSync(tmp, text, { flag: 'wx' })
  try {
    fs.renameSync(tmp, file)
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
}

async function run (argv, io) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        reproducible: { type: 'boolean' },
        'no-verify': { type: 'boolean' },
        offline: { type: 'boolean' },
        registry: { type: 'string' },
        'attestations-registry': { type: 'string' },
        concurrency: { type: 'string' },
        'no-cache': { type: 'boolean' },
        'cache-dir': { type: 'string' },
        'trusted-root': { type: 'string' },
        'npm-keys': { type: 'string' },
        'fetch-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (e) {
    throw usageError(e.message)
  }
  const { values: v, positionals } = parsed
  if (v.help) {
    io.out(usage)
    return 0
  }
  if (positionals.length > 1) throw usageError('sbom takes one directory or lockfile')
  const num = (s, name) => {
    if (s === undefined) return undefined
    const n = Number(s)
    if (!Number.isFinite(n)) throw usageError(`${name} must be a number`)
    return n
  }
  const { sbom } = require('..')
  const doc = await sbom({
    cwd: process.cwd(),
    lockfile: positionals[0] ? path.resolve(positionals[0]) : undefined,
    format: v.format || 'cyclonedx',
    reproducible: !!v.reproducible,
    verify: !v['no-verify'],
    offline: !!v.offline,
    registry: v.registry,
    attestationsRegistry: v['attestations-registry'],
    concurrency: num(v.concurrency, '--concurrency'),
    cache: !v['no-cache'],
    cacheDir: v['cache-dir'],
    trustedRoot: v['trusted-root'] ? path.resolve(v['trusted-root']) : undefined,
    npmKeys: v['npm-keys'] ? path.resolve(v['npm-keys']) : undefined,
    fetchTimeout: num(v['fetch-timeout'], '--fetch-timeout')
  })
  const text = JSON.stringify(doc, null, 2)
  if (v.output) writeAtomic(path.resolve(v.output), text + '\n')
  else io.out(text)
  return 0
}

module.exports = { usage, run }
