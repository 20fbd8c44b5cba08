'use strict'

// The bundler and linter plugins inside the real tools: Vite (build and dev server), Rollup,
// webpack 5, esbuild and ESLint 9 (@eslint/json and jsonc-eslint-parser), each over small
// projects whose lockfile the loopback registry serves (SYNTHETIC lockfiles over the real
// fixture packages, as guard.test.js builds them):
//   clean  sigstore@1.0.0 (+ a git dependency): builds;
//   bad    clean + `jqeury`, a typosquat of jquery (the registry has no such package, so its age
//          is unknown and the guard keeps it an error): the build fails with the finding;
//   clean also carries a real warning-level finding: sigstore@1.0.0's provenance was built by
//          another npm CLI than 0.4.0's (provenanceContinuity, warn): the build passes, the
//          warning is shown.
// Watch mode: a rebuild with the same lockfile does not verify again; a changed lockfile does
// (counted with the plugins' shared `stats()`).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { project } = require('./helpers')

const vitePlugin = require('prov-native/vite')
const webpackPlugin = require('prov-native/webpack')
const esbuildPlugin = require('prov-native/esbuild')
const eslintPlugin = require('prov-native/eslint')

for (const k of ['CI', 'GITHUB_BASE_REF', 'CI_MERGE_REQUEST_DIFF_BASE_SHA', 'PROV_NATIVE_SCAN_ALL']) delete process.env[k]

let reg
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

const TYPOSQUAT = /typosquat jqeury@1\.0\.0: jqeury imitates the popular package jquery/
const CONTINUITY = /WARN provenanceContinuity sigstore@1\.0\.0: provenance changed since 0\.4\.0/

function withSources (dir) {
  fs.writeFileSync(path.join(dir, 'index.js'), "import { answer } from './lib.js'\nconsole.log(answer)\n")
  fs.writeFileSync(path.join(dir, 'lib.js'), 'export const answer = 42\n')
  return dir
}

function clean () {
  return withSources(project(reg, ['sigstore@1.0.0']))
}

function bad (policy) {
  const dir = withSources(project(reg, ['sigstore@1.0.0'], (p) => {
    p['node_modules/jqeury'] = { version: '1.0.0', resolved: `${reg.url}jqeury/-/jqeury-1.0.0.tgz`, integrity: p['node_modules/sigstore'].integrity }
    p[''].dependencies.jqeury = '1.0.0'
  }))
  if (policy) fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify(policy))
  return dir
}

const warnOnly = clean

// A lockfile change that changes no verdict (the root's own version).
function touchLockfile (dir) {
  const f = path.join(dir, 'package-lock.json')
  const lock = JSON.parse(fs.readFileSync(f, 'utf8'))
  lock.version = lock.packages[''].version = `1.0.${Date.now() % 100000}`
  fs.writeFileSync(f, JSON.stringify(lock, null, 2))
}

const verifications = () => vitePlugin.stats().verifications

function until (cond, what, ms = 20000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const tick = () => {
      let v
      try { v = cond() } catch (e) { return reject(e) }
      if (v) return resolve(v)
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 25)
    }
    tick()
  })
}

// --- shared core --------------------------------------------------------------------------

test('plugin options are checked: an unknown option or mode is a coded error', () => {
  assert.throws(() => vitePlugin({ mode: 'strict' }), { code: 'ERR_PROV_INVALID_ARG', message: /mode must be 'guard' or 'audit'/ })
  assert.throws(() => esbuildPlugin({ failOn: 'sometimes' }), { code: 'ERR_PROV_INVALID_ARG' })
  assert.throws(() => new webpackPlugin({ allowList: [] }), { code: 'ERR_PROV_INVALID_ARG', message: /unknown option "allowList"/ })
  assert.throws(() => vitePlugin({ allow: 'jqeury' }), { code: 'ERR_PROV_INVALID_ARG' })
})

// --- Rollup ---------------------------------------------------------------------------------

test('rollup: clean builds; a typosquat fails the build with the finding; a warning-only policy builds and warns', async () => {
  const { rollup } = require('rollup')
  const build = async (dir, options) => {
    const warnings = []
    const b = await rollup({ input: path.join(dir, 'index.js'), plugins: [vitePlugin({ root: dir, ...options })], onwarn: (w) => warnings.push(w.message) })
    await b.generate({ format: 'es' })
    await b.close()
    return warnings
  }
  const ok = await build(clean())
  assert.ok(!ok.some((w) => /ERROR/.test(w)), ok.join('\n'))
  await assert.rejects(build(bad()), (e) => {
    assert.match(e.message, TYPOSQUAT)
    assert.equal(e.plugin, 'prov-native')
    return true
  })
  const warned = await build(warnOnly())
  assert.ok(warned.some((w) => CONTINUITY.test(w) && /prov-native: WARN/.test(w)), warned.join('\n'))
  // failOn: 'warn' fails on the warning; 'never' shows errors as warnings; allow drops a package.
  await assert.rejects(build(warnOnly(), { failOn: 'warn' }), CONTINUITY)
  const never = await build(bad(), { failOn: 'never' })
  assert.ok(never.some((w) => TYPOSQUAT.test(w)), never.join('\n'))
  const allowed = await build(bad(), { allow: ['jqeury'] })
  assert.ok(!allowed.some((w) => /jqeury/.test(w)), allowed.join('\n'))
  // audit mode: verification only. The typosquat rule is not run; that the registry has no
  // jqeury@1.0.0 (the lockfile's entry cannot be resolved) is an invalid package, an error.
  await assert.rejects(build(bad(), { mode: 'audit' }), (e) => {
    assert.match(e.message, /ERROR audit\/invalid jqeury@1\.0\.0: failed verification: ERR_PROV_NOT_FOUND/)
    assert.doesNotMatch(e.message, /typosquat/)
    return true
  })
  assert.deepEqual(await build(clean(), { mode: 'audit' }), [])
})

test('rollup watch: an unchanged lockfile is not verified again, a changed one is', async () => {
  const { watch } = require('rollup')
  const dir = clean()
  const events = []
  const watcher = watch({
    input: path.join(dir, 'index.js'),
    plugins: [vitePlugin({ root: dir })],
    output: { dir: path.join(dir, 'dist'), format: 'es' },
    watch: { buildDelay: 50 }
  })
  watcher.on('event', (e) => {
    events.push(e.code)
    if (e.result && e.result.close) e.result.close()
  })
  const builds = () => events.filter((c) => c === 'BUNDLE_END' || c === 'ERROR').length
  try {
    await until(() => builds() >= 1, 'the first build')
    assert.ok(!events.includes('ERROR'), events.join(' '))
    const first = verifications()
    fs.appendFileSync(path.join(dir, 'lib.js'), 'export const other = 1\n')
    await until(() => builds() >= 2, 'the rebuild after a source change')
    assert.equal(verifications(), first, 'same lockfile: no new verification')
    touchLockfile(dir)
    await until(() => builds() >= 3, 'the rebuild after a lockfile change (the lockfile is a watch file)')
    assert.equal(verifications(), first + 1, 'changed lockfile: verified again')
  } finally { await watcher.close() }
})

// --- Vite -----------------------------------------------------------------------------------

function captureLogger () {
  const lines = []
  const log = (level) => (msg) => lines.push(`${level} ${msg}`)
  return { lines, logger: { info: log('info'), warn: log('warn'), warnOnce: log('warn'), error: log('error'), clearScreen () {}, hasErrorLogged: () => false, hasWarned: false } }
}

async function viteBuild (dir, options) {
  const vite = await import('vite')
  const { lines, logger } = captureLogger()
  await vite.build({
    root: dir,
    configFile: false,
    customLogger: logger,
    logLevel: 'info',
    plugins: [vitePlugin(options)],
    build: { write: false, lib: { entry: path.join(dir, 'index.js'), formats: ['es'], fileName: 'out' } }
  })
  return lines
}

test('vite build: clean builds; a typosquat fails the build; a warning-only policy builds and warns', async () => {
  const ok = await viteBuild(clean())
  assert.ok(!ok.some((l) => /prov-native: ERROR/.test(l)), ok.join('\n'))
  await assert.rejects(viteBuild(bad()), (e) => {
    assert.match(e.message, TYPOSQUAT)
    return true
  })
  const warned = await viteBuild(warnOnly())
  assert.ok(warned.some((l) => /^warn/.test(l) && CONTINUITY.test(l)), warned.join('\n'))
})

// A WebSocket client (RFC 6455, text frames only) for Vite's HMR channel: what a browser's
// overlay receives.
function hmrMessages (port, token) {
  const messages = []
  const sock = net.connect(port, '127.0.0.1')
  const key = Buffer.from('prov-native-test').toString('base64')
  sock.write(`GET /?token=${token} HTTP/1.1\r\nOrigin: http://127.0.0.1:${port}\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: vite-hmr\r\n\r\n`)
  let buf = Buffer.alloc(0)
  let open = false
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    if (!open) {
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      assert.match(buf.slice(0, end).toString(), /^HTTP\/1\.1 101/)
      buf = buf.slice(end + 4)
      open = true
    }
    for (;;) {
      if (buf.length < 2) return
      let len = buf[1] & 0x7f
      let at = 2
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4 } else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10 }
      if (buf.length < at + len) return
      if ((buf[0] & 0x0f) === 1) messages.push(JSON.parse(buf.slice(at, at + len).toString()))
      buf = buf.slice(at + len)
    }
  })
  sock.on('error', () => {})
  return { messages, close: () => sock.destroy() }
}

test('vite dev: the check runs once at server start; errors reach the terminal and the error overlay; a lockfile change re-checks', async () => {
  const vite = await import('vite')
  const dir = bad()
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/index.js"></script>\n')
  const { lines, logger } = captureLogger()
  const before = verifications()
  const server = await vite.createServer({
    root: dir,
    configFile: false,
    customLogger: logger,
    logLevel: 'info',
    plugins: [vitePlugin()],
    server: { host: '127.0.0.1', port: 0, strictPort: false }
  })
  let client
  try {
    await server.listen()
    await until(() => lines.some((l) => /^error/.test(l) && TYPOSQUAT.test(l)), 'the finding in the terminal')
    assert.equal(verifications(), before + 1)
    // Requests and module transforms do not check again.
    const port = server.httpServer.address().port
    const html = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())
    assert.match(html, /index\.js/)
    await fetch(`http://127.0.0.1:${port}/index.js`).then((r) => r.text())
    // The overlay: an `error` payload on the HMR channel (Vite keeps it for the next client).
    client = hmrMessages(port, server.config.webSocketToken)
    const overlay = await until(() => client.messages.find((m) => m.type === 'error'), 'the error overlay payload')
    assert.match(overlay.err.message, TYPOSQUAT)
    assert.equal(overlay.err.plugin, 'prov-native')
    assert.equal(verifications(), before + 1, 'one check for the dev session so far')
    touchLockfile(dir)
    await until(() => verifications() === before + 2, 'a re-check after the lockfile changed')
  } finally {
    if (client) client.close()
    await server.close()
  }
})

// --- webpack --------------------------------------------------------------------------------

function webpackConfig (dir, options) {
  return {
    context: dir,
    mode: 'development',
    devtool: false,
    entry: './index.js',
    output: { path: path.join(dir, 'dist') },
    infrastructureLogging: { level: 'none' },
    plugins: [new webpackPlugin(options)]
  }
}

function webpackRun (config) {
  const webpack = require('webpack')
  return new Promise((resolve, reject) => {
    const compiler = webpack(config)
    compiler.run((err, stats) => {
      if (err) return reject(err)
      compiler.close(() => resolve(stats.toJson({ all: false, errors: true, warnings: true })))
    })
  })
}

test('webpack: clean builds; a typosquat is a compilation error; a warning-only policy is a compilation warning; one check for a multi-compiler', async () => {
  const ok = await webpackRun(webpackConfig(clean()))
  assert.equal(ok.errors.length, 0, JSON.stringify(ok.errors))
  const failed = await webpackRun(webpackConfig(bad()))
  assert.ok(failed.errors.some((e) => TYPOSQUAT.test(e.message)), JSON.stringify(failed.errors))
  const warned = await webpackRun(webpackConfig(warnOnly()))
  assert.equal(warned.errors.length, 0, JSON.stringify(warned.errors))
  assert.ok(warned.warnings.some((w) => CONTINUITY.test(w.message)), JSON.stringify(warned.warnings))
  // Two compilers over one project (webpack's multi-compiler): one verification.
  const dir = clean()
  const n = verifications()
  const multi = await webpackRun([webpackConfig(dir), { ...webpackConfig(dir), name: 'second', output: { path: path.join(dir, 'dist2') } }])
  assert.equal(multi.errors.length, 0)
  assert.equal(verifications(), n + 1)
})

test('webpack watch: an unchanged lockfile is not verified again, a changed one is', async () => {
  const webpack = require('webpack')
  const dir = clean()
  const compiler = webpack(webpackConfig(dir))
  let builds = 0
  const watching = compiler.watch({ aggregateTimeout: 50 }, (err) => { assert.ifError(err); builds++ })
  try {
    await until(() => builds >= 1, 'the first build')
    const first = verifications()
    fs.appendFileSync(path.join(dir, 'lib.js'), 'export const other = 1\n')
    await until(() => builds >= 2, 'the rebuild after a source change')
    assert.equal(verifications(), first)
    touchLockfile(dir)
    await until(() => builds >= 3, 'the rebuild after a lockfile change (a file dependency)')
    assert.equal(verifications(), first + 1)
  } finally { await new Promise((resolve) => watching.close(resolve)) }
})

// --- esbuild --------------------------------------------------------------------------------

test('esbuild: clean builds; a typosquat fails the build; a warning-only policy warns; rebuilds re-check only a changed lockfile', async () => {
  const esbuild = require('esbuild')
  const opts = (dir) => ({ entryPoints: [path.join(dir, 'index.js')], absWorkingDir: dir, bundle: true, write: false, logLevel: 'silent', plugins: [esbuildPlugin()] })
  const ok = await esbuild.build(opts(clean()))
  assert.equal(ok.errors.length, 0)
  await assert.rejects(esbuild.build(opts(bad())), (e) => {
    assert.ok(e.errors.some((x) => TYPOSQUAT.test(x.text) && x.pluginName === 'prov-native'), JSON.stringify(e.errors))
    return true
  })
  const warned = await esbuild.build(opts(warnOnly()))
  assert.ok(warned.warnings.some((w) => CONTINUITY.test(w.text)), JSON.stringify(warned.warnings))
  // A context's rebuilds (what watch and serve run).
  const dir = clean()
  const ctx = await esbuild.context(opts(dir))
  try {
    await ctx.rebuild()
    const first = verifications()
    await ctx.rebuild()
    assert.equal(verifications(), first)
    touchLockfile(dir)
    await ctx.rebuild()
    assert.equal(verifications(), first + 1)
  } finally { await ctx.dispose() }
})

// --- ESLint ---------------------------------------------------------------------------------

// Where `"name"` is declared in a package.json's text: 1-based line and column of its quote.
function position (text, name) {
  const at = text.indexOf(`"${name}":`)
  assert.ok(at >= 0, `${name} not in package.json`)
  const before = text.slice(0, at).split('\n')
  return { line: before.length, column: before[before.length - 1].length + 1 }
}

function writePackageJson (dir, extra) {
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'))
  const text = JSON.stringify({ name: 'synthetic-app', version: '1.0.0', dependencies: lock.packages[''].dependencies, ...extra }, null, 2) + '\n'
  fs.writeFileSync(path.join(dir, 'package.json'), text)
  return text
}

test('eslint: lintFiles reports each finding at its dependency, with @eslint/json and with jsonc-eslint-parser', async () => {
  const { ESLint } = require('eslint')
  // A Shai-Hulud 2.0 package@version (Datadog's list, a real advisory source) beside the typosquat.
  const csv = path.resolve(__dirname, '../testdata/data/incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv')
  const [mname, mversion] = fs.readFileSync(csv, 'utf8').trim().split('\n')[1].split(',')
  const dir = bad({ rules: { advisories: { level: 'error', sources: [csv] } } })
  const lockFile = path.join(dir, 'package-lock.json')
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'))
  lock.packages[`node_modules/${mname}`] = { version: mversion, resolved: `${reg.url}${mname}/-/x-${mversion}.tgz`, integrity: lock.packages['node_modules/sigstore'].integrity }
  lock.packages[''].dependencies[mname] = mversion
  fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2))
  const text = writePackageJson(dir)
  // Fill the verdict cache for sigstore (the loopback registry serves its real signatures).
  const audited = await pn.audit({ cwd: dir })
  assert.equal(audited.packages.find((p) => p.name === 'sigstore').status, 'verified')

  for (const config of ['recommended', 'recommended-jsonc']) {
    const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: [eslintPlugin.configs[config]] })
    const [res] = await eslint.lintFiles(['package.json'])
    const by = (rule) => res.messages.filter((m) => m.ruleId === `prov-native/${rule}`)
    const where = (m) => `${m.line}:${m.column}`
    const at = (name) => { const p = position(text, name); return `${p.line}:${p.column}` }
    const squat = by('no-typosquat')
    assert.equal(squat.length, 1, `${config}: ${JSON.stringify(res.messages, null, 2)}`)
    assert.equal(where(squat[0]), at('jqeury'), config)
    assert.equal(squat[0].severity, 2)
    assert.match(squat[0].message, /jqeury@1\.0\.0: jqeury imitates the popular package jquery \(transposition imitation\) \[policy: error\]/)
    const malware = by('no-known-malware')
    assert.equal(malware.length, 1, `${config}: ${JSON.stringify(res.messages, null, 2)}`)
    assert.equal(where(malware[0]), at(mname))
    assert.match(malware[0].message, new RegExp(`${mname.replace(/[/@.]/g, '\\$&')}@${mversion.replace(/\./g, '\\.')}`))
    // Never verified: jqeury and the malware version (the registry has neither); sigstore was.
    const unverified = by('no-unverified-dependencies')
    const unverifiedAt = unverified.map(where).sort()
    assert.ok(unverifiedAt.includes(at('jqeury')) && unverifiedAt.includes(at(mname)), `${config}: ${JSON.stringify(unverified, null, 2)}`)
    assert.ok(!unverifiedAt.includes(at('sigstore')), `${config}: sigstore has a verified verdict in the cache`)
    assert.ok(unverified.some((m) => /never been verified.*prov-native audit/.test(m.message)))
    // The git dependency cannot be verified at all.
    assert.ok(unverified.some((m) => where(m) === at('from-git') && /cannot be verified: git dependency/.test(m.message)), JSON.stringify(unverified))
    assert.equal(by('no-dependency-confusion').length, 0)
    for (const m of res.messages) assert.ok(m.ruleId, `a message without a rule: ${JSON.stringify(m)}`)
  }
  // Rule docs point at the README's anchors.
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  for (const [name, rule] of Object.entries(eslintPlugin.rules)) {
    const anchor = rule.meta.docs.url.split('#')[1]
    assert.equal(anchor, `prov-native${name}`)
    assert.ok(readme.includes(`#### \`prov-native/${name}\``), `README has no section for ${name}`)
  }
})

test('eslint: the offline check is memoised per lockfile content; a broken lockfile is reported, never clean', async () => {
  const { ESLint } = require('eslint')
  const dir = clean()
  writePackageJson(dir)
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: [eslintPlugin.configs.recommended] })
  const n0 = pn.lintChecksComputed()
  await eslint.lintFiles(['package.json'])
  await eslint.lintFiles(['package.json'])
  assert.equal(pn.lintChecksComputed(), n0 + 1, 'one offline check for an unchanged lockfile')
  touchLockfile(dir)
  await eslint.lintFiles(['package.json'])
  assert.equal(pn.lintChecksComputed(), n0 + 2, 'a changed lockfile is checked again')
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{ "lockfileVersion": 3, "packages": ')
  const [res] = await eslint.lintFiles(['package.json'])
  const failed = res.messages.find((m) => m.ruleId === 'prov-native/no-unverified-dependencies')
  assert.ok(failed, JSON.stringify(res.messages))
  assert.match(failed.message, /could not read this project \(ERR_PROV_/)
  // lintSync throws a coded error to direct callers.
  assert.throws(() => pn.lintSync({ cwd: dir }), (e) => /^ERR_PROV_/.test(e.code))
})
