'use strict'

// `prov-native audit [dir|lockfile]`: every package of a lockfile, verified.

const { parse, treeOptions, outputFormat, TREE_FLAGS, TREE_HELP } = require('./cli')

const options = {
  ...TREE_FLAGS,
  strict: { type: 'boolean' },
  all: { type: 'boolean' }
}

const summary = 'verify every package of a lockfile (npm, pnpm, yarn, bun)'

const usage = `Usage: prov-native audit [dir|lockfile] [options]

Verify every package a lockfile names (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml,
yarn.lock, bun.lock, or node_modules without a lockfile).

Options:
${TREE_HELP}
  --strict                       unsigned packages are findings too
  --all                          list verified packages in the table

Examples:
  prov-native audit
  prov-native audit path/to/pnpm-lock.yaml --json
  prov-native audit --sarif > prov-native.sarif
  prov-native audit --attestations-registry https://registry.npm.example/

Exit codes: 0 no findings, 1 findings (invalid or unverifiable packages; with --strict also
unsigned), 2 usage or configuration error.`

async function run (argv, io) {
  const { values, positionals } = parse(argv, options)
  if (values.help) {
    io.out(usage)
    return 0
  }
  const opts = treeOptions(values, positionals, 'audit')
  const format = outputFormat(values)
  const { tableLines, writeLines, sarif, progressBar, writeJson } = require('./format')
  const bar = progressBar(io.stderr || process.stderr)
  const { audit } = require('./cli').addon()
  // The table and SARIF read a report's status, problems and provenance only: brief reports
  // keep a large tree's result small (--json prints every report whole).
  const detail = format === 'json' ? 'full' : 'brief'
  const result = await audit({ ...opts, detail, cwd: process.cwd(), onProgress: (done, total) => bar.update(done, total) })
  bar.done()
  if (format === 'json') writeJson(result, io.out)
  else if (format === 'sarif') writeJson(sarif(result, { version: require('../package.json').version }), io.out)
  else writeLines(tableLines(result, { all: !!values.all, color: !!(io.stdout || process.stdout).isTTY }), io.out)
  const s = result.summary
  const findings = s.invalid + s.unverifiable + (values.strict ? s.unsigned : 0)
  return findings > 0 ? 1 : 0
}

module.exports = { usage, summary, options, run }
