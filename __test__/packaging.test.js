'use strict'

// What users install: `npm pack` the main package and the linux-x64-gnu platform package (the
// built .node placed in npm/linux-x64-gnu/ as `napi artifacts` does, here in a copy), install both
// offline into a project outside the repository, and load and use the addon from there. Outside
// the repository the loader cannot find the repository's own prov-native.linux-x64-gnu.node, so
// it has to resolve the platform package, as on a user's machine.

const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { fixture, tmpdir } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const NODE_FILE = 'prov-native.linux-x64-gnu.node'
const BUILT = path.join(ROOT, NODE_FILE)
const BUNDLE = 'bundles/sigstore-2.2.0.provenance.bundle-v0.3.json'
const TGZ = 'tarballs/sigstore-2.2.0.tgz'

function isLinuxX64Gnu () {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false
  return Boolean(process.report.getReport().header.glibcVersionRuntime)
}
const skip = !isLinuxX64Gnu() && `the packed platform package is linux-x64-gnu; this is ${process.platform}-${process.arch}${process.platform === 'linux' ? ' (musl)' : ''}`

// npm with no configuration of the caller's (helpers.js drops npm_config_*), its own empty cache,
// and no network.
function npm (args, cwd, cache) {
  return execFileSync('npm', [...args, '--cache', cache, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function pack (dir, dest, cache) {
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], dir, cache))
  return { file: path.join(dest, info.filename), files: info.files.map((f) => f.path).sort() }
}

test('packed packages install offline and verify a bundle outside the repository', { skip }, (t) => {
  assert.ok(fs.existsSync(BUILT), `${BUILT} is missing: \`npm run build\` first (npm test does)`)
  const dir = tmpdir()
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const cache = path.join(dir, 'npm-cache')

  // The platform package as publishing lays it out: its package.json and README beside the binary.
  const platform = path.join(dir, 'linux-x64-gnu')
  fs.mkdirSync(platform)
  for (const f of fs.readdirSync(path.join(ROOT, 'npm', 'linux-x64-gnu'))) fs.copyFileSync(path.join(ROOT, 'npm', 'linux-x64-gnu', f), path.join(platform, f))
  fs.copyFileSync(BUILT, path.join(platform, NODE_FILE))

  const main = pack(ROOT, dir, cache)
  const plat = pack(platform, dir, cache)

  // Exactly the runtime files: the loader, the types, the CLI, the policy schema, the manifest
  // and the README (and a LICENSE once there is one) — no tests, test data, sources or benchmarks.
  const expected = ['index.js', 'index.d.ts', 'package.json', 'README.md',
    ...fs.readdirSync(path.join(ROOT, 'bin')).map((f) => `bin/${f}`),
    ...fs.readdirSync(path.join(ROOT, 'schema')).map((f) => `schema/${f}`),
    ...fs.readdirSync(path.join(ROOT, 'plugins')).map((f) => `plugins/${f}`),
    ...['LICENSE', 'LICENSE.md', 'NOTICE'].filter((f) => fs.existsSync(path.join(ROOT, f)))]
  assert.deepEqual(main.files, expected.sort())
  assert.deepEqual(plat.files, [NODE_FILE, 'README.md', 'package.json'].sort())
  const manifest = JSON.parse(fs.readFileSync(path.join(platform, 'package.json'), 'utf8'))
  assert.equal(manifest.main, NODE_FILE)
  assert.deepEqual([manifest.os, manifest.cpu, manifest.libc], [['linux'], ['x64'], ['glibc']])

  const project = path.join(dir, 'project')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  npm(['install', main.file, plat.file], project, cache)

  // A fresh node in the project: the addon must come from the installed platform package.
  const env = { ...process.env }
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH
  delete env.NODE_PATH
  const script = `
    const fs = require('node:fs')
    const pn = require('prov-native')
    const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
    const [bundle, artifact] = process.argv.slice(1)
    pn.verifyBundle(fs.readFileSync(bundle, 'utf8'), { artifact: fs.readFileSync(artifact) }).then((r) => {
      console.log(JSON.stringify({ loaded, target: pn.__napiBindingTarget, subject: r.statement.subjects[0].name,
        tlog: r.tlogVerified, cert: r.certificateVerified, sct: r.sctVerified, repo: r.provenance.sourceRepository }))
    }, (e) => { console.error(e.code, e.message); process.exit(1) })`
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script, fixture(BUNDLE), fixture(TGZ)], { cwd: project, env, encoding: 'utf8' }))
  assert.deepEqual(out.loaded, [fs.realpathSync(path.join(project, 'node_modules', 'prov-native-linux-x64-gnu', NODE_FILE))])
  assert.equal(out.target, 'native')
  assert.equal(out.subject, 'pkg:npm/sigstore@2.2.0')
  assert.ok(out.tlog && out.cert && out.sct)
  assert.equal(out.repo, 'https://github.com/sigstore/sigstore-js')

  // The plugins' subpath exports resolve (their bundlers are optional peers, not installed),
  // and the exports map keeps package.json reachable.
  const subpaths = execFileSync(process.execPath, ['-e', `
    const out = {}
    for (const s of ['vite', 'rollup', 'webpack', 'esbuild', 'eslint']) out[s] = typeof require('prov-native/' + s)
    out.pkg = require('prov-native/package.json').name
    console.log(JSON.stringify(out))`], { cwd: project, env, encoding: 'utf8' })
  assert.deepEqual(JSON.parse(subpaths), { vite: 'function', rollup: 'function', webpack: 'function', esbuild: 'function', eslint: 'object', pkg: 'prov-native' })
  assert.ok(!fs.existsSync(path.join(project, 'node_modules', 'vite')) && !fs.existsSync(path.join(project, 'node_modules', 'eslint')), 'optional peers are not installed')

  // The installed command runs too.
  const help = execFileSync(path.join(project, 'node_modules', '.bin', 'prov-native'), ['--help'], { cwd: project, env, encoding: 'utf8' })
  assert.match(help, /^Usage: prov-native <command>[\s\S]*\n {2}verify /)
})
