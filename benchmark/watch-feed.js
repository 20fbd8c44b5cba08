'use strict'

// `node benchmark/watch-feed.js [N] [changed]`: requests one `watch` round sends, with and
// without a changes feed, for N watched names of which `changed` got a new version since the
// last round (and one unrelated new name published). Counts, not times: the loopback registry
// (__test__/registry.js) records every request. The N names and their versions are SYNTHETIC
// (publish() with makeTgz tarballs). Any build of the addon will do.

const fs = require('node:fs')
const path = require('node:path')

const pn = require('..')
const { startRegistry } = require('../__test__/registry')
const { tmpdir, makeTgz } = require('../__test__/helpers')

async function main () {
  const n = Number(process.argv[2] || 1000)
  const k = Number(process.argv[3] || 5)
  const reg = await startRegistry()
  try {
    const names = Array.from({ length: n }, (_, i) => `watched-name-${String(i).padStart(5, '0')}`)
    const tgz = (name, version) => makeTgz({ 'package.json': JSON.stringify({ name, version }) })
    for (const name of names) reg.publish(name, '1.0.0', { tgz: tgz(name, '1.0.0'), time: '2030-01-01T00:00:00.000Z' })
    const rows = []
    for (const feed of [false, true]) {
      const dir = tmpdir()
      fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\n`)
      const stateFile = path.join(dir, 'state.json')
      const opts = { cwd: dir, stateFile, cache: false, packages: names, concurrency: 16, ...(feed ? { changesFeed: reg.feedUrl } : {}) }
      const step = async () => {
        const from = reg.requests.length
        const t = process.hrtime.bigint()
        const r = await pn.watchPoll(opts)
        const ms = Number(process.hrtime.bigint() - t) / 1e6
        fs.writeFileSync(stateFile, JSON.stringify(r.state))
        const q = reg.requests.slice(from)
        return { r, total: q.length, feed: q.filter((x) => x.url.startsWith('/-/feed/')).length, packuments: q.filter((x) => !x.url.includes('/-/')).length, ms }
      }
      const base = await step()
      const idle = await step()
      const v = feed ? '1.0.2' : '1.0.1'
      for (const name of names.slice(0, k)) reg.publish(name, v, { tgz: tgz(name, v), time: `2030-01-0${feed ? 3 : 2}T00:00:00.000Z` })
      reg.publish(`unrelated-${feed}`, '1.0.0', { tgz: tgz(`unrelated-${feed}`, '1.0.0') })
      const busy = await step()
      const after = await step()
      rows.push({ feed, base, idle, busy, after })
    }
    console.log(`watch: ${n} watched names; ${k} of them with a new version in the "busy" round (requests to the loopback registry)`)
    console.log('mode        round      requests  feed  packuments  new versions   ms (debug or release as built)')
    for (const { feed, ...rounds } of rows) {
      for (const [label, s] of Object.entries(rounds)) {
        console.log(`${(feed ? 'feed' : 'poll').padEnd(12)}${label.padEnd(11)}${String(s.total).padStart(8)}${String(s.feed).padStart(6)}${String(s.packuments).padStart(12)}${String(s.r.newVersions.length).padStart(14)}${s.ms.toFixed(0).padStart(8)}`)
      }
    }
  } finally {
    await reg.close()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
