'use strict'

// `prov-native npm|pnpm|yarn|bun …` and `prov-native npx …`: the real package managers (npm from
// the machine; pnpm, yarn classic, yarn berry and bun from this repository's devDependencies)
// against the loopback registry. The policy that blocks is a SYNTHETIC advisory list naming a
// real fixture package (gundam-visor@1.0.1); the clean package is another real fixture without
// dependencies (@npmcli/libnpmpublish-test@1.0.0).

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { test, before, after } = require('node:test')

const { startRegistry } = require('./registry')
const { tmpdir } = require('./helpers')
const { classify } = require('../bin/wrap')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const ROOT = path.join(__dirname, '..')
const CLEAN = '@npmcli/libnpmpublish-test@1.0.0'
const BLOCKED = 'gundam-visor@1.0.1'

for (const k of ['CI', 'GITHUB_BASE_REF', 'CI_MERGE_REQUEST_DIFF_BASE_SHA', 'PROV_NATIVE_SCAN_ALL']) delete process.env[k]

// A directory of the package managers' executables, first on PATH: pnpm, yarn (classic or
// berry) and bun from node_modules; npm is the machine's.
function binDir (yarn) {
  const dir = tmpdir()
  const link = (name, target) => {
    assert.ok(fs.existsSync(target), `missing ${target}: run npm install (devDependencies)`)
    fs.symlinkSync(target, path.join(dir, name))
  }
  link('pnpm', path.join(ROOT, 'node_modules/pnpm/pnpm'))
  link('bun', path.join(ROOT, 'node_modules/bun/bin/bun.exe'))
  link('bunx', path.join(ROOT, 'node_modules/bun/bin/bunx.exe'))
  link('yarn', yarn === 'classic' ? path.join(ROOT, 'node_modules/yarn/bin/yarn.js') : path.join(ROOT, 'node_modules/@yarnpkg/cli-dist/bin/yarn.js'))
  return dir
}

let reg, slow, bins, berryBins
before(async () => {
  reg = await startRegistry()
  // Every request for the blocked package waits 15 s: long enough to interrupt the resolution
  // (a test that got no answer in that time would fail on its exit code, not hang).
  slow = await startRegistry({ delay: { '/gundam-visor': 15000 } })
  bins = binDir('classic')
  berryBins = binDir('berry')
})
after(async () => {
  await reg.close()
  await slow.close()
})

// A project using `registry`, with its own npm cache, user config and temporary directory
// (TMPDIR: where the wrapper's copy goes), the policy blocking BLOCKED, and config for every
// package manager pointing at the loopback registry.
function makeProject (registry = reg) {
  const base = tmpdir()
  const dir = path.join(base, 'app')
  fs.mkdirSync(dir)
  fs.mkdirSync(path.join(base, 'tmp'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', license: 'MIT', private: true }, null, 2) + '\n')
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${registry.url}\nstore-dir=${path.join(base, 'pnpm-store')}\n`)
  fs.writeFileSync(path.join(dir, '.yarnrc.yml'), `npmRegistryServer: "${registry.url}"\nunsafeHttpWhitelist: ["127.0.0.1"]\nenableGlobalCache: false\nglobalFolder: "${path.join(base, 'yarn-global')}"\ncacheFolder: "${path.join(base, 'yarn-cache')}"\nnodeLinker: node-modules\nenableTelemetry: false\nnpmMinimalAgeGate: 0\n`)
  fs.writeFileSync(path.join(dir, '.yarnrc'), `registry "${registry.url}"\ncache-folder "${path.join(base, 'yarn-classic-cache')}"\n`)
  fs.writeFileSync(path.join(dir, 'bunfig.toml'), `[install]\nregistry = "${registry.url}"\nsaveTextLockfile = true\n[install.cache]\ndir = "${path.join(base, 'bun-cache')}"\n`)
  // SYNTHETIC advisory list: the real fixture package named as if it were compromised.
  fs.writeFileSync(path.join(dir, 'blocked.csv'), `package_name,package_version\n${BLOCKED.replace('@', ',')}\n`)
  fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ rules: { advisories: { level: 'error', sources: ['blocked.csv'] } } }, null, 2))
  const env = {
    ...process.env,
    PATH: `${bins}${path.delimiter}${process.env.PATH}`,
    TMPDIR: path.join(base, 'tmp'),
    npm_config_registry: registry.url,
    npm_config_cache: path.join(base, 'npm-cache'),
    npm_config_userconfig: path.join(base, 'user-npmrc'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    HOME: base
  }
  return { dir, base, tmp: path.join(base, 'tmp'), env }
}

function run (args, p, { onSpawn, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: p.dir, env: env || p.env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    if (onSpawn) onSpawn(child)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

// Every file under `dir` (node_modules included) with its bytes' hash, and every symlink's target.
function snapshot (dir) {
  const out = {}
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name)
      const rel = path.relative(dir, f)
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(f)}`
      else if (e.isDirectory()) { out[rel + '/'] = 'dir'; walk(f) } else out[rel] = crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')
    }
  }
  walk(dir)
  return out
}

const installed = (p, name) => fs.existsSync(path.join(p.dir, 'node_modules', name, 'package.json'))
const tmpLeft = (p) => fs.readdirSync(p.tmp).filter((f) => f.startsWith('prov-native-wrap-'))

// --- npm -------------------------------------------------------------------------------------

test('npm install <clean>: guarded, then installed; install <blocked>: exit 1, project byte-identical, copy removed', async () => {
  const p = makeProject()
  const ok = await run(['npm', 'install', CLEAN], p)
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  assert.match(ok.stderr, /0 error\(s\)/)
  assert.ok(installed(p, '@npmcli/libnpmpublish-test'))
  assert.ok(JSON.parse(fs.readFileSync(path.join(p.dir, 'package.json'), 'utf8')).dependencies['@npmcli/libnpmpublish-test'])
  assert.ok(fs.existsSync(path.join(p.dir, 'package-lock.json')))
  assert.deepEqual(tmpLeft(p), [])

  const before = snapshot(p.dir)
  assert.ok(Object.keys(before).some((f) => f.startsWith('node_modules')))
  const bad = await run(['npm', 'install', BLOCKED], p)
  assert.equal(bad.code, 1, bad.stdout + bad.stderr)
  assert.match(bad.stderr, /ERROR advisories +gundam-visor@1\.0\.1/)
  assert.match(bad.stderr, /blocked: 1 error-level finding/)
  // The current lockfile was the previous one: only the change is new.
  assert.doesNotMatch(bad.stderr, /no previous lockfile/)
  assert.deepEqual(snapshot(p.dir), before, 'package.json, the lockfile and node_modules untouched')
  assert.ok(!installed(p, 'gundam-visor'))
  assert.deepEqual(tmpLeft(p), [])
})

test('npm install --dry-run: the guard only; nothing is installed either way', async () => {
  const p = makeProject()
  const before = snapshot(p.dir)
  const ok = await run(['npm', 'install', '--dry-run', CLEAN], p)
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stderr, /--dry-run: npm install @npmcli\/libnpmpublish-test@1\.0\.0 was not run/)
  const bad = await run(['npm', 'i', BLOCKED, '--dry-run'], p)
  assert.equal(bad.code, 1, bad.stderr)
  assert.deepEqual(snapshot(p.dir), before)
  assert.deepEqual(tmpLeft(p), [])
})

test('npm: commands that add nothing pass straight through, exit code and all', async () => {
  const p = makeProject()
  const pkg = JSON.parse(fs.readFileSync(path.join(p.dir, 'package.json'), 'utf8'))
  pkg.scripts = { hello: 'node -e "console.log(\'hello from npm run\'); process.exit(3)"', test: 'node -e "process.exit(0)"' }
  fs.writeFileSync(path.join(p.dir, 'package.json'), JSON.stringify(pkg))
  const r = await run(['npm', 'run', 'hello'], p)
  assert.equal(r.code, 3)
  assert.match(r.stdout, /hello from npm run/)
  assert.doesNotMatch(r.stderr, /error\(s\)/, 'no guard ran')
  assert.equal((await run(['npm', 'test'], p)).code, 0)
  const dry = await run(['npm', 'run', 'hello', '--dry-run'], p)
  assert.equal(dry.code, 0)
  assert.match(dry.stderr, /adds no package: nothing to guard/)
})

test('npm: a package the registry does not have fails in the copy; nothing changes, npm\'s exit code passed on', async () => {
  const p = makeProject()
  const before = snapshot(p.dir)
  const r = await run(['npm', 'install', 'no-such-package-anywhere@1.0.0'], p)
  assert.notEqual(r.code, 0)
  assert.doesNotMatch(r.stderr, /blocked/)
  assert.match(r.stderr, /could not resolve/)
  assert.match(r.stderr, /404|E404|Not found/i)
  assert.deepEqual(snapshot(p.dir), before)
  assert.deepEqual(tmpLeft(p), [])
})

test('npm in a workspace member: resolved in the workspace root, guarded with the root\'s policy', async () => {
  const p = makeProject()
  const pkg = JSON.parse(fs.readFileSync(path.join(p.dir, 'package.json'), 'utf8'))
  pkg.workspaces = ['packages/*']
  fs.writeFileSync(path.join(p.dir, 'package.json'), JSON.stringify(pkg, null, 2))
  const member = path.join(p.dir, 'packages', 'a')
  fs.mkdirSync(member, { recursive: true })
  fs.writeFileSync(path.join(member, 'package.json'), JSON.stringify({ name: 'a', version: '1.0.0', license: 'MIT' }, null, 2))
  const inMember = { ...p, dir: member }
  const before = snapshot(p.dir)
  const bad = await run(['npm', 'install', BLOCKED], inMember)
  assert.equal(bad.code, 1, bad.stdout + bad.stderr)
  assert.match(bad.stderr, /ERROR advisories +gundam-visor@1\.0\.1/)
  assert.deepEqual(snapshot(p.dir), before)
  const ok = await run(['npm', 'install', CLEAN], inMember)
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  assert.ok(JSON.parse(fs.readFileSync(path.join(member, 'package.json'), 'utf8')).dependencies['@npmcli/libnpmpublish-test'])
  assert.match(fs.readFileSync(path.join(p.dir, 'package-lock.json'), 'utf8'), /libnpmpublish-test/)
  assert.deepEqual(tmpLeft(p), [])
})

test('npm install -g <blocked>: resolved alone and blocked before npm runs', async () => {
  const p = makeProject()
  const r = await run(['npm', 'install', '-g', BLOCKED, '--dry-run'], p)
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /ERROR advisories +gundam-visor@1\.0\.1/)
  assert.deepEqual(tmpLeft(p), [])
})

test('SIGINT during the resolution: the copy is removed, the project is as it was, exit 130', async () => {
  const p = makeProject(slow)
  const before = snapshot(p.dir)
  const r = await run(['npm', 'install', BLOCKED], p, {
    onSpawn: (child) => {
      // Interrupt once the copy exists and npm is waiting on the (held) registry.
      const t = setInterval(() => {
        if (tmpLeft(p).length && slow.requests.some((q) => q.url.includes('gundam-visor'))) {
          clearInterval(t)
          child.kill('SIGINT')
        }
      }, 50)
      child.on('close', () => clearInterval(t))
    }
  })
  assert.equal(r.code, 130, r.stdout + r.stderr)
  assert.deepEqual(tmpLeft(p), [], 'temporary copy removed')
  assert.deepEqual(snapshot(p.dir), before)
})

// --- npx / npm exec ---------------------------------------------------------------------------

test('npx: the package is guarded before it runs; blocked means not run', async () => {
  const p = makeProject()
  const marker = path.join(p.base, 'ran')
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); process.exit(7)`
  const bad = await run(['npx', '-y', '-p', BLOCKED, 'node', '-e', script], p)
  assert.equal(bad.code, 1, bad.stderr)
  assert.match(bad.stderr, /ERROR advisories +gundam-visor@1\.0\.1/)
  assert.ok(!fs.existsSync(marker), 'the command did not run')
  const ok = await run(['npx', '-y', '-p', CLEAN, 'node', '-e', script], p)
  assert.equal(ok.code, 7, ok.stderr)
  assert.ok(fs.existsSync(marker), 'the command ran, its exit code passed through')
  const exec = await run(['npm', 'exec', '--dry-run', '--', BLOCKED], p)
  assert.equal(exec.code, 1, exec.stderr)
  // A bin the project has installed runs as it is (its package is in the guarded lockfile).
  fs.mkdirSync(path.join(p.dir, 'node_modules', '.bin'), { recursive: true })
  fs.writeFileSync(path.join(p.dir, 'node_modules', '.bin', 'gundam-visor'), '#!/bin/sh\nexit 5\n', { mode: 0o755 })
  const local = await run(['npx', 'gundam-visor'], p)
  assert.equal(local.code, 5, local.stderr)
  assert.doesNotMatch(local.stderr, /error\(s\)/, 'no guard ran')
  assert.deepEqual(tmpLeft(p), [])
})

// --- pnpm, yarn, bun --------------------------------------------------------------------------

for (const pm of [
  { name: 'pnpm', add: ['pnpm', 'add'], lock: 'pnpm-lock.yaml' },
  { name: 'yarn classic', add: ['yarn', 'add'], lock: 'yarn.lock', bins: () => bins },
  { name: 'yarn berry', add: ['yarn', 'add'], lock: 'yarn.lock', bins: () => berryBins },
  { name: 'bun', add: ['bun', 'add'], lock: 'bun.lock' }
]) {
  test(`${pm.name}: a clean add installs; a blocked add exits 1 and changes nothing`, async () => {
    const p = makeProject()
    if (pm.bins) p.env.PATH = `${pm.bins()}${path.delimiter}${process.env.PATH}`
    if (pm.name === 'yarn berry') fs.writeFileSync(path.join(p.dir, 'yarn.lock'), '')
    const ok = await run([...pm.add, CLEAN], p)
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.match(ok.stderr, /0 error\(s\)/)
    assert.ok(installed(p, '@npmcli/libnpmpublish-test'), ok.stdout + ok.stderr)
    assert.ok(fs.statSync(path.join(p.dir, pm.lock)).size > 0)
    const before = snapshot(p.dir)
    const bad = await run([...pm.add, BLOCKED], p)
    assert.equal(bad.code, 1, bad.stdout + bad.stderr)
    assert.match(bad.stderr, /ERROR advisories +gundam-visor@1\.0\.1/)
    assert.doesNotMatch(bad.stderr, /no previous lockfile/)
    assert.deepEqual(snapshot(p.dir), before)
    assert.deepEqual(tmpLeft(p), [])
  })
}

test('pnpm dlx, yarn dlx and bunx: guarded like npx', async () => {
  const p = makeProject()
  for (const args of [['pnpm', 'dlx', BLOCKED], ['pnpx', BLOCKED], ['yarn', 'dlx', BLOCKED], ['bunx', BLOCKED], ['bun', 'x', BLOCKED]]) {
    const r = await run(args, p)
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, /ERROR advisories +gundam-visor@1\.0\.1/)
  }
  assert.deepEqual(tmpLeft(p), [])
})

// --- What counts as adding --------------------------------------------------------------------

test('classify: which commands add packages, which run one, which pass through', () => {
  const k = (m, a, o) => classify(m, a, o).kind
  for (const a of [['install', 'x'], ['i', 'x'], ['add', 'x'], ['update'], ['install'], ['--loglevel', 'silly', 'install', 'x'], ['ci'], ['install-test']]) assert.equal(k('npm', a), 'add', a.join(' '))
  for (const a of [['run', 'x'], ['test'], ['ls'], ['uninstall', 'x'], ['--loglevel', 'install', 'ls'], []]) assert.equal(k('npm', a), 'pass', a.join(' '))
  assert.deepEqual(classify('npm', ['exec', '--', 'cowsay@1', 'hi']).packages, ['cowsay@1'])
  assert.deepEqual(classify('npx', ['-p', 'a@1', '--package=b', 'cmd']).packages, ['a@1', 'b'])
  assert.equal(k('npx', ['-c', 'echo hi']), 'pass')
  assert.deepEqual(classify('npm', ['i', '-g', 'a', '--registry', 'http://x/']).npmResolve, ['a'])
  assert.deepEqual(classify('npm', ['install', 'x', '-D']).resolve, ['install', 'x', '-D', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'])
  assert.deepEqual(classify('npm', ['dedupe']).resolve, ['dedupe', '--package-lock-only', '--ignore-scripts', '--no-fund'])
  assert.deepEqual(classify('npm', ['audit', 'fix', '--force']).resolve, ['audit', 'fix', '--force', '--package-lock-only', '--ignore-scripts', '--no-fund'])
  assert.equal(k('npm', ['audit']), 'pass')
  assert.equal(k('npm', ['audit', 'signatures']), 'pass')
  assert.deepEqual(classify('pnpm', ['add', 'x']).resolve, ['add', 'x', '--lockfile-only', '--ignore-scripts'])
  assert.equal(k('pnpm', ['run', 'build']), 'pass')
  assert.deepEqual(classify('pnpm', ['dlx', 'create-vite']).packages, ['create-vite'])
  assert.deepEqual(classify('yarn', [], { yarnBerry: true }).resolve, ['install', '--mode=update-lockfile'])
  assert.deepEqual(classify('yarn', ['add', 'x'], { yarnBerry: false }).resolve, ['add', 'x', '--ignore-scripts', '--non-interactive', '--no-progress'])
  assert.equal(k('yarn', ['build']), 'pass')
  assert.deepEqual(classify('bun', ['add', 'x']).resolve, ['add', 'x', '--lockfile-only', '--ignore-scripts'])
  assert.deepEqual(classify('bunx', ['cowsay']).packages, ['cowsay'])
  assert.equal(k('bun', ['run', 'x']), 'pass')
})
