'use strict'

// `npm run bench:plugins` (also the last part of `npm run bench`): what the bundler and ESLint
// plugins cost, on the jellyfin-web lockfile (testdata/data/lockfiles/npm-v3, 1,631 locations)
// served by the loopback SYNTHETIC registry of benchmark/audit.js (every version signed, with a
// SYNTHETIC attestation pair; the SYNTHETIC trust material is handed to the children through
// PROV_NATIVE_TRUSTED_ROOT / PROV_NATIVE_NPM_KEYS, as a user's override would be).
//
// 1. prime   (own process) audit() and guard() once, cold: the verdict cache is filled.
// 2. plugin  (fresh process, warm disk cache) the Vite/Rollup plugin's buildStart, called as
//            Rollup calls it (a plugin context with addWatchFile / warn / error):
//              first   the first build start of the process (a real verification, from cache);
//              again   each later build start with the same lockfile (watch rebuilds, other
//                      environments, other plugin instances): median and p95 of BENCH_ROUNDS.
//            for mode 'audit' and mode 'guard'.
// 3. eslint  (fresh process, warm disk cache) the ESLint rules on the project's package.json,
//            through ESLint's Linter with @eslint/json (the recommended config):
//              lintSync first / warm (the native call alone), and the whole lint of the file
//              with the four rules minus the same lint with no rule (the rules' own cost).
//
// The project is a git repository with the lockfile committed (the guard's previous lockfile is
// HEAD's: an unchanged tree has no tarball to read).
//
//   BENCH_ROUNDS=50   BENCH_JSON=1   BENCH_LOCKFILE=path

const { execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const ROOT = path.resolve(__dirname, '..')
const ROUNDS = Number(process.env.BENCH_ROUNDS || 50)

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return { median: q(0.5), p95: q(0.95), min: s[0] }
}

async function childPrime (cfg) {
  const pn = require(ROOT)
  let t = performance.now()
  const a = await pn.audit({ cwd: cfg.dir, detail: 'brief' })
  const auditMs = performance.now() - t
  t = performance.now()
  const g = await pn.guard({ cwd: cfg.dir })
  const guardMs = performance.now() - t
  return { auditMs, guardMs, total: a.summary.total, verified: a.summary.verified, guardVerified: g.audit.verified, guardErrors: g.errors, guardWarnings: g.warnings }
}

async function childPlugin (cfg) {
  const provNative = require(path.join(ROOT, 'plugins', 'vite.js'))
  const out = {}
  for (const mode of ['audit', 'guard']) {
    const ctx = { addWatchFile () {}, warn () {}, error (m) { throw new Error(m) } }
    const plugin = provNative({ root: cfg.dir, mode, failOn: 'never' })
    const before = provNative.stats().verifications
    let t = performance.now()
    await plugin.buildStart.call(ctx)
    const first = performance.now() - t
    const times = []
    for (let i = 0; i < ROUNDS; i++) {
      // A new instance each time half of the rounds (another environment / compiler).
      const p = i % 2 ? plugin : provNative({ root: cfg.dir, mode, failOn: 'never' })
      t = performance.now()
      await p.buildStart.call(ctx)
      times.push(performance.now() - t)
    }
    out[mode] = { first, again: stat(times), verifications: provNative.stats().verifications - before }
  }
  return out
}

async function childEslint (cfg) {
  const pn = require(ROOT)
  const { Linter } = require('eslint')
  const plugin = require(path.join(ROOT, 'plugins', 'eslint.js'))
  const file = path.join(cfg.dir, 'package.json')
  const text = fs.readFileSync(file, 'utf8')
  let t = performance.now()
  const r = pn.lintSync({ cwd: cfg.dir })
  const first = performance.now() - t
  const warm = []
  for (let i = 0; i < ROUNDS; i++) {
    t = performance.now()
    pn.lintSync({ cwd: cfg.dir })
    warm.push(performance.now() - t)
  }
  const linter = new Linter({ cwd: cfg.dir })
  const rec = plugin.configs.recommended
  const none = { ...rec, rules: {} }
  const lint = (config) => {
    const times = []
    let messages
    for (let i = 0; i < ROUNDS; i++) {
      t = performance.now()
      messages = linter.verify(text, [config], file)
      times.push(performance.now() - t)
    }
    return { ...stat(times), messages: messages.length, sample: messages.slice(0, 6).map((m) => `${m.line}:${m.column} ${m.severity === 2 ? "error" : "warn"} ${m.ruleId} ${m.message.slice(0, 200)}`) }
  }
  lint(rec) // warm ESLint itself
  const withRules = lint(rec)
  const without = lint(none)
  return {
    lintSyncFirst: first,
    lintSyncWarm: stat(warm),
    lintWithRules: withRules,
    lintWithoutRules: without,
    rulesMedian: withRules.median - without.median,
    counts: r.counts,
    findings: r.findings.map((f) => `${f.rule}:${f.level}:${f.name}@${f.version}`),
    declared: Object.keys(JSON.parse(text).dependencies || {}).length + Object.keys(JSON.parse(text).devDependencies || {}).length
  }
}

function runChild (mode, cfgFile, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [__filename], { env: { ...process.env, ...env, BENCH_CHILD: mode, BENCH_CFG: cfgFile }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${mode}: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()))
    })
  })
}

async function main () {
  if (process.env.BENCH_CHILD) {
    const cfg = JSON.parse(fs.readFileSync(process.env.BENCH_CFG, 'utf8'))
    const child = { prime: childPrime, plugin: childPlugin, eslint: childEslint }[process.env.BENCH_CHILD]
    console.log(JSON.stringify(await child(cfg)))
    return
  }
  const { loadSet, lockfileFor, DEFAULT_LOCKFILE } = require('./synthetic/set')
  const { startSyntheticRegistry } = require('./synthetic/registry')
  const LOCK = process.env.BENCH_LOCKFILE ? path.resolve(process.env.BENCH_LOCKFILE) : DEFAULT_LOCKFILE
  const set = loadSet(LOCK, { log: console.log })
  const reg = await startSyntheticRegistry(set)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-bench-plugins-'))
  try {
    const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'))
    fs.writeFileSync(path.join(dir, 'package-lock.json'), lockfileFor(lock, set))
    const rootPkg = lock.packages[''] || {}
    // package.json as the lockfile's root records it (2-space JSON, as npm writes it).
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
      name: rootPkg.name || 'bench', version: rootPkg.version || '1.0.0', dependencies: rootPkg.dependencies || {}, devDependencies: rootPkg.devDependencies || {}
    }, null, 2) + '\n')
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\ncache=${path.join(dir, 'npm-cache')}\n`)
    // A project under git with its lockfile committed: the guard compares with HEAD's
    // lockfile, so it reads no tarball of an unchanged tree (as on a developer's machine).
    const git = (...args) => execFileSync('git', ['-C', dir, '-c', 'user.email=bench@example.invalid', '-c', 'user.name=bench', ...args], { stdio: 'ignore' })
    git('init', '-q')
    git('add', 'package-lock.json', 'package.json')
    git('commit', '-qm', 'bench')
    const cfgFile = path.join(dir, 'bench.json')
    fs.writeFileSync(cfgFile, JSON.stringify({ dir }))
    // The children read no npm configuration but the project's .npmrc.
    for (const k of Object.keys(process.env)) if (/^npm_config_/i.test(k) || ['CI', 'GITHUB_BASE_REF', 'CI_MERGE_REQUEST_DIFF_BASE_SHA', 'PROV_NATIVE_SCAN_ALL'].includes(k)) delete process.env[k]
    const childEnv = { PROV_NATIVE_TRUSTED_ROOT: set.files.trustedRoot, PROV_NATIVE_NPM_KEYS: set.files.npmKeys }
    const load = os.loadavg()[0]
    const locations = Object.keys(lock.packages).filter(Boolean).length
    console.log(`plugins: ${path.relative(process.cwd(), LOCK)} (${locations} locations), loopback SYNTHETIC registry ${reg.url}; ${os.cpus().length} CPUs, load average ${load.toFixed(1)}${load > os.cpus().length ? '  ** machine busy: timings are not representative **' : ''}`)
    const prime = await runChild('prime', cfgFile, childEnv)
    console.log(`  prime (cold, fills the cache): audit ${prime.auditMs.toFixed(0)} ms (${prime.verified}/${prime.total} verified), guard ${prime.guardMs.toFixed(0)} ms (${prime.guardVerified} verified; ${prime.guardErrors} error(s), ${prime.guardWarnings} warning(s))`)
    reg.resetStats()
    const plugin = await runChild('plugin', cfgFile, childEnv)
    const pluginRequests = reg.stats()
    const f = (x) => `${x.toFixed(2)} ms`
    for (const mode of ['audit', 'guard']) {
      const p = plugin[mode]
      console.log(`  plugin buildStart, mode ${mode}: first in the process ${f(p.first)} (a verification from the warm cache); each later build start (same lockfile) median ${f(p.again.median)}, p95 ${f(p.again.p95)} over ${ROUNDS}; ${p.verifications} verification(s)`)
    }
    console.log(`    registry requests during the plugin run: ${JSON.stringify(pluginRequests)}`)
    const es = await runChild('eslint', cfgFile, childEnv)
    console.log(`  eslint on package.json (${es.declared} declared dependencies; lockfile: ${JSON.stringify(es.counts)}):`)
    console.log(`    lintSync first in the process ${f(es.lintSyncFirst)} (lockfile parse, ${es.counts.total} cache reads, offline rules); warm median ${f(es.lintSyncWarm.median)}, p95 ${f(es.lintSyncWarm.p95)}`)
    console.log(`    Linter#verify with the 4 rules: median ${f(es.lintWithRules.median)} (${es.lintWithRules.messages} messages); without them ${f(es.lintWithoutRules.median)}; the rules' cost per package.json, warm: ${f(es.rulesMedian)}`)
    console.log(`    lintSync findings: ${es.findings.join(", ")}`)
    for (const m of es.lintWithRules.sample) console.log(`      ${m}`)
    console.log(`  targets: build start on a warm cache ≤ 50 ms; ESLint rules per package.json, warm ≤ 20 ms`)
    if (process.env.BENCH_JSON) console.log(JSON.stringify({ loadavg: os.loadavg(), prime, plugin, eslint: es }))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
    await reg.close()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
