'use strict'

// `prov-native guard [dir|lockfile]`: the policy over a lockfile, before install.

const fs = require('node:fs')
const path = require('node:path')
const { parse, abs, previousArg, treeOptions, outputFormat, TREE_FLAGS, TREE_HELP } = require('./cli')

const options = {
  ...TREE_FLAGS,
  config: { type: 'string' },
  'previous-lockfile': { type: 'string' },
  'scan-all': { type: 'boolean' }
}

const summary = 'run the policy (prov-native.config.json) over a lockfile before install'

const usage = `Usage: prov-native guard [dir|lockfile] [options]

Run the policy (prov-native.config.json, else package.json "prov-native", else the defaults)
over the lockfile before install; use it as
  "preinstall": "prov-native guard"   or as a CI step before the install.
The preinstall hook runs on a bare \`npm install\` / \`npm ci\` only: to guard \`npm install <pkg>\`,
\`pnpm add\`, \`yarn add\` or \`npx\`, use \`prov-native npm install <pkg>\` (prov-native help npm).

Options:
  --config FILE                  policy file (default prov-native.config.json beside the lockfile)
  --previous-lockfile FILE       the lockfile before this change, a path or <rev>:<file> (default: git
                                 origin/$GITHUB_BASE_REF or $CI_MERGE_REQUEST_DIFF_BASE_SHA when set,
                                 else git HEAD; in CI, none when the lockfile is HEAD's own)
  --scan-all                     read every package's tarball, not only new or changed ones
${TREE_HELP}

Examples:
  prov-native guard
  prov-native guard --previous-lockfile origin/main:package-lock.json
  prov-native guard --sarif > guard.sarif
  prov-native guard path/to/project --config ci/prov-native.config.json --json

Exit codes: 0 no error-level finding, 1 error-level findings, 2 usage or configuration error.`

async function run (argv, io) {
  const { values, positionals } = parse(argv, options)
  if (values.help) {
    io.out(usage)
    return 0
  }
  const opts = treeOptions(values, positionals, 'guard')
  const format = outputFormat(values)
  // `guard <dir>` (or `guard <dir>/package-lock.json`) judges that project: its policy file and
  // .npmrc, not the current directory's. As a lifecycle script, npm runs this in the package's
  // own directory, so without an argument that is the project.
  let cwd = process.cwd()
  if (opts.lockfile) {
    const st = fs.statSync(opts.lockfile, { throwIfNoEntry: false })
    cwd = st && st.isDirectory() ? opts.lockfile : path.dirname(opts.lockfile)
  }
  // `scanAll` reads every tarball, not only those changed since the previous lockfile (the
  // native guard also honours PROV_NATIVE_SCAN_ALL=1 from the environment).
  const { guard } = require('./cli').addon()
  const result = await guard({
    ...opts,
    cwd,
    config: abs(values.config),
    previousLockfile: previousArg(values['previous-lockfile']),
    scanAll: !!values['scan-all']
  })
  const format_ = require('./format')
  if (format === 'json') format_.writeJson(result, io.out)
  else if (format === 'sarif') format_.writeJson(format_.guardSarif(result, { version: require('../package.json').version }), io.out)
  else io.out(format_.findingsTable(result))
  return result.errors > 0 ? 1 : 0
}

module.exports = { usage, summary, options, run }
