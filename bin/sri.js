'use strict'

// prov-native sri: check (and fix) the Subresource Integrity of npm files loaded from CDNs.

const { parseArgs } = require('node:util')
const path = require('node:path')

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

function usageError (message) {
  const e = new Error(message)
  e.code = 'ERR_PROV_INVALID_ARG'
  return e
}

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

async function run (argv, io) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        sarif: { type: 'boolean' },
        fix: { type: 'boolean' },
        write: { type: 'boolean' },
        strict: { type: 'boolean' },
        offline: { type: 'boolean' },
        registry: { type: 'string' },
        'attestations-registry': { type: 'string' },
        concurrency: { type: 'string' },
        'no-cache': { type: 'boolean' },
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
  if (positionals.length === 0) throw usageError('sri needs a file, a directory or - (stdin)')
  if (v.write && !v.fix) throw usageError('--write needs --fix')
  const num = (s, name) => {
    if (s === undefined) return undefined
    const n = Number(s)
    if (!Number.isFinite(n)) throw usageError(`${name} must be a number`)
    return n
  }
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
    concurrency: num(v.concurrency, '--concurrency'),
    cache: !v['no-cache'],
    trustedRoot: v['trusted-root'] ? path.resolve(v['trusted-root']) : undefined,
    npmKeys: v['npm-keys'] ? path.resolve(v['npm-keys']) : undefined,
    fetchTimeout: num(v['fetch-timeout'], '--fetch-timeout')
  })
  if (v.json) io.out(JSON.stringify(result, null, 2))
  else if (v.sarif) io.out(JSON.stringify(sarif(result, { version: require('../package.json').version }), null, 2))
  else io.out(table(result))
  if (result.fix && !v.json) {
    for (const p of result.fix.pages) io.err(p.diff.trimEnd() + (p.written ? '\n(written)' : ''))
    for (const n of result.fix.notFixed) io.err(`not fixed: ${n.file}:${n.line} ${n.url}: ${n.reason}`)
  }
  // Fail closed: a reference that could not be compared (`unchecked`) is not a pass.
  const bad = result.rows.some((r) => r.verdicts.includes('mismatch') || r.verdicts.includes('package-not-verified') ||
    r.verdicts.includes('unchecked') ||
    (v.strict && r.verdicts.includes('missing-integrity')))
  return bad ? 1 : 0
}

module.exports = { usage, run, sarif, table }
