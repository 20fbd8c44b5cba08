'use strict'

// What the command modules share: argument parsing with usage errors, the closest-flag
// suggestion, and the options `audit` and `guard` have in common.

const { parseArgs } = require('node:util')
const fs = require('node:fs')
const path = require('node:path')

class UsageError extends Error {
  constructor (message) {
    super(message)
    this.code = 'ERR_PROV_INVALID_ARG'
  }
}

// Levenshtein distance, for "did you mean".
function distance (a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
  }
  return d[a.length][b.length]
}

// The candidate closest to `word`, when it is close enough to be a typo (or a prefix of it).
function closest (word, candidates) {
  let best = null
  let bestD = Infinity
  for (const c of candidates) {
    const dd = c.startsWith(word) && word.length >= 3 ? 0.5 : distance(word, c)
    if (dd < bestD) {
      best = c
      bestD = dd
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null
}

// The long flags of a parseArgs `options` object (or a list of names), as `--name`.
function flagNames (options) {
  if (!options) return []
  const names = Array.isArray(options) ? options : Object.keys(options)
  return names.map((n) => (n.startsWith('-') ? n : `--${n}`))
}

// "Unknown option '--jsn'" (node's parseArgs, ERR_PARSE_ARGS_UNKNOWN_OPTION), with the closest
// known flag when there is one. Works on any module's error, whatever parsed its arguments.
function suggestFlag (message, options) {
  const m = /Unknown option '(-{1,2}[^'=]+)/.exec(message)
  if (!m) return null
  const flag = m[1]
  const best = closest(flag, flagNames(options))
  return best ? `unknown option ${flag}; did you mean ${best}?` : `unknown option ${flag}`
}

function parse (argv, options) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError(suggestFlag(e.message, options) || e.message)
  }
}

const abs = (f) => (f ? path.resolve(f) : undefined)

// --previous-lockfile: a path, or `<rev>:<file>` for git when no such file exists (left as is).
const previousArg = (f) => {
  if (!f) return undefined
  const m = /^([^:]{2,}):(.+)$/.exec(f)
  return m && !fs.existsSync(f) ? f : path.resolve(f)
}

// --fetch-timeout MS: a positive whole number of milliseconds.
function fetchTimeout (values) {
  const v = values['fetch-timeout']
  if (v === undefined) return undefined
  const ms = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(ms) || ms < 1) throw new UsageError('--fetch-timeout must be a positive whole number of milliseconds')
  return ms
}

// Options `audit` and `guard` share.
const TREE_FLAGS = {
  json: { type: 'boolean' },
  sarif: { type: 'boolean' },
  format: { type: 'string' },
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

// The tree's input and network flags without the output ones, for commands whose output flags
// are their own (sbom --format, survey --svg, watch --output).
const TREE_INPUT_FLAGS = Object.fromEntries(Object.entries(TREE_FLAGS).filter(([k]) => !['json', 'sarif', 'format'].includes(k)))

// --concurrency N: a positive integer, or undefined (the engine's default).
function concurrencyArg (values) {
  if (values.concurrency === undefined) return undefined
  const n = Number(values.concurrency)
  if (!Number.isInteger(n) || n < 1) throw new UsageError('--concurrency must be a positive integer')
  return n
}

function treeOptions (values, positionals, command) {
  if (positionals.length > 1) throw new UsageError(`${command} takes one directory or lockfile`)
  const concurrency = concurrencyArg(values)
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

// The output format of --json / --sarif / --format: at most one of them may choose it.
function outputFormat (values, formats = ['table', 'json', 'sarif']) {
  const chosen = []
  if (values.json) chosen.push('--json')
  if (values.sarif) chosen.push('--sarif')
  if (values.format !== undefined) chosen.push(`--format ${values.format}`)
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} choose different outputs: give one`)
  const format = values.json ? 'json' : values.sarif ? 'sarif' : (values.format || 'table')
  if (!formats.includes(format)) throw new UsageError(`unknown format ${JSON.stringify(format)} (one of ${formats.join(', ')})`)
  return format
}

const TREE_HELP = `  --json | --sarif | --format table|json|sarif   output (one of them; default table)
  --registry URL                 registry to resolve from (default: npm's configuration)
  --attestations-registry URL    registry that serves attestations, keys and signatures (when
                                 --registry is a mirror that strips them)
  --concurrency N                packages verified at once (default 32)
  --no-cache                     do not read or write the result cache
  --cache-dir DIR                result cache (default <npm cache>/_prov-native)
  --offline                      no network: cached results only
  --trusted-root FILE            Sigstore trusted_root.json instead of the embedded one
  --npm-keys FILE                npm registry keys instead of the embedded ones
  --fetch-timeout MS             longest one HTTP request may take (default npm's fetch-timeout,
                                 else 120000)
  -h, --help                     show this help`

// Write `data` to `file` atomically: a new temporary file beside it (never an existing one),
// fsynced, renamed over it; the temporary file is removed when any step fails.
function writeAtomic (file, data) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`)
  const fd = fs.openSync(tmp, 'wx', 0o644)
  try {
    try {
      fs.writeSync(fd, data)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
}

// The platform triple the loader looks for, as napi-rs names it (linux-x64-gnu, darwin-arm64,
// win32-x64-msvc, …).
function triple () {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null
    const glibc = report && report.header && report.header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

// The native addon, or ERR_PROV_LOAD naming the platform package and file the loader looked
// for, why each attempt failed, and the fix.
function addon () {
  try {
    return require('..')
  } catch (e) {
    const t = triple()
    const dir = path.resolve(__dirname, '..')
    const pkg = `prov-native-${t}`
    const version = (() => { try { return require('../package.json').version } catch { return '<version>' } })()
    const causes = []
    // The loader's chain of attempts: those for this platform say why (not found, wrong ELF, …).
    for (let c = e, n = 0; c && n < 16; c = c.cause, n++) {
      const m = String(c.message || c).split('\n')[0]
      if (m.includes(t)) causes.push(m)
    }
    if (causes.length === 0) causes.push(String(e && e.message).split('\n')[0])
    const err = new Error(
      `the native addon could not be loaded for ${process.platform} ${process.arch} (${t}). The loader looked for ` +
      `${path.join(dir, `prov-native.${t}.node`)} and the package ${pkg} (its file prov-native.${t}.node); ` +
      `${causes.map((c) => c.replace(/^Error: /, '')).join('; ')}. ` +
      `Fix: install the platform package (npm install ${pkg}@${version}); it is an optional dependency, so it is missing ` +
      'after --omit=optional / --no-optional or with a lockfile written on another OS or libc (then delete node_modules and ' +
      'run npm install again on this machine). Platforms with a build: linux x64/arm64 (glibc ≥ 2.17 and musl), macOS x64/arm64, Windows x64/arm64.'
    )
    err.code = 'ERR_PROV_LOAD'
    err.cause = e
    throw err
  }
}

module.exports = { addon, triple, UsageError, parse, closest, suggestFlag, flagNames, abs, previousArg, fetchTimeout, concurrencyArg, writeAtomic, TREE_FLAGS, TREE_INPUT_FLAGS, TREE_HELP, treeOptions, outputFormat }
