'use strict'

// `node benchmark/sri.js`: time checkSri() over every page of testdata/data/sri/pages (22
// references, 7 package versions) against the loopback registry of the SRI tests
// (__test__/cdn-registry.js), cold: no result cache, every tarball fetched, verified and read.
// BENCH_RUNS=5 repeats; prints each run and the median. Build with `npm run build` (release)
// for figures; a debug build is much slower.

const path = require('node:path')
const fs = require('node:fs')
const os = require('node:os')
const { startCdnRegistry, SRI } = require('../__test__/cdn-registry')
const { checkSri } = require('..')

async function main () {
  const reg = await startCdnRegistry()
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-bench-sri-'))
  fs.writeFileSync(path.join(cwd, '.npmrc'), `registry=${reg.url}\n`)
  const runs = Number(process.env.BENCH_RUNS || 5)
  const times = []
  let rows = 0
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    const r = await checkSri({ cwd, cache: false, registry: reg.url, paths: [path.join(SRI, 'pages')] })
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
    rows = r.rows.length
  }
  await reg.close()
  times.sort((a, b) => a - b)
  console.log(`checkSri over ${rows} references: runs ${times.map((t) => t.toFixed(0)).join(', ')} ms; median ${times[Math.floor(times.length / 2)].toFixed(0)} ms`)
}

main()
