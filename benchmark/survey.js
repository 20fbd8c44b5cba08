'use strict'

// `npm run bench:survey` (release build first: `npm run build`): survey and watch over the
// jellyfin-web lockfile (testdata/data/lockfiles/npm-v3) against the loopback registry of
// benchmark/audit.js (benchmark/synthetic/registry.js: every package version with a registry
// signature and a SYNTHETIC SLSA provenance + publish attestation pair).
//
//   survey cold   empty cache directory: every package verified
//   survey warm   same cache directory, unchanged lockfile (target: ≤ 200 ms)
//   watch         every registry name of the tree watched: a baseline round, an unchanged round
//                 (one conditional request per name, all 304), then a round where each name's
//                 newest version is new (state rewound by one version per name): each judged
//                 (verification, earlier-provenance look-back, tarball read, rules) — the cost
//                 per version the README's registry-wide note uses.
//
// Each measurement is in-process (the Promise of the native call), median of BENCH_RUNS (3).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const ROOT = path.resolve(__dirname, '..')
const RUNS = Number(process.env.BENCH_RUNS || 3)

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main () {
  const pn = require(ROOT)
  const { loadSet, lockfileFor, DEFAULT_LOCKFILE } = require('./synthetic/set')
  const { startSyntheticRegistry } = require('./synthetic/registry')
  const set = loadSet(DEFAULT_LOCKFILE, { log: console.log })
  const reg = await startSyntheticRegistry(set)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-bench-survey-'))
  try {
    fs.writeFileSync(path.join(dir, 'package-lock.json'), lockfileFor(JSON.parse(fs.readFileSync(DEFAULT_LOCKFILE, 'utf8')), set))
    fs.copyFileSync(path.join(path.dirname(DEFAULT_LOCKFILE), 'package.json'), path.join(dir, 'package.json'))
    const base = { cwd: dir, registry: reg.url, trustedRoot: set.files.trustedRoot, npmKeys: set.files.npmKeys }
    const load = os.loadavg()[0]
    console.log(`${path.relative(process.cwd(), DEFAULT_LOCKFILE)}; registry ${reg.url} (loopback); ${os.cpus().length} CPUs, load average ${load.toFixed(1)}${load > os.cpus().length ? '  ** machine busy: timings are not representative **' : ''}`)

    const cold = []
    const warm = []
    let result
    for (let i = 0; i < RUNS; i++) {
      const cacheDir = path.join(dir, `cache${i}`)
      let t = performance.now()
      result = await pn.survey({ ...base, cacheDir })
      cold.push(performance.now() - t)
      t = performance.now()
      const w = await pn.survey({ ...base, cacheDir })
      warm.push(performance.now() - t)
      if (!w.cached) throw new Error('the warm survey was not answered from the cache: ' + JSON.stringify(w.unverifiable))
    }
    const g = result.groups.all
    console.log(`survey: ${g.total} registry package versions (provenance ${g.provenance}, unverifiable ${g.unverifiable}, invalid ${g.invalid}); direct ${result.groups.direct.total}, dev ${result.groups.dev.total}`)
    console.log(`  cold  median ${median(cold).toFixed(0)} ms  (${cold.map((x) => x.toFixed(0)).join(', ')})`)
    console.log(`  warm  median ${median(warm).toFixed(1)} ms  (${warm.map((x) => x.toFixed(1)).join(', ')})  target ≤ 200 ms`)

    // watch
    const names = [...new Set(set.packages.map((p) => p.name))].sort()
    const stateFile = path.join(dir, 'watch-state.json')
    const wopts = { ...base, packages: names, stateFile, cache: false, concurrency: 16 }
    let t = performance.now()
    let r = await pn.watchPoll(wopts)
    const baseline = performance.now() - t
    fs.writeFileSync(stateFile, JSON.stringify(r.state))
    t = performance.now()
    r = await pn.watchPoll(wopts)
    const unchanged = performance.now() - t
    if (r.unchanged !== names.length) throw new Error(`unchanged round: ${r.unchanged} of ${names.length} unchanged`)
    // Rewind: each name's newest version is new again.
    const st = r.state
    let rewound = 0
    for (const [name, s] of Object.entries(st.packages)) {
      const latest = set.packages.filter((p) => p.name === name).map((p) => p.version).pop()
      s.versions = s.versions.filter((v) => v !== latest)
      s.etag = null
      rewound++
    }
    fs.writeFileSync(stateFile, JSON.stringify(st))
    t = performance.now()
    r = await pn.watchPoll(wopts)
    const judged = performance.now() - t
    console.log(`watch: ${names.length} names`)
    console.log(`  baseline round   ${baseline.toFixed(0)} ms (${(baseline / names.length).toFixed(2)} ms/name)`)
    console.log(`  unchanged round  ${unchanged.toFixed(0)} ms (${(unchanged / names.length).toFixed(2)} ms/name; every answer 304)`)
    console.log(`  judging round    ${judged.toFixed(0)} ms for ${r.newVersions.length} new versions of ${rewound} names (${(judged / Math.max(1, r.newVersions.length)).toFixed(2)} ms/version at concurrency 16, ${os.cpus().length} CPUs); ${r.events.length} events, ${r.errors.length} errors`)
    const byRule = {}
    for (const e of r.events) byRule[`${e.rule}: ${e.message.replace(/[\w.@/-]+@\d[\w.-]*/g, '<pkg>').slice(0, 90)}`] = (byRule[`${e.rule}: ${e.message.replace(/[\w.@/-]+@\d[\w.-]*/g, '<pkg>').slice(0, 90)}`] || 0) + 1
    for (const [k, v] of Object.entries(byRule).sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`    ${v} × ${k}`)
    for (const s of r.skipped.slice(0, 5)) console.log(`    not checked: ${s.slice(0, 160)}`)
    if (process.env.BENCH_JSON) console.log(JSON.stringify({ cold, warm, baseline, unchanged, judged, versions: r.newVersions.length, names: names.length, loadavg: os.loadavg() }))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
    await reg.close()
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1 })
