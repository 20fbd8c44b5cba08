'use strict'

// `prov-native verify <spec...>`: one report per package version.

const { UsageError, parse, abs, fetchTimeout } = require('./cli')

const options = {
  json: { type: 'boolean' },
  registry: { type: 'string' },
  'attestations-registry': { type: 'string' },
  attestations: { type: 'string' },
  tarball: { type: 'string' },
  'trusted-root': { type: 'string' },
  'npm-keys': { type: 'string' },
  'fetch-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
}

const summary = 'verify package versions: integrity, registry signature, attestations, provenance'

const usage = `Usage: prov-native verify <spec...> [options]

Verify npm package versions: tarball integrity, registry signature, npm publish attestation,
SLSA provenance and the Sigstore transparency log.

Options:
  --json                         print the reports as a JSON array
  --registry URL                 registry to resolve from (default: npm's configuration)
  --attestations-registry URL    registry that serves attestations, keys and signatures (when
                                 --registry is a mirror that strips them)
  --attestations FILE            attestations response or bundles (JSON or JSONL)
  --tarball FILE                 tarball bytes instead of downloading (one spec only)
  --trusted-root FILE            Sigstore trusted_root.json instead of the embedded one
  --npm-keys FILE                npm registry keys instead of the embedded ones
  --fetch-timeout MS             longest one HTTP request may take (npm's fetch-timeout; default
                                 npm's configuration, else 120000); connect 10 s and 20 s without
                                 a byte at most
  -h, --help                     show this help

Examples:
  prov-native verify sigstore@2.2.0
  prov-native verify sigstore@2.2.0 tuf-js@1.0.0 --json
  prov-native verify sigstore@2.2.0 --attestations-registry https://registry.npm.example/

Exit codes: 0 every spec verified, 1 any not verified, 2 usage or configuration error.`

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
  const { cliSpelling } = require('./format')
  for (const pr of report.problems) out += `\n       ${pr.code}: ${cliSpelling(pr.message)}`
  for (const s of report.skipped) out += `\n       skipped ${s.check}: ${cliSpelling(s.reason)}`
  return out
}

async function run (argv, io) {
  const { values, positionals } = parse(argv, options)
  if (values.help) {
    io.out(usage)
    return 0
  }
  if (positionals.length === 0) throw new UsageError('verify needs at least one spec, like sigstore@2.2.0')
  if (values.tarball && positionals.length > 1) throw new UsageError('--tarball applies to exactly one spec')
  const opts = {
    registry: values.registry,
    attestationsRegistry: values['attestations-registry'],
    attestations: abs(values.attestations),
    tarball: abs(values.tarball),
    trustedRoot: abs(values['trusted-root']),
    npmKeys: abs(values['npm-keys']),
    fetchTimeout: fetchTimeout(values)
  }
  const { verify } = require('./cli').addon()
  // verify() rejects only for usage and configuration errors; the reports of the other specs
  // are still printed before the first such error is raised.
  const settled = await Promise.allSettled(positionals.map((spec) => verify(spec, opts)))
  const reports = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value)
  if (values.json) {
    io.out(JSON.stringify(reports, null, 2))
  } else {
    for (const r of reports) io.out(line(r))
    const n = reports.filter((r) => r.status === 'verified').length
    io.out(`\n${n} of ${positionals.length} verified`)
    const hint = require('./format').mirrorHint(reports)
    if (hint) io.out(hint)
  }
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw failed.reason
  return reports.every((r) => r.status === 'verified') ? 0 : 1
}

module.exports = { usage, summary, options, run }
