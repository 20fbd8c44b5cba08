'use strict'

// As users run it: the registry npm would use is discovered once, and no registry can keep a
// run waiting. Every server here listens on 127.0.0.1 and is closed, with its sockets, by the
// test that started it.
//
// The lockfiles written here are SYNTHETIC (labelled so), except the real jellyfin-web lockfile
// from testdata/data, which is copied and read as it is.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { tmpdir, project, rejectsWith } = require('./helpers')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const JELLYFIN = path.resolve(__dirname, '../testdata/data/lockfiles/npm-v3/jellyfin-web')
const byName = (result) => Object.fromEntries(result.packages.map((r) => [`${r.name}@${r.version}`, r]))

let reg
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

// A directory with an `npm` that counts its runs (one line each in `count`) and prints `url`,
// and an environment with no npm configuration: no npm_config_* variable (helpers removes
// them from this process), a HOME without .npmrc, a PREFIX without etc/npmrc.
function npmShim (url) {
  const dir = tmpdir()
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin)
  const count = path.join(dir, 'count')
  fs.writeFileSync(count, '')
  fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >> '${count}'\necho '${url}'\n`, { mode: 0o755 })
  fs.mkdirSync(path.join(dir, 'home'))
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, HOME: path.join(dir, 'home'), PREFIX: dir }
  for (const k of Object.keys(env)) if (/^npm_config_/i.test(k)) delete env[k]
  return { env, runs: () => fs.readFileSync(count, 'utf8').split('\n').filter(Boolean) }
}

function cli (args, cwd, env) {
  return new Promise((resolve) => {
    const started = Date.now()
    execFile(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr, seconds: (Date.now() - started) / 1000 })
    })
  })
}

// Run `fn` with `env` as this process's environment, restored afterwards.
async function withEnv (env, fn) {
  const saved = { ...process.env }
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k]
  Object.assign(process.env, env)
  try {
    return await fn()
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

// A server that accepts TCP connections and never writes a byte.
async function silentServer () {
  const sockets = new Set()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  let accepted = 0
  server.on('connection', () => { accepted++ })
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    accepted: () => accepted,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

// The fixture registry behind a front that passes requests through (its own URL in place of
// the registry's in what it answers, so tarballs come through it too), except those whose path
// starts with `stuck`: those get no byte (`partial`: the headers and 10 bytes of 1000) and are
// held open until close().
async function stuckFront (backend, stuck, { partial = false } = {}) {
  const held = []
  const up = new URL(backend.url)
  let self = null
  const server = http.createServer((req, res) => {
    if (req.url.startsWith(stuck)) {
      held.push(res)
      if (partial) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 1000 })
        res.write(Buffer.alloc(10))
      }
      return
    }
    const headers = { ...req.headers, host: up.host }
    delete headers['accept-encoding']
    const fwd = http.request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers, agent: false }, (r) => {
      const chunks = []
      r.on('data', (c) => chunks.push(c))
      r.on('end', () => {
        const body = Buffer.from(Buffer.concat(chunks).toString('latin1').split(backend.url).join(self), 'latin1')
        const h = { ...r.headers, 'content-length': body.length }
        delete h.etag
        res.writeHead(r.statusCode, h)
        res.end(body)
      })
    })
    fwd.on('error', () => res.destroy())
    req.pipe(fwd)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  self = `http://127.0.0.1:${server.address().port}/`
  return {
    url: self,
    held: () => held.length,
    // The fixture registry's packument, as this front serves it.
    packument: (name) => JSON.parse(JSON.stringify(backend.packument(name)).split(backend.url).join(self)),
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
}

// SYNTHETIC npm v3 lockfile of packages no registry has, pointed at `registry`.
function syntheticProject (registry, names, npmrc = '') {
  const dir = tmpdir()
  const packages = { '': { name: 'synthetic-app', version: '1.0.0' } }
  for (const n of names) packages[`node_modules/synthetic-${n}`] = { version: '1.0.0', integrity: 'sha512-' + Buffer.alloc(64, n).toString('base64') }
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'synthetic-app', lockfileVersion: 3, packages }))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synthetic-app', version: '1.0.0' }))
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${registry}\n${npmrc}`)
  return dir
}

test('discovery: with no registry configured, npm is asked once per process (real lockfile, CLI audit and guard --offline)', { skip: process.platform === 'win32' && 'POSIX shell shim' }, async () => {
  const shim = npmShim(reg.url)
  const dir = tmpdir()
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(JELLYFIN, f), path.join(dir, f))

  const audit = await cli(['audit', '--offline', '--json'], dir, shim.env)
  assert.equal(audit.code, 1, audit.stderr)
  const result = JSON.parse(audit.stdout)
  assert.ok(result.summary.total > 1500, String(result.summary.total))
  assert.ok(result.packages.every((p) => p.status === 'unverifiable' && /offline/.test(p.problems[0].message)))
  assert.deepEqual(shim.runs(), ['config get registry'], 'audit: one `npm config get registry` for the run')
  // The registry npm named is the one the (empty) cache was keyed with.
  assert.ok(result.packages.every((p) => p.registry === reg.url), JSON.stringify(result.packages[0]))

  const guard = await cli(['guard', '--offline', '--json'], dir, shim.env)
  assert.equal(guard.code, 1, guard.stderr)
  assert.ok(JSON.parse(guard.stdout).audit.unverifiable > 1500)
  assert.equal(shim.runs().length, 2, 'guard: one more, for its own process')

  // Offline without a cache nothing needs the registry.
  const bare = await cli(['audit', '--offline', '--no-cache', '--json'], dir, shim.env)
  assert.equal(bare.code, 1, bare.stderr)
  assert.equal(shim.runs().length, 2, 'offline --no-cache: npm not asked')
  assert.ok(JSON.parse(bare.stdout).packages.every((p) => /offline/.test(p.problems[0].message)))
})

test('discovery: the API asks npm once for concurrent audits and a guard of one project (loopback registry)', { skip: process.platform === 'win32' && 'POSIX shell shim' }, async () => {
  const shim = npmShim(reg.url)
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
  // The project's .npmrc without its registry= line.
  fs.writeFileSync(path.join(dir, '.npmrc'), `cache=${path.join(dir, 'npm-cache')}\n`)
  await withEnv(shim.env, async () => {
    const [a, b] = await Promise.all([pn.audit({ cwd: dir, cache: false }), pn.audit({ cwd: dir, cache: false })])
    for (const r of [a, b]) {
      assert.equal(byName(r)['tuf-js@1.0.0'].status, 'verified', JSON.stringify(byName(r)['tuf-js@1.0.0'].problems))
      assert.equal(byName(r)['tuf-js@1.0.0'].registry, reg.url)
    }
    const g = await pn.guard({ cwd: dir, cache: false })
    assert.equal(g.audit.verified, 2)
    const v = await pn.verify('tuf-js@1.0.0', { cwd: dir })
    assert.equal(v.status, 'verified')
  })
  assert.deepEqual(shim.runs(), ['config get registry'])
})

test('discovery: a failure is remembered too, not retried per package', { skip: process.platform === 'win32' && 'POSIX shell shim' }, async () => {
  const shim = npmShim('not a registry')
  const dir = syntheticProject('http://127.0.0.1:9/', ['a', 'b', 'c', 'd'])
  fs.writeFileSync(path.join(dir, '.npmrc'), '')
  const r = await cli(['audit', '--json', '--no-cache'], dir, shim.env)
  assert.equal(r.code, 1, r.stderr)
  const reports = JSON.parse(r.stdout).packages
  assert.equal(reports.length, 4)
  for (const p of reports) {
    assert.equal(p.status, 'unverifiable')
    assert.equal(p.problems[0].code, 'ERR_PROV_CONFIG')
    assert.match(p.problems[0].message, /npm config get registry.*not an http\(s\) URL/)
  }
  assert.equal(shim.runs().length, 1)
})

test('timeouts (defaults): a registry that accepts connections and never answers costs one wave, well under 60 s', async () => {
  const silent = await silentServer()
  try {
    const names = ['a', 'b', 'c', 'd', 'e', 'f']
    const dir = syntheticProject(silent.url, names)
    const started = Date.now()
    const result = await pn.audit({ cwd: dir, cache: false })
    const seconds = (Date.now() - started) / 1000
    assert.ok(seconds < 60, `took ${seconds} s`)
    assert.equal(result.summary.unverifiable, names.length)
    for (const p of result.packages) {
      assert.equal(p.status, 'unverifiable')
      assert.equal(p.problems[0].code, 'ERR_PROV_NETWORK')
      assert.match(p.problems[0].message, /timed out/)
    }
    // One request per package in the first wave, no retry, no probe.
    assert.ok(silent.accepted() <= names.length, `${silent.accepted()} connections`)
  } finally {
    await silent.close()
  }
})

test('timeouts: more packages than one wave (concurrency 2): the rest fail at once, the host given up', async () => {
  const silent = await silentServer()
  try {
    const names = 'abcdefghijklmnopqrst'.split('')
    const dir = syntheticProject(silent.url, names, 'fetch-timeout=1000\n')
    const started = Date.now()
    const result = await pn.audit({ cwd: dir, cache: false, concurrency: 2 })
    const seconds = (Date.now() - started) / 1000
    assert.ok(seconds < 15, `took ${seconds} s`)
    assert.equal(result.summary.unverifiable, names.length)
    const reasons = result.packages.map((p) => p.problems[0].message)
    assert.ok(reasons.every((m) => /timed out/.test(m)), JSON.stringify(reasons))
    assert.ok(reasons.some((m) => /answered no request in this run \(timed out.*not asked again in this run/.test(m)), JSON.stringify(reasons))
    assert.ok(silent.accepted() <= 2, `${silent.accepted()} connections`)
  } finally {
    await silent.close()
  }
})

test('timeouts: --fetch-timeout and fetchTimeout apply to guard and verify against a silent registry', async () => {
  const silent = await silentServer()
  try {
    const dir = syntheticProject(silent.url, ['a', 'b'])
    const r = await cli(['guard', '--json', '--no-cache', '--fetch-timeout', '1000'], dir)
    // Unverifiable is a warning under the default policy; tarballs the guard could not read
    // are errors (it judges the bytes npm installs, and has not seen them).
    assert.equal(r.code, 1, r.stderr)
    assert.ok(r.seconds < 30, `took ${r.seconds} s`)
    const g = JSON.parse(r.stdout)
    const unread = g.findings.filter((f) => /the tarball npm installs could not be read/.test(f.message))
    assert.deepEqual(unread.map((f) => `${f.name}:${f.level}`).sort(), ['synthetic-a:error', 'synthetic-b:error'], JSON.stringify(g.findings))
    assert.equal(g.audit.unverifiable, 2)
    assert.ok(g.audit.skipped.every((s) => /timed out: no response within 1 s/.test(s.reason)), JSON.stringify(g.audit.skipped))
    // The guard's own fetches after the audit's: the host is given up, no new wave.
    assert.ok(g.skipped.some((s) => /^packuments: .*not asked again in this run/.test(s)), g.skipped.join('\n'))
    assert.ok(silent.accepted() <= 2, `${silent.accepted()} connections`)

    const started = Date.now()
    const v = await pn.verify('synthetic-a@1.0.0', { cwd: dir, fetchTimeout: 500 })
    assert.ok(Date.now() - started < 10000)
    assert.equal(v.status, 'unverifiable')
    assert.match(v.problems[0].message, /timed out: no response within 0\.5 s/)
  } finally {
    await silent.close()
  }
})

test('timeouts: one stuck packument on a registry that answers the rest (fetch-timeout, fetch-retries)', async () => {
  const front = await stuckFront(reg, '/tuf-js')
  try {
    const dir = project(front, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
    fs.appendFileSync(path.join(dir, '.npmrc'), 'fetch-timeout=1000\nfetch-retries=1\n')
    const started = Date.now()
    const result = byName(await pn.audit({ cwd: dir, cache: false }))
    assert.ok(Date.now() - started < 20000)
    assert.equal(result['sigstore@1.0.0'].status, 'verified', JSON.stringify(result['sigstore@1.0.0'].problems))
    const stuck = result['tuf-js@1.0.0']
    assert.equal(stuck.status, 'unverifiable')
    assert.equal(stuck.problems[0].code, 'ERR_PROV_NETWORK')
    assert.match(stuck.problems[0].message, /tuf-js: timed out: no response within 1 s/)
    assert.equal(front.held(), 2, 'fetch-retries=1: the stuck URL is tried twice (the host answers the rest)')

    // fetch-retries=0: once.
    fs.appendFileSync(path.join(dir, '.npmrc'), 'fetch-retries=0\n')
    const before = front.held()
    const again = byName(await pn.audit({ cwd: dir, cache: false }))
    assert.equal(again['tuf-js@1.0.0'].status, 'unverifiable')
    assert.equal(again['sigstore@1.0.0'].status, 'verified')
    assert.equal(front.held() - before, 1)
  } finally {
    await front.close()
  }
})

test('timeouts: a tarball that stalls mid-body makes its package unverifiable with the reason', async () => {
  const front = await stuckFront(reg, '/tuf-js/-/', { partial: true })
  try {
    const dir = tmpdir()
    const started = Date.now()
    const v = await pn.verify('tuf-js@1.0.0', { cwd: dir, registry: front.url, fetchTimeout: 1000 })
    assert.ok(Date.now() - started < 20000)
    assert.equal(v.status, 'unverifiable')
    assert.equal(v.checks.integrity, 'skipped')
    const p = v.problems.find((x) => x.code === 'ERR_PROV_NETWORK')
    assert.ok(p, JSON.stringify(v.problems))
    assert.match(p.message, /tuf-js-1\.0\.0\.tgz: timed out: the response stalled \(no byte for 1 s\)/)
    assert.equal(front.held(), 3, 'the host answered (headers): the stalled URL is retried, fetch-retries (default 2) times')
  } finally {
    await front.close()
  }
})

test('timeouts: fetchTimeout and --fetch-timeout are checked', async () => {
  for (const bad of [0, -1, Infinity, NaN, 'x', 1e12]) {
    await rejectsWith(pn.audit({ cwd: tmpdir(), fetchTimeout: bad }), 'ERR_PROV_INVALID_ARG')
  }
  await rejectsWith(pn.verify('a@1.0.0', { fetchTimeout: '1000' }), 'ERR_PROV_INVALID_ARG')
  for (const bad of ['0', 'abc', '1.5', '-3']) {
    const r = await cli(['audit', `--fetch-timeout=${bad}`], tmpdir())
    assert.equal(r.code, 2)
    assert.match(r.stderr, /ERR_PROV_INVALID_ARG: --fetch-timeout/)
  }
})
