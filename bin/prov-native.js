#!/usr/bin/env node
'use strict'

// prov-native command line. Exit codes: 0 every spec verified, 1 any did not, 2 usage or
// configuration error (the message names the `ERR_PROV_…` code).

const { parseArgs } = require('node:util')
const fs = require('node:fs')
const path = require('node:path')

const USAGE = `Usage:
  prov-native verify <spec...> [options]
  prov-native audit [dir|lockfile] [options]
  prov-native guard [dir|lockfile] [--config FILE] [--previous-lockfile FILE] [--scan-all] [--json] [audit options]
  prov-native sbom [dir|lockfile] [--format cyclonedx|spdx] [--output FILE] [--reproducible]   (sbom --help)
  prov-native sri <file|dir|->... [--json|--sarif] [--fix [--write]] [--strict]   (sri --help)

Verify npm package versions: tarball integrity, registry signature, npm publish attestation,
SLSA provenance and the Sigstore transparency log.

Options:
  --json                         print the reports as a JSON array
  --registry URL                 registry to resolve from (default: npm's configuration)
  --attestations-registry URL    registry that serves attestations, keys and signatures
  --attestations FILE            attestations response or bundles (JSON or JSONL)
  --tarball FILE                 tarball bytes instead of downloading (one spec only)
  --trusted-root FILE            Sigstore trusted_root.json instead of the embedded one
  --npm-keys FILE                npm registry keys instead of the embedded ones
  --fetch-timeout MS             longest one HTTP request may take (npm's fetch-timeout; default
                                 npm's configuration, else 120000); connect 10 s and 20 s without
                                 a byte at most
  -h, --help                     show this help

Audit options (plus --registry, --attestations-registry, --trusted-root, --npm-keys,
--fetch-timeout):
  --json | --sarif | --format table|json|sarif
  --concurrency N                packages verified at once (default 32)
  --no-cache                     do not read or write the result cache
  --cache-dir DIR                result cache (default <npm cache>/_prov-native)
  --offline                      no network: cached results only
  --strict                       unsigned packages are findings too
  --all                          list verified packages in the table

Guard runs the policy (prov-native.config.json) over the lockfile before install; use it as
  "preinstall": "prov-native guard"   or as a CI step before the install.
  --previous-lockfile FILE       the lockfile before this change, a path or <rev>:<file> (default: git
                                 origin/$GITHUB_BASE_REF or $CI_MERGE_REQUEST_DIFF_BASE_SHA when set,
                                 else git HEAD; in CI, none when the lockfile is HEAD's own)
  --scan-all                     read every package's tarball, not only new or changed ones

Exit codes: guard: 0 no error-level finding, 1 error-level findings; verify: 0 every spec verified, 1 any not verified; audit: 0 no findings, 1 findings
(invalid or unverifiable packages; with --strict also unsigned); 2 usage or configuration error.`

class UsageError extends Error {
  constructor (message) {
    super(message)
    this.code = 'ERR_PROV_INVALID_ARG'
  }
}

function parse (argv, options) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError(e.message)
  }
}


const abs = (f) => (f ? path.resolve(f) : undefined)
// --previous-lockfile: a path, or `<rev>:<file>` for git when no such file exists (left as is).
const previousArg = (f) => {
  if (!f) return undefined
  const m = /^([^:]{2,}):(.+)$/.exec(f)
  return m && !fs.existsSync(f) ? f : path.resolve(f)
}

function line (report) {
  const mark = { verified: 'ok  ', unsigned: 'WARN', invalid: 'FAIL', unverifiable: 'SKIP' }[report.status] || '??? '
  const id = report.version ? `${report.name}@${report.version}` : report.spec
  let out = `${mark} ${report.status.padEnd(12)} ${id}`
  const p = report.provenance
  if (p && p.sourceRepository) {
    const commit = p.sourceCommit ? `@${p.sourceCommit.slice(0, 12)}` : ''
    out += `\n       source   ${p.sourceRepository}${commit}`
    if (p.workflowPath) out += `\n       workflow ${p.workflowPath}${p.sourceRef ? ` (${p.sourceRef})` : ''}`
    if (p.builderId) out += `\n       builder  ${p.builderId}`
  }
  for (const pr of report.problems) out += `\n       ${pr.code}: ${pr.message}`
  for (const s of report.skipped) out += `\n       skipped ${s.check}: ${s.reason}`
  return out
}

async function cmdVerify (argv, io) {
  const { values, positionals } = parse(argv, {
    json: { type: 'boolean' },
    registry: { type: 'string' },
    'attestations-registry': { type: 'string' },
    attestations: { type: 'string' },
    tarball: { type: 'string' },
    'trusted-root': { type: 'string' },
    'npm-keys': { type: 'string' },
    'fetch-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  })
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  if (positionals.length === 0) throw new UsageError('verify needs at least one spec, like sigstore@2.2.0')
  if (values.tarball && positionals.length > 1) throw new UsageError('--tarball applies to exactly one spec')
  const options = {
    registry: values.registry,
    attestationsRegistry: values['attestations-registry'],
    attestations: abs(values.attestations),
    tarball: abs(values.tarball),
    trustedRoot: abs(values['trusted-root']),
    npmKeys: abs(values['npm-keys']),
    fetchTimeout: fetchTimeout(values)
  }
  const { verify } = require('..')
  // verify() rejects only for usage and configuration errors; the reports of the other specs
  // are still printed before the first such error is raised.
  const settled = await Promise.allSettled(positionals.map((spec) => verify(spec, options)))
  const reports = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value)
  if (values.json) {
    io.out(JSON.stringify(reports, null, 2))
  } else {
    for (const r of reports) io.out(line(r))
    const n = reports.filter((r) => r.status === 'verified').length
    io.out(`\n${n} of ${positionals.length} verified`)
  }
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw failed.reason
  return reports.every((r) => r.status === 'verified') ? 0 : 1
}

// Options `audit` and `guard` share.
const TREE_FLAGS = {
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  'no-cache': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  offline: { type: 'boolean' },
  registry: { type: 'string' },
  'attestations-registry': { type: 'string' },
  'trusted-root': { type: 'string' },
  'npm-keys': { type: 'string' },
  'fetch-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
}

// --fetch-timeout MS: a positive whole number of milliseconds.
function fetchTimeout (values) {
  const v = values['fetch-timeout']
  if (v === undefined) return undefined
  const ms = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(ms) || ms < 1) throw new UsageError('--fetch-timeout must be a positive whole number of milliseconds')
  return ms
}


function treeOptions (values, positionals, command) {
  if (positionals.length > 1) throw new UsageError(`${command} takes one directory or lockfile`)
  let concurrency
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency)
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer')
  }
  return {
    lockfile: abs(positionals[0]),
    registry: values.registry,
    attestationsRegistry: values['attestations-registry'],
    concurrency,
    cache: !values['no-cache'],
    cacheDir: abs(values['cache-dir']),
    offline: !!values.offline,
    trustedRoot: abs(values['trusted-root']),
    npmKeys: abs(values['npm-keys']),
    fetchTimeout: fetchTimeout(values)
  }
}

async function cmdAudit (argv, io) {
  const { values, positionals } = parse(argv, {
    ...TREE_FLAGS,
    sarif: { type: 'boolean' },
    format: { type: 'string' },
    strict: { type: 'boolean' },
    all: { type: 'boolean' }
  })
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  const options = treeOptions(values, positionals, 'audit')
  const format = values.json ? 'json' : values.sarif ? 'sarif' : (values.format || 'table')
  if (!['table', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format ${JSON.stringify(format)}`)
  const { tableLines, writeLines, sarif, progressBar, writeJson } = require('./format')
  const bar = progressBar(io.stderr || process.stderr)
  const { audit } = require('..')
  // The table and SARIF read a report's status, problems and provenance only: brief reports
  // keep a large tree's result small (--json prints every report whole).
  const detail = format === 'json' ? 'full' : 'brief'
  const result = await audit({ ...options, detail, cwd: process.cwd(), onProgress: (done, total) => bar.update(done, total) })
  bar.done()
  if (format === 'json') writeJson(result, io.out)
  else if (format === 'sarif') writeJson(sarif(result, { version: require('../package.json').version }), io.out)
  else writeLines(tableLines(result, { all: !!values.all, color: !!(io.stdout || process.stdout).isTTY }), io.out)
  const s = result.summary
  const findings = s.invalid + s.unverifiable + (values.strict ? s.unsigned : 0)
  return findings > 0 ? 1 : 0
}

async function cmdGuard (argv, io) {
  const { values, positionals } = parse(argv, {
    ...TREE_FLAGS,
    config: { type: 'string' },
    'previous-lockfile': { type: 'string' },
    'scan-all': { type: 'boolean' }
  })
  if (values.help) {
    io.out(USAGE)
    return 0
  }
  const options = treeOptions(values, positionals, 'guard')
  // `guard <dir>` (or `guard <dir>/package-lock.json`) judges that project: its policy file and
  // .npmrc, not the current directory's. As a lifecycle script, npm runs this in the package's
  // own directory, so without an argument that is the project.
  let cwd = process.cwd()
  if (options.lockfile) {
    const st = fs.statSync(options.lockfile, { throwIfNoEntry: false })
    cwd = st && st.isDirectory() ? options.lockfile : path.dirname(options.lockfile)
  }
  // `scanAll` reads every tarball, not only those changed since the previous lockfile (the
  // native guard also honours PROV_NATIVE_SCAN_ALL=1 from the environment).
  const { guard } = require('..')
  const result = await guard({
    ...options,
    cwd,
    config: abs(values.config),
    previousLockfile: previousArg(values['previous-lockfile']),
    scanAll: !!values['scan-all']
  })
  if (values.json) require('./format').writeJson(result, io.out)
  else io.out(require('./format').findingsTable(result))
  return result.errors > 0 ? 1 : 0
}

async function main (argv, io) {
  const [cmd, ...rest] = argv
  try {
    switch (cmd) {
      case 'verify':
        return await cmdVerify(rest, io)
      case 'audit':
        return await cmdAudit(rest, io)
      case 'guard':
        return await cmdGuard(rest, io)
      case 'sbom': return await require('./sbom').run(rest, io)
      case 'sri': return await require('./sri').run(rest, io)
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE)
        return cmd === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`)
    }
  } catch (e) {
    const code = e && e.code
    io.err(`prov-native: ${code ? `${code}: ` : ''}${e && e.message}`)
    if (e instanceof UsageError) io.err('Run prov-native --help for usage.')
    // Every rejection is a usage or configuration error (bad arguments, files, trust material,
    // npm config; ERR_PROV_INTERNAL: a bug): never a verdict about a package.
    return 2
  }
}

module.exports = { main }

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n')
  }).then((code) => {
    process.exitCode = code
  })
}
