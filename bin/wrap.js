'use strict'

// `prov-native npm|pnpm|yarn|bun <args…>` and `prov-native npx|pnpx|bunx <pkg> …`: guard what a
// command would add, then run it.
//
// 1. Classify the command: one that adds or changes packages (install, add, update, …), one
//    that runs a package not in the lockfile (npx, npm exec, pnpm dlx, yarn dlx, bunx), or
//    anything else, which runs as it is.
// 2. Copy the project (without node_modules, .git and package-manager caches) to a temporary
//    directory and let the package manager resolve there without installing or running
//    scripts (npm/pnpm/bun: a lockfile-only install; yarn berry: --mode=update-lockfile; yarn
//    classic, which has no lockfile-only mode: an install with --ignore-scripts into the copy).
//    A package to run is resolved by npm in an empty project instead.
// 3. Run the guard over the resolved lockfile with the project's lockfile as the previous one,
//    so only what changes is read, and print its findings.
// 4. Remove the copy (also on SIGINT/SIGTERM/SIGHUP), then, unless a finding is an error or
//    --dry-run was given, run the real command with the same arguments and pass its exit code
//    through. The project itself is never written before step 4.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { UsageError } = require('./cli')

const MANAGERS = ['npm', 'pnpm', 'yarn', 'bun']
const RUNNERS = ['npx', 'pnpx', 'bunx']

const usage = `Usage:
  prov-native npm|pnpm|yarn|bun <args...> [--dry-run]
  prov-native npx|pnpx|bunx <package> [args...]

Resolves what the command would add in a temporary copy of the project (no install, no
scripts), runs the guard over the resulting lockfile against the current one (only changes are
read), prints the findings and, when none is an error, runs the real command with the same
arguments (its exit code is passed through). Commands that add nothing (npm test, npm run x)
run straight away. The temporary copy is always removed; a blocked command leaves
package.json, the lockfile and node_modules untouched and exits 1.

  --dry-run        stop after the guard (exit 0 when no error finding, else 1)

What is guarded:
  npm   install/i/add/update/ci/install-test (also -g), dedupe, audit fix, exec/x
  pnpm  add/install/i/update/up, dlx        (pnpx: pnpm dlx)
  yarn  add/install/up/upgrade (bare yarn), dlx (berry)
  bun   add/a/install/i/update, x           (bunx: bun x)
  npx   <package>, --package/-p <package>

Examples:
  prov-native npm install left-pad@1.3.0
  prov-native npm install --dry-run some-package
  prov-native pnpm add -D typescript
  prov-native npx cowsay hello
  alias npm='prov-native npm'   # in ~/.bashrc: every npm install is guarded

Exit codes: the real command's; 1 an error-level finding; 2 usage or configuration error.`

const summary = 'guard what a package manager command adds, then run it'

// --- Which commands add packages --------------------------------------------------------------

// npm's command aliases (npm's own lists, lib/utils/cmd-list.js).
const NPM_ADD = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add',
  'update', 'up', 'upgrade', 'udpate', 'install-test', 'it', 'install-ci-test', 'cit', 'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean'])
const NPM_CI = new Set(['ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean', 'install-ci-test', 'cit'])
const NPM_EXEC = new Set(['exec', 'x'])
const NPM_DEDUPE = new Set(['dedupe', 'ddp'])
// npm options that take a value, so that the value is not taken for the command.
const NPM_VALUE_FLAGS = new Set(['--prefix', '-C', '--loglevel', '--registry', '--userconfig', '--globalconfig', '--cache', '-w', '--workspace', '--tag', '--omit', '--include', '--install-strategy', '--location'])

const PNPM_ADD = new Set(['add', 'install', 'i', 'update', 'up', 'upgrade', 'import'])
const PNPM_VALUE_FLAGS = new Set(['-C', '--dir', '--filter', '-F', '--reporter', '--loglevel', '--registry', '--workspace-root'])
const YARN_ADD = new Set(['add', 'install', 'up', 'upgrade', 'upgrade-interactive'])
const BUN_ADD = new Set(['add', 'a', 'install', 'i', 'update'])

// The first argument that is not an option (skipping the values of options that take one).
function commandIndex (args, valueFlags) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--') return i + 1 < args.length ? i + 1 : -1
    if (!a.startsWith('-')) return i
    if (valueFlags.has(a)) i++
  }
  return -1
}

// The arguments that are not options nor options' values.
function positionals (args, valueFlags) {
  const out = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--') return out.concat(args.slice(i + 1))
    if (!a.startsWith('-')) out.push(a)
    else if (valueFlags.has(a)) i++
  }
  return out
}

const isGlobal = (args) => args.some((a) => a === '-g' || a === '--global' || a === '--location=global')

// { kind: 'pass' } | { kind: 'add', ... } | { kind: 'run', packages: [specs] }
function classify (manager, args, { yarnBerry = false } = {}) {
  if (manager === 'npx' || manager === 'pnpx' || manager === 'bunx') return runPackages(manager, args)
  if (manager === 'npm') {
    const i = commandIndex(args, NPM_VALUE_FLAGS)
    if (i === -1) return { kind: 'pass' }
    const cmd = args[i]
    if (NPM_EXEC.has(cmd)) return runPackages('npm-exec', args.slice(i + 1))
    // `npm dedupe` and `npm audit fix` rewrite the tree too (audit fix to newer versions):
    // resolved lockfile-only like an install.
    const rewrites = NPM_DEDUPE.has(cmd) || (cmd === 'audit' && positionals(args.slice(i + 1), NPM_VALUE_FLAGS)[0] === 'fix')
    if (rewrites && !isGlobal(args)) return { kind: 'add', resolve: [...args, '--package-lock-only', '--ignore-scripts', '--no-fund'] }
    if (!NPM_ADD.has(cmd)) return { kind: 'pass' }
    if (isGlobal(args)) {
      return { kind: 'add', global: true, npmResolve: positionals(args.slice(i + 1), NPM_VALUE_FLAGS) }
    }
    // npm ci installs the lockfile as it is: that lockfile is what is guarded.
    if (NPM_CI.has(cmd)) return { kind: 'add', asIs: true }
    const rest = args.filter((_, j) => j !== i)
    const sub = ['install-test', 'it'].includes(cmd) ? 'install' : cmd
    return { kind: 'add', resolve: [sub, ...rest, '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'] }
  }
  if (manager === 'pnpm') {
    const i = commandIndex(args, PNPM_VALUE_FLAGS)
    if (i === -1) return { kind: 'pass' }
    const cmd = args[i]
    if (cmd === 'dlx') return runPackages('pnpm-dlx', args.slice(i + 1))
    if (!PNPM_ADD.has(cmd)) return { kind: 'pass' }
    if (isGlobal(args)) {
      return { kind: 'add', global: true, npmResolve: positionals(args.slice(i + 1), PNPM_VALUE_FLAGS) }
    }
    return { kind: 'add', resolve: [...args, '--lockfile-only', '--ignore-scripts'] }
  }
  if (manager === 'yarn') {
    const i = commandIndex(args, new Set(['--cwd']))
    const cmd = i === -1 ? 'install' : args[i] // a bare `yarn` installs
    if (i !== -1 && args[0] === 'global') {
      return { kind: 'add', global: true, npmResolve: positionals(args.slice(2), new Set()) }
    }
    if (cmd === 'dlx') return runPackages('yarn-dlx', args.slice(i + 1))
    if (!YARN_ADD.has(cmd)) return { kind: 'pass' }
    const base = i === -1 ? ['install', ...args] : args
    return yarnBerry
      ? { kind: 'add', resolve: [...base, '--mode=update-lockfile'] }
      : { kind: 'add', resolve: [...base, '--ignore-scripts', '--non-interactive', '--no-progress'] }
  }
  if (manager === 'bun') {
    const i = commandIndex(args, new Set(['--cwd', '--registry', '--config', '-c']))
    if (i === -1) return { kind: 'pass' }
    const cmd = args[i]
    if (cmd === 'x') return runPackages('bunx', args.slice(i + 1))
    if (!BUN_ADD.has(cmd)) return { kind: 'pass' }
    if (isGlobal(args)) {
      return { kind: 'add', global: true, npmResolve: positionals(args.slice(i + 1), new Set(['--registry', '--cwd'])) }
    }
    return { kind: 'add', resolve: [...args, '--lockfile-only', '--ignore-scripts'] }
  }
  throw new Error(`not a package manager: ${manager}`)
}

// The packages `npx …`, `npm exec …`, `pnpm dlx …`, `yarn dlx …` or `bunx …` would fetch: each
// --package/-p value, else the command itself (the first argument that is not an option).
function runPackages (runner, args) {
  const packages = []
  let command = null
  let call = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--') {
      if (!command && i + 1 < args.length) command = args[i + 1]
      break
    }
    if (a === '-p' || a === '--package') {
      if (i + 1 < args.length) packages.push(args[++i])
      continue
    }
    if (a.startsWith('--package=')) {
      packages.push(a.slice('--package='.length))
      continue
    }
    if (a === '-c' || a === '--call') {
      if (runner === 'npx' || runner === 'npm-exec') { call = true; i++; continue }
      continue // pnpm dlx -c: shell mode, no value
    }
    if (a.startsWith('--call=')) { call = true; continue }
    if (a.startsWith('-')) continue
    command = a
    break
  }
  // The command alone, without a version, may be a bin the project has installed.
  const local = packages.length === 0 && !!command && !/.@/.test(command) && !command.includes('/')
  if (packages.length === 0 && command && !call) packages.push(command)
  return packages.length ? { kind: 'run', packages, command, local } : { kind: 'pass' }
}

// --- The temporary copy ----------------------------------------------------------------------

// Directories never copied: installed packages, version control and package-manager caches.
const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', '.pnpm-store', '.yarn/cache', '.yarn/unplugged', '.yarn/install-state.gz', '.yarn/build-state.yml'])

function copyProject (from, to) {
  fs.cpSync(from, to, {
    recursive: true,
    dereference: false,
    verbatimSymlinks: true,
    filter: (src) => {
      const rel = path.relative(from, src).split(path.sep).join('/')
      if (rel === '') return true
      const base = rel.slice(rel.lastIndexOf('/') + 1)
      return !SKIP.has(rel) && !SKIP.has(base)
    }
  })
}

const LOCKFILES = {
  npm: ['npm-shrinkwrap.json', 'package-lock.json'],
  pnpm: ['pnpm-lock.yaml'],
  yarn: ['yarn.lock'],
  bun: ['bun.lock', 'bun.lockb']
}

function findLockfile (dir, manager) {
  for (const f of LOCKFILES[manager]) {
    const p = path.join(dir, f)
    if (fs.existsSync(p)) return p
  }
  return null
}

// The project directory: the nearest ancestor of `cwd` with a package.json and a lockfile or a
// workspace declaration (a workspace member resolves in its workspace root), else the nearest
// with a package.json.
const ROOT_MARKERS = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb']
function projectRoot (cwd) {
  let first = null
  for (let d = cwd; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) {
      if (first === null) first = d
      if (ROOT_MARKERS.some((f) => fs.existsSync(path.join(d, f))) || declaresWorkspaces(d)) return d
    }
    if (path.dirname(d) === d) return first || cwd
  }
}

function declaresWorkspaces (dir) {
  try {
    return !!JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).workspaces
  } catch {
    return false
  }
}

// --- Child processes, interruptible ------------------------------------------------------------

// State shared with the signal handlers: the child running now and the directory to remove.
const live = { child: null, temp: null, signalled: null }

function removeTemp () {
  if (live.temp) {
    fs.rmSync(live.temp, { recursive: true, force: true, maxRetries: 3 })
    live.temp = null
  }
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

function onSignal (sig) {
  live.signalled = sig
  // The child may be in our process group (a terminal's ^C reaches it too) or not (kill <pid>):
  // pass the signal on, then wait for it to exit; the temporary copy is removed after that.
  if (live.child && live.child.exitCode === null && live.child.signalCode === null) {
    try { live.child.kill(sig) } catch {}
    return
  }
  removeTemp()
  process.exit(SIGNALS[sig])
}

function installSignalHandlers () {
  for (const sig of Object.keys(SIGNALS)) process.on(sig, onSignal)
  process.on('exit', removeTemp)
}

function removeSignalHandlers () {
  for (const sig of Object.keys(SIGNALS)) process.off(sig, onSignal)
  process.off('exit', removeTemp)
}

// Run `cmd args` and resolve with { code, stdout, stderr } (captured) or { code } (inherited).
function runChild (cmd, args, { cwd, capture = false, env = process.env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      shell: process.platform === 'win32'
    })
    live.child = child
    let stdout = ''
    let stderr = ''
    if (capture) {
      child.stdout.on('data', (d) => { stdout += d })
      child.stderr.on('data', (d) => { stderr += d })
    }
    child.on('error', (e) => {
      live.child = null
      const err = new Error(`cannot run ${cmd}: ${e.message}${e.code === 'ENOENT' ? ` (is ${cmd} installed and on PATH?)` : ''}`)
      err.code = 'ERR_PROV_INVALID_ARG'
      reject(err)
    })
    child.on('close', (code, signal) => {
      live.child = null
      resolve({ code: code === null ? (SIGNALS[signal] || 1) : code, signal, stdout, stderr })
    })
  })
}

// --- The wrapper ------------------------------------------------------------------------------

function yarnIsBerry (cwd) {
  const r = spawnSync('yarn', ['--version'], { cwd, encoding: 'utf8', shell: process.platform === 'win32' })
  if (r.error || r.status !== 0) return false
  return !/^1\./.test(r.stdout.trim())
}

// The policy of the project at `root`: its file, passed by absolute path so that relative paths
// in it (advisory sources) mean what they mean in the project.
function policyFile (root) {
  const f = path.join(root, 'prov-native.config.json')
  return fs.existsSync(f) ? f : undefined
}

// Guard `lockfile` (in the temporary copy) against `previous` and print the findings.
async function guardLockfile ({ lockfile, previous, config, label, io }) {
  const { guard } = require('./cli').addon()
  const { findingsTable } = require('./format')
  const result = await guard({
    lockfile,
    cwd: path.dirname(lockfile),
    config,
    previousLockfile: previous || undefined
  })
  // The copy is gone by the time anyone reads this: name what it stands for.
  if (label) result.lockfile = label
  io.err(findingsTable(result))
  return result
}

// `npm install --package-lock-only --ignore-scripts <specs>` in an empty project that carries
// the current project's npm config and policy: the tree `npx <specs>` or a global install
// would fetch.
async function resolveAlone (specs, root, temp, io) {
  const pkg = { name: 'prov-native-resolve', version: '0.0.0', private: true }
  const own = path.join(root, 'package.json')
  if (fs.existsSync(own)) {
    try {
      const doc = JSON.parse(fs.readFileSync(own, 'utf8'))
      if (doc && doc['prov-native']) pkg['prov-native'] = doc['prov-native']
    } catch {}
  }
  fs.writeFileSync(path.join(temp, 'package.json'), JSON.stringify(pkg, null, 2))
  for (const rc of ['.npmrc']) {
    if (fs.existsSync(path.join(root, rc))) fs.copyFileSync(path.join(root, rc), path.join(temp, rc))
  }
  const r = await runChild('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--save', ...specs], { cwd: temp, capture: true })
  return { ...r, lockfile: path.join(temp, 'package-lock.json') }
}

async function run (manager, argv, io) {
  const dryRun = argv.includes('--dry-run')
  // --dry-run belongs to prov-native (for runners, only before the package: after it, it is the
  // package's own argument).
  let args = argv
  if (dryRun) {
    if (RUNNERS.includes(manager)) {
      const cut = argv.findIndex((a) => !a.startsWith('-'))
      args = argv.filter((a, i) => !(a === '--dry-run' && (cut === -1 || i < cut)))
    } else args = argv.filter((a) => a !== '--dry-run')
  }
  const cwd = process.cwd()
  const root = projectRoot(cwd)
  const berry = manager === 'yarn' && yarnIsBerry(root)
  let what = classify(manager, args, { yarnBerry: berry })
  // `npx tsc` runs the project's own bin when there is one (no fetch): that package is in the
  // lockfile, which the guard of the install covered. Only a package to fetch is guarded here.
  if (what.kind === 'run' && what.local) {
    const bin = path.join(root, 'node_modules', '.bin', what.command)
    if (fs.existsSync(bin)) what = { kind: 'pass' }
  }
  const exe = { pnpx: 'pnpm', bunx: 'bunx' }[manager] || manager
  const realArgs = manager === 'pnpx' ? ['dlx', ...args] : args

  if (what.kind === 'pass') {
    if (dryRun) {
      io.err(`prov-native: ${manager} ${args.join(' ')} adds no package: nothing to guard`)
      return 0
    }
    const r = await runChild(exe, realArgs, { cwd })
    return r.code
  }

  installSignalHandlers()
  let result
  try {
    if (what.kind === 'add' && what.asIs) {
      // npm ci: the lockfile as it is, against the previous one the guard finds (git).
      const lockfile = findLockfile(root, 'npm')
      if (!lockfile) throw new UsageError(`${manager} ${args.join(' ')}: no package-lock.json or npm-shrinkwrap.json in ${root}`)
      result = await guardLockfile({ lockfile, previous: null, config: policyFile(root), io })
    } else {
      live.temp = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-wrap-'))
      const temp = live.temp
      let resolved
      if (what.global && what.npmResolve.length === 0) {
        removeTemp()
        removeSignalHandlers()
        io.err(`prov-native: ${manager} ${args.join(' ')} names no package: a global update of everything cannot be guarded here; name the packages (prov-native ${manager} ${args.join(' ')} <pkg>...) to guard them. Not run.`)
        return 2
      }
      if (what.kind === 'run' || what.npmResolve) {
        const specs = what.kind === 'run' ? what.packages : what.npmResolve
        resolved = await resolveAlone(specs, root, temp, io)
      } else {
        const copy = path.join(temp, 'project')
        copyProject(root, copy)
        const sub = path.join(copy, path.relative(root, cwd))
        const r = await runChild(manager, what.resolve, { cwd: sub, capture: true })
        resolved = { ...r, lockfile: findLockfile(copy, manager) }
      }
      if (live.signalled) return SIGNALS[live.signalled]
      if (resolved.code !== 0) {
        io.err(`prov-native: ${manager} could not resolve ${args.join(' ')} (exit ${resolved.code}); nothing was installed:`)
        io.err((resolved.stdout + resolved.stderr).trimEnd())
        return resolved.code
      }
      if (!resolved.lockfile) throw new UsageError(`${manager} wrote no lockfile in the temporary copy; cannot guard ${args.join(' ')}`)
      if (resolved.lockfile.endsWith('.lockb')) throw new UsageError('bun wrote a binary bun.lockb: set saveTextLockfile (bunfig.toml [install] saveTextLockfile = true) or pass --save-text-lockfile so that the guard can read bun.lock')
      const previous = what.kind === 'run' || what.global ? null : findLockfile(root, manager)
      const name = path.basename(resolved.lockfile)
      result = await guardLockfile({
        lockfile: resolved.lockfile,
        label: what.kind === 'run' || what.npmResolve
          ? `the tree of ${(what.kind === 'run' ? what.packages : what.npmResolve).join(' ')} as npm resolves it`
          : `${path.join(root, name)} as ${manager} ${args.join(' ')} would leave it`,
        // Without one, every package is new (the copy is outside any git work tree).
        previous,
        config: policyFile(root),
        io
      })
    }
  } finally {
    removeTemp()
    removeSignalHandlers()
  }
  if (live.signalled) return SIGNALS[live.signalled]
  if (result.errors > 0) {
    io.err(`prov-native: blocked: ${result.errors} error-level finding(s); ${manager} ${args.join(' ')} was not run and nothing was changed.`)
    return 1
  }
  if (dryRun) {
    io.err(`prov-native: no error-level finding; --dry-run: ${manager} ${args.join(' ')} was not run.`)
    return 0
  }
  // The real command: a terminal's ^C reaches it directly (same process group); a signal sent
  // to the wrapper alone is passed on. The wrapper waits for it and returns its exit code.
  const pass = (sig) => {
    if (sig !== 'SIGINT' && live.child) {
      try { live.child.kill(sig) } catch {}
    }
  }
  for (const sig of Object.keys(SIGNALS)) process.on(sig, pass)
  try {
    const r = await runChild(exe, realArgs, { cwd })
    return r.code
  } finally {
    for (const sig of Object.keys(SIGNALS)) process.off(sig, pass)
  }
}

module.exports = { usage, summary, run, classify, runPackages, MANAGERS, RUNNERS }
