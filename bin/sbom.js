'use strict'

// prov-native sbom: a CycloneDX 1.6 or SPDX 2.3 SBOM of a lockfile, with provenance evidence.

const path = require('node:path')

const { parse, writeAtomic, TREE_INPUT_FLAGS, treeOptions } = require('./cli')

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

const options = {
  ...TREE_INPUT_FLAGS,
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  reproducible: { type: 'boolean' },
  'no-verify': { type: 'boolean' }
}

async function run (argv, io) {
  const { values: v, positionals } = parse(argv, options)
  if (v.help) {
    io.out(usage)
    return 0
  }
  const { sbom } = require('..')
  const doc = await sbom({
    ...treeOptions(v, positionals, 'sbom'),
    cwd: process.cwd(),
    format: v.format || 'cyclonedx',
    reproducible: !!v.reproducible,
    verify: !v['no-verify']
  })
  const text = JSON.stringify(doc, null, 2)
  if (v.output) writeAtomic(path.resolve(v.output), text + '\n')
  else io.out(text)
  return 0
}

module.exports = { usage, options, run }
