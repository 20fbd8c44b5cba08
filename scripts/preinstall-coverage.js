'use strict'

// Which commands run a project's root `preinstall` hook, when, and what a failing hook stops,
// per package manager (README, "Guarding installs"). Each case: a project depending on a
// fixture package, a first install, then the command with a `preinstall` that records what it
// sees (is the new package in the lockfile? in node_modules?) and exits 1.
//
//   node scripts/preinstall-coverage.js
//
// Uses the loopback test registry and the package managers in node_modules (pnpm, yarn,
// @yarnpkg/cli-dist, bun) plus the machine's npm.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startRegistry } = require('../__test__/registry')

const ROOT = path.join(__dirname, '..')
const NEW = 'gundam-visor'
const OLD = '@npmcli/libnpmpublish-test'

const EXE = {
  npm: ['npm'],
  pnpm: [path.join(ROOT, 'node_modules/pnpm/pnpm')],
  'yarn 1': [process.execPath, path.join(ROOT, 'node_modules/yarn/bin/yarn.js')],
  'yarn 4': [process.execPath, path.join(ROOT, 'node_modules/@yarnpkg/cli-dist/bin/yarn.js')],
  bun: [path.join(ROOT, 'node_modules/bun/bin/bun.exe')]
}

const CASES = [
  ['npm', ['install']], ['npm', ['ci']], ['npm', ['install', `${NEW}@1.0.1`]], ['npm', ['update']],
  ['pnpm', ['install']], ['pnpm', ['update']], ['pnpm', ['add', `${NEW}@1.0.1`]],
  ['yarn 1', ['install']], ['yarn 1', ['add', `${NEW}@1.0.1`]],
  ['yarn 4', ['install']], ['yarn 4', ['add', `${NEW}@1.0.1`]],
  ['bun', ['install']], ['bun', ['add', `${NEW}@1.0.1`]]
]

const HOOK = `const fs = require('fs')
const lock = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'].map((f) => { try { return fs.readFileSync(f, 'utf8') } catch { return '' } }).join('')
fs.writeFileSync('hook-saw.json', JSON.stringify({ newInLockfile: lock.includes(${JSON.stringify(NEW)}), oldInstalled: fs.existsSync('node_modules/${OLD}'), newInstalled: fs.existsSync('node_modules/${NEW}') }))
if (fs.existsSync('../fail')) process.exit(1)
`

function sh (cmd, args, cwd, env) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, env })
    let out = ''
    c.stdout.on('data', (d) => { out += d })
    c.stderr.on('data', (d) => { out += d })
    c.on('error', (e) => resolve({ code: -1, out: e.message }))
    c.on('close', (code) => resolve({ code, out }))
  })
}

async function main () {
  const reg = await startRegistry()
  try {
    for (const [pm, args] of CASES) {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-hooks-'))
      const dir = path.join(base, 'app')
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(base, 'hook.js'), HOOK)
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', license: 'MIT', scripts: { preinstall: 'node ../hook.js' }, dependencies: { [OLD]: '1.0.0' } }))
      fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\nstore-dir=${base}/store\n`)
      fs.writeFileSync(path.join(dir, '.yarnrc.yml'), `npmRegistryServer: "${reg.url}"\nunsafeHttpWhitelist: ["127.0.0.1"]\nenableGlobalCache: false\nglobalFolder: "${base}/yarn-global"\nnodeLinker: node-modules\nenableTelemetry: false\nnpmMinimalAgeGate: 0\n`)
      fs.writeFileSync(path.join(dir, '.yarnrc'), `registry "${reg.url}"\n`)
      fs.writeFileSync(path.join(dir, 'bunfig.toml'), `[install]\nregistry = "${reg.url}"\nsaveTextLockfile = true\n`)
      if (pm === 'yarn 4') fs.writeFileSync(path.join(dir, 'yarn.lock'), '')
      const env = { ...process.env, HOME: base, npm_config_cache: `${base}/npm-cache`, npm_config_userconfig: `${base}/npmrc`, npm_config_registry: reg.url }
      const [cmd, ...pre] = EXE[pm]
      const first = await sh(cmd, [...pre, 'install'], dir, env)
      if (first.code !== 0) {
        console.log(`${pm} ${args.join(' ')}: the first install failed:\n${first.out.slice(-400)}`)
        continue
      }
      fs.rmSync(path.join(dir, 'hook-saw.json'), { force: true })
      // A command without a package name: from a fresh checkout (lockfile, no node_modules).
      if (args.length === 1) fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true })
      fs.writeFileSync(path.join(base, 'fail'), '')
      const r = await sh(cmd, [...pre, ...args], dir, env)
      const sawFile = path.join(dir, 'hook-saw.json')
      const saw = fs.existsSync(sawFile) ? JSON.parse(fs.readFileSync(sawFile, 'utf8')) : null
      const hook = !saw
        ? 'did not run'
        // A fresh install: was the tree written before the hook? An add: was the new package?
        : `ran ${(args.length > 1 ? saw.newInstalled : saw.oldInstalled) ? 'AFTER packages were written' : 'before anything was written'}` +
          (args.length > 1 ? `, the new package ${saw.newInLockfile ? 'in' : 'NOT in'} the lockfile it saw` : '')
      const after = args.length > 1 ? `; ${NEW} installed afterwards: ${fs.existsSync(path.join(dir, 'node_modules', NEW))}` : ''
      console.log(`${pm} ${args.join(' ')}: root preinstall ${hook}; the command exited ${r.code}${after}`)
      fs.rmSync(base, { recursive: true, force: true })
    }
  } finally {
    await reg.close()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
