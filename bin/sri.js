'use strict'

// prov-native sri: check (and fix) the Subresource Integrity of npm files loaded from CDNs.

const path = require('node:path')

const { UsageError, parse, abs, concurrencyArg, fetchTimeout, outputFormat, TREE_FLAGS } = require('./cli')

const usage = `Usage: prov-native sri <file|dir|->... [options]

Check the integrity="…" of <script src>, <link rel=stylesheet|modulepreload|preload> and import
maps in HTML, Markdown and templates against the npm tarball (fetched through the configured
registry and verified as \`verify\` does). CDNs: jsDelivr, unpkg, JSPM (ga.jspm.io), cdnjs.
"-" reads a page from stdin.

Options:
  --json | --sarif               JSON result, or SARIF 2.1.0 located at file and line
  --fix                          show the diff that sets the npm file's integrity and
                                 crossorigin="anonymous" (dry run)
  --write                        with --fix: write the pages (atomically)
  --strict                       exit 1 on a missing integrity too
  --registry URL, --attestations-registry URL, --concurrency N, --offline, --no-cache,
  --trusted-root FILE, --npm-keys FILE, --fetch-timeout MS   as for audit

Verdicts: match, mismatch, missing-integrity, missing-crossorigin, unpinned,
file-not-in-npm-tarball, cdn-transformed, not-npm-cdn, templated, package-not-verified,
unchecked, invalid-importmap.

Exit codes: 0 no mismatch, 1 a mismatch, a package that did not verify or a reference that
could not be checked (--strict: or a missing integrity), 2 usage or configuration error.`

const LEVEL = {
  mismatch: 'error',
  'package-not-verified': 'error',
  'missing-integrity': 'warning',
  'missing-crossorigin': 'warning',
  unpinned: 'warning',
  'file-not-in-npm-tarball': 'warning',
  'cdn-transformed': 'warning',
  'invalid-importmap': 'warning',
  unchecked: 'note',
  'not-npm-cdn': 'note',
  templated: 'note'
}

// SARIF 2.1.0: one result per verdict that is not `match`, at the page's file and line.
function sarif (result, { version = '0.0.0' } = {}) {
  const rules = new Map()
  const results = []
  for (const r of result.rows) {
    for (const v of r.verdicts) {
      if (v === 'match') continue
      const id = `sri/${v}`
      if (!rules.has(id)) rules.set(id, { id, name: v.replace(/-(.)/g, (_, c) => c.toUpperCase()), shortDescription: { text: `Subresource integrity: ${v}` } })
      results.push({
        ruleId: id,
        level: LEVEL[v] || 'warning',
        message: { text: `${r.url}: ${r.message}${r.expected && v !== 'not-npm-cdn' ? ` (expected ${r.expected})` : ''}` },
        locations: [{ physicalLocation: { artifactLocation: { uri: r.file.split(path.sep).join('/') }, region: { startLine: r.line, startColumn: r.column } } }],
        partialFingerprints: { reference: `${r.file}|${r.url}|${v}` }
      })
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'prov-native', version, rules: [...rules.values()] } }, results }]
  }
}

function table (result) {
  const lines = []
  for (const r of result.rows) {
    const mark = ['mismatch', 'package-not-verified', 'unchecked'].some((v) => r.verdicts.includes(v)) ? 'FAIL' : r.verdicts.includes('match') && r.verdicts.length === 1 ? 'ok  ' : 'WARN'
    lines.push(`${mark} ${r.file}:${r.line} ${r.element} ${r.url}`)
    lines.push(`     ${r.verdicts.join(', ')}: ${r.message}`)
    if (r.expected && !r.verdicts.includes('match')) lines.push(`     integrity="${r.expected}"`)
  }
  const s = Object.entries(result.summary).map(([k, n]) => `${n} ${k}`).join(', ')
  lines.push(`${result.rows.length} references in ${result.files.length} files${s ? `: ${s}` : ''}${result.local ? `; ${result.local} local (not checked)` : ''}`)
  return lines.join('\n')
}

async function readStdin () {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

const options = {
  json: TREE_FLAGS.json,
  sarif: TREE_FLAGS.sarif,
  fix: { type: 'boolean' },
  write: { type: 'boolean' },
  strict: { type: 'boolean' },
  offline: TREE_FLAGS.offline,
  registry: TREE_FLAGS.registry,
  'attestations-registry': TREE_FLAGS['attestations-registry'],
  concurrency: TREE_FLAGS.concurrency,
  'no-cache': TREE_FLAGS['no-cache'],
  'trusted-root': TREE_FLAGS['trusted-root'],
  'npm-keys': TREE_FLAGS['npm-keys'],
  'fetch-timeout': TREE_FLAGS['fetch-timeout'],
  help: TREE_FLAGS.help
}

async function run (argv, io) {
  const { values: v, positionals } = parse(argv, options)
  if (v.help) {
    io.out(usage)
    return 0
  }
  const format = outputFormat(v, ['table', 'json', 'sarif'])
  if (positionals.length === 0) throw new UsageError('sri needs a file, a directory or - (stdin)')
  if (v.write && !v.fix) throw new UsageError('--write needs --fix')
  const paths = positionals.filter((p) => p !== '-')
  const html = positionals.includes('-') ? await (io.stdin ? io.stdin() : readStdin()) : undefined
  const { checkSri } = require('..')
  const result = await checkSri({
    cwd: process.cwd(),
    paths,
    html,
    fix: !!v.fix,
    write: !!v.write,
    offline: !!v.offline,
    registry: v.registry,
    attestationsRegistry: v['attestations-registry'],
    concurrency: concurrencyArg(v),
    cache: !v['no-cache'],
    trustedRoot: abs(v['trusted-root']),
    npmKeys: abs(v['npm-keys']),
    fetchTimeout: fetchTimeout(v)
  })
  if (format === 'json') io.out(JSON.stringify(result, null, 2))
  else if (format === 'sarif') io.out(JSON.stringify(sarif(result, { version: require('../package.json').version }), null, 2))
  else io.out(table(result))
  if (result.fix && format !== 'json') {
    for (const p of result.fix.pages) io.err(p.diff.trimEnd() + (p.written ? '\n(written)' : ''))
    for (const n of result.fix.notFixed) io.err(`not fixed: ${n.file}:${n.line} ${n.url}: ${n.reason}`)
  }
  // Fail closed: a reference that could not be compared (`unchecked`) is not a pass.
  const bad = result.rows.some((r) => r.verdicts.includes('mismatch') || r.verdicts.includes('package-not-verified') ||
    r.verdicts.includes('unchecked') ||
    (v.strict && r.verdicts.includes('missing-integrity')))
  return bad ? 1 : 0
}

module.exports = { usage, options, run, sarif, table }
