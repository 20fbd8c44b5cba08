'use strict'

// Every input is bounded: each file a user can name (policy, lockfile, previous lockfile,
// attestations, tarball, trust material, advisory sources, .npmrc and its cafile, workspace
// package.json files) is refused with a coded error, quickly and in bounded memory, when it is
// /dev/zero, a FIFO without a writer, a directory or a 300 MB (sparse) file — never read until
// the kernel kills the process, never waited on. Then: a SYNTHETIC 300,000-entry lockfile
// audited offline within a memory bound.
//
// The projects here are SYNTHETIC (one made-up package under registry.npm.example, audited
// offline); nothing is fetched.

const assert = require('node:assert/strict')
const { execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const pn = require('..')
const { tmpdir } = require('./helpers')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const LIMIT_MS = 10_000
const LIMIT_RSS_KIB = 1024 * 1024
const BIG = 300 * 1000 * 1000

// These tests make FIFOs and read /dev/zero: POSIX only.
const posix = process.platform !== 'win32'

// Run the CLI; with /usr/bin/time present, its peak RSS (KiB) too.
function runCli (args, { cwd, env } = {}) {
  const rssFile = TIME ? path.join(tmpdir(), 'rss') : null
  const [cmd, argv] = TIME
    ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]]
  const t0 = Date.now()
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const ms = Date.now() - t0
      let rss = null
      if (rssFile) {
        try {
          // `time` writes "Command exited with non-zero status N" before the figure.
          const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n')
          rss = Number(lines[lines.length - 1])
        } catch {}
      }
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, stdout, stderr, ms, rss })
    })
  })
}

// Run `jobs` (functions returning promises) a few at a time.
async function pool (jobs, n = 3) {
  const out = new Array(jobs.length)
  let i = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < jobs.length) {
      const k = i++
      out[k] = await jobs[k]()
    }
  }))
  return out
}

// Something unreadable at `file`: `zero` (a symlink to /dev/zero), `fifo` (no writer ever
// opens it), `dir`, or `big` (a 300 MB sparse file: cheap to make, costly to read).
function makeBad (file, kind) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.rmSync(file, { recursive: true, force: true })
  if (kind === 'zero') fs.symlinkSync('/dev/zero', file)
  else if (kind === 'fifo') execFileSync('mkfifo', [file])
  else if (kind === 'dir') fs.mkdirSync(file)
  else if (kind === 'big') {
    fs.writeFileSync(file, '')
    fs.truncateSync(file, BIG)
  } else throw new Error(kind)
  return file
}
const KINDS = ['zero', 'fifo', 'dir', 'big']

// A SYNTHETIC project: one registry package, npm's cache and the registry inside it.
function synthProject (extra = {}) {
  const dir = tmpdir()
  const lock = {
    name: 'synthetic-inputs',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'synthetic-inputs', version: '1.0.0', dependencies: { 'syn-a': '1.0.0' } },
      'node_modules/syn-a': {
        version: '1.0.0',
        resolved: 'https://registry.npm.example/syn-a/-/syn-a-1.0.0.tgz',
        integrity: 'sha512-' + Buffer.alloc(64, 7).toString('base64')
      }
    }
  }
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synthetic-inputs', version: '1.0.0', ...extra.pkg }))
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=https://registry.npm.example/\ncache=${path.join(dir, 'npm-cache')}\n${extra.npmrc || ''}`)
  return dir
}

const OFFLINE = ['--offline', '--no-cache']

function refused (r, codes, what) {
  const where = `${what}: exit ${r.code} signal ${r.signal} after ${r.ms} ms, rss ${r.rss} KiB\n${r.stderr}`
  assert.equal(r.signal, null, `killed: ${where}`)
  assert.equal(r.code, 2, where)
  const m = /prov-native: (ERR_PROV_[A-Z_]+)/.exec(r.stderr)
  assert.ok(m, `no code: ${where}`)
  assert.ok(codes.includes(m[1]), `${m[1]} is not one of ${codes}: ${where}`)
  bounded(r, where)
}

function bounded (r, where) {
  assert.ok(r.ms < LIMIT_MS, `took ${r.ms} ms: ${where}`)
  if (r.rss !== null && Number.isFinite(r.rss)) assert.ok(r.rss < LIMIT_RSS_KIB, `peak RSS ${r.rss} KiB: ${where}`)
}

const IO = ['ERR_PROV_IO']
const LARGE = ['ERR_PROV_TOO_LARGE']
const codeFor = (kind, large = LARGE) => (kind === 'big' ? large : IO)

test('guard --config, prov-native.config.json and package.json: each unreadable kind is a coded error', { skip: !posix }, async () => {
  const jobs = []
  for (const kind of KINDS) {
    jobs.push(async () => {
      const dir = synthProject()
      const bad = makeBad(path.join(dir, 'policy.json'), kind)
      refused(await runCli(['guard', dir, '--config', bad, ...OFFLINE], { cwd: dir }), codeFor(kind), `--config ${kind}`)
    })
    jobs.push(async () => {
      const dir = synthProject()
      makeBad(path.join(dir, 'prov-native.config.json'), kind)
      refused(await runCli(['guard', dir, ...OFFLINE], { cwd: dir }), codeFor(kind), `prov-native.config.json ${kind}`)
    })
    jobs.push(async () => {
      const dir = synthProject()
      makeBad(path.join(dir, 'package.json'), kind)
      refused(await runCli(['guard', dir, ...OFFLINE], { cwd: dir }), codeFor(kind), `package.json ${kind}`)
    })
  }
  jobs.push(async () => {
    const dir = synthProject()
    refused(await runCli(['guard', dir, '--config', '/dev/zero', ...OFFLINE], { cwd: dir }), IO, '--config /dev/zero')
  })
  await pool(jobs)
})

test('guard --previous-lockfile: a path of each unreadable kind is a coded error', { skip: !posix }, async () => {
  await pool(KINDS.map((kind) => async () => {
    const dir = synthProject()
    const bad = makeBad(path.join(dir, 'old', 'package-lock.json'), kind)
    refused(await runCli(['guard', dir, '--previous-lockfile', bad, ...OFFLINE], { cwd: dir }), codeFor(kind), `--previous-lockfile ${kind}`)
  }))
})

test('guard --previous-lockfile <rev>:<file>: git output over the lockfile limit is ERR_PROV_TOO_LARGE', { skip: !posix }, async () => {
  const dir = synthProject()
  const git = (...a) => execFileSync('git', ['-c', 'user.name=synthetic', '-c', 'user.email=synthetic@example.invalid', '-c', 'core.autocrlf=false', ...a], { cwd: dir, stdio: 'pipe' })
  git('init', '-q')
  // A 300 MB blob of zeros: small in git, 300 MB once shown.
  makeBad(path.join(dir, 'old-lock.json'), 'big')
  git('add', 'old-lock.json')
  git('commit', '-q', '-m', 'synthetic')
  fs.rmSync(path.join(dir, 'old-lock.json'))
  const r = await runCli(['guard', dir, '--previous-lockfile', 'HEAD:old-lock.json', ...OFFLINE], { cwd: dir })
  refused(r, LARGE, 'git HEAD:old-lock.json')
  assert.match(r.stderr, /HEAD:old-lock\.json/)
})

test('guard: workspace package.json files of each unreadable kind are a coded error', { skip: !posix }, async () => {
  await pool(KINDS.map((kind) => async () => {
    const dir = synthProject({ pkg: { workspaces: ['packages/*'] } })
    makeBad(path.join(dir, 'packages', 'a', 'package.json'), kind)
    refused(await runCli(['guard', dir, ...OFFLINE], { cwd: dir }), codeFor(kind), `workspace package.json ${kind}`)
  }))
})

test('guard: advisory sources (OSV file, list, zip) of each unreadable kind are a configuration error', { skip: !posix }, async () => {
  const jobs = []
  for (const [file, kinds] of [['osv/record.json', KINDS], ['incidents.csv', KINDS], ['osv-npm.zip', ['fifo', 'zero', 'big']]]) {
    for (const kind of kinds) {
      jobs.push(async () => {
        const dir = synthProject()
        makeBad(path.join(dir, file), kind)
        fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ rules: { advisories: { level: 'error', sources: [file] } } }))
        const r = await runCli(['guard', dir, ...OFFLINE], { cwd: dir })
        refused(r, ['ERR_PROV_CONFIG'], `advisories ${file} ${kind}`)
        assert.match(r.stderr, /advisory source/)
      })
    }
  }
  await pool(jobs)
})

test('guard: an OSV directory holding a FIFO, a device and a directory named *.json reads the rest', { skip: !posix }, async () => {
  const dir = synthProject()
  const osv = path.join(dir, 'osv')
  makeBad(path.join(osv, 'a-fifo.json'), 'fifo')
  makeBad(path.join(osv, 'b-zero.json'), 'zero')
  makeBad(path.join(osv, 'c-dir.json'), 'dir')
  makeBad(path.join(osv, 'd-big.json'), 'big')
  // SYNTHETIC malicious-package record naming the project's package.
  fs.writeFileSync(path.join(osv, 'e.json'), JSON.stringify({
    id: 'MAL-0000-SYNTHETIC',
    modified: '2025-01-01T00:00:00Z',
    summary: 'SYNTHETIC record for the input tests',
    affected: [{ package: { ecosystem: 'npm', name: 'syn-a' }, versions: ['1.0.0'] }]
  }))
  fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ rules: { advisories: { level: 'error', sources: ['osv'] } } }))
  const r = await runCli(['guard', dir, '--json', ...OFFLINE], { cwd: dir })
  bounded(r, r.stderr)
  assert.equal(r.code, 1, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.ok(out.findings.some((f) => f.rule === 'advisories' && f.name === 'syn-a'), r.stdout)
  const skipped = out.skipped.join('\n')
  for (const f of ['a-fifo.json', 'b-zero.json', 'd-big.json']) assert.match(skipped, new RegExp(f.replace('.', '\\.')), skipped)
})

test('audit: the lockfile of each unreadable kind is a coded error, found or named', { skip: !posix }, async () => {
  const jobs = []
  for (const kind of KINDS) {
    jobs.push(async () => {
      const dir = synthProject()
      makeBad(path.join(dir, 'package-lock.json'), kind)
      refused(await runCli(['audit', dir, ...OFFLINE], { cwd: dir }), codeFor(kind), `package-lock.json ${kind}`)
    })
    if (kind !== 'dir') {
      jobs.push(async () => {
        const dir = synthProject()
        const bad = makeBad(path.join(dir, 'other', 'npm-shrinkwrap.json'), kind)
        refused(await runCli(['audit', bad, ...OFFLINE], { cwd: dir }), codeFor(kind), `audit <${kind}>`)
      })
    }
  }
  jobs.push(async () => {
    const dir = synthProject()
    refused(await runCli(['audit', '/dev/zero', ...OFFLINE], { cwd: dir }), IO, 'audit /dev/zero')
  })
  await pool(jobs)
})

test('audit/verify: trust material (--trusted-root, --npm-keys, PROV_NATIVE_*) of each unreadable kind is a coded error', { skip: !posix }, async () => {
  const jobs = []
  for (const kind of KINDS) {
    for (const flag of ['--trusted-root', '--npm-keys']) {
      jobs.push(async () => {
        const dir = synthProject()
        const bad = makeBad(path.join(dir, 'trust.json'), kind)
        refused(await runCli(['audit', dir, flag, bad, ...OFFLINE], { cwd: dir }), codeFor(kind), `audit ${flag} ${kind}`)
      })
    }
    for (const env of ['PROV_NATIVE_TRUSTED_ROOT', 'PROV_NATIVE_NPM_KEYS']) {
      jobs.push(async () => {
        const dir = synthProject()
        const bad = makeBad(path.join(dir, 'trust.json'), kind)
        refused(await runCli(['audit', dir, ...OFFLINE], { cwd: dir, env: { [env]: bad } }), codeFor(kind), `${env} ${kind}`)
      })
    }
  }
  jobs.push(async () => {
    const dir = synthProject()
    refused(await runCli(['verify', 'syn-a@1.0.0', '--trusted-root', '/dev/zero', '--registry', 'http://127.0.0.1:9/'], { cwd: dir }), IO, 'verify --trusted-root /dev/zero')
  })
  await pool(jobs)
})

test('verify --attestations and --tarball of each unreadable kind are a coded error (a 300 MB tarball is within its budget)', { skip: !posix }, async () => {
  const jobs = []
  for (const kind of KINDS) {
    for (const flag of ['--attestations', '--tarball']) {
      jobs.push(async () => {
        const dir = synthProject()
        const bad = makeBad(path.join(dir, 'input.json'), kind)
        // Refused before any request (port 9: nothing listens).
        const r = await runCli(['verify', 'syn-a@1.0.0', flag, bad, '--registry', 'http://127.0.0.1:9/'], { cwd: dir })
        if (flag === '--tarball' && kind === 'big') {
          // Within the tarball budget (512 MiB): read, then the report says what failed.
          bounded(r, r.stderr)
          assert.equal(r.signal, null)
          assert.equal(r.code, 1, r.stderr)
        } else refused(r, codeFor(kind), `verify ${flag} ${kind}`)
      })
    }
  }
  await pool(jobs)
})

test('.npmrc and its cafile of each unreadable kind: coded errors (a directory .npmrc is skipped, as npm does)', { skip: !posix }, async () => {
  const jobs = []
  for (const kind of KINDS) {
    jobs.push(async () => {
      const dir = synthProject()
      const proj = path.join(dir, 'sub')
      fs.mkdirSync(proj)
      fs.copyFileSync(path.join(dir, 'package-lock.json'), path.join(proj, 'package-lock.json'))
      fs.copyFileSync(path.join(dir, 'package.json'), path.join(proj, 'package.json'))
      makeBad(path.join(proj, '.npmrc'), kind)
      const r = await runCli(['audit', proj, ...OFFLINE, '--registry', 'https://registry.npm.example/'], { cwd: dir })
      if (kind === 'dir') {
        bounded(r, r.stderr)
        assert.equal(r.signal, null)
        assert.equal(r.code, 1, r.stderr) // offline: the package is unverifiable
      } else refused(r, codeFor(kind, ['ERR_PROV_CONFIG']), `.npmrc ${kind}`)
    })
    jobs.push(async () => {
      const dir = synthProject({ npmrc: 'cafile=./ca.pem\n' })
      makeBad(path.join(dir, 'ca.pem'), kind)
      refused(await runCli(['audit', dir, ...OFFLINE], { cwd: dir }), codeFor(kind, ['ERR_PROV_CONFIG']), `cafile ${kind}`)
    })
  }
  await pool(jobs)
})

test('the JS API refuses unreadable inputs with coded errors, without blocking', { skip: !posix, timeout: 120_000 }, async () => {
  const dir = synthProject()
  const fifo = makeBad(path.join(dir, 'fifo'), 'fifo')
  const big = makeBad(path.join(dir, 'big'), 'big')
  const cases = [
    [() => pn.audit({ cwd: dir, lockfile: fifo, offline: true, cache: false }), 'ERR_PROV_IO'],
    [() => pn.audit({ cwd: dir, lockfile: big, offline: true, cache: false }), 'ERR_PROV_TOO_LARGE'],
    [() => pn.audit({ cwd: dir, trustedRoot: fifo, offline: true, cache: false }), 'ERR_PROV_IO'],
    [() => pn.audit({ cwd: dir, npmKeys: '/dev/zero', offline: true, cache: false }), 'ERR_PROV_IO'],
    [() => pn.guard({ cwd: dir, config: fifo, offline: true, cache: false }), 'ERR_PROV_IO'],
    [() => pn.guard({ cwd: dir, config: big, offline: true, cache: false }), 'ERR_PROV_TOO_LARGE'],
    [() => pn.guard({ cwd: dir, previousLockfile: fifo, offline: true, cache: false }), 'ERR_PROV_IO'],
    [() => pn.verify('syn-a@1.0.0', { cwd: dir, attestations: fifo, registry: 'http://127.0.0.1:9/' }), 'ERR_PROV_IO'],
    [() => pn.verifyAttestations(fifo, { name: 'syn-a', version: '1.0.0', integrity: 'sha512-' + Buffer.alloc(64).toString('base64') }), 'ERR_PROV_IO'],
    [() => pn.integrity(fifo), 'ERR_PROV_IO'],
    [() => pn.integrity('/dev/zero'), 'ERR_PROV_IO'],
    [() => pn.checkIntegrity(fifo, 'sha512-' + Buffer.alloc(64).toString('base64')), 'ERR_PROV_IO']
  ]
  // Each refusal is bounded on its own: a FIFO that blocked would never answer.
  for (const [call, code] of cases) {
    const t0 = Date.now()
    await assert.rejects(call(), (e) => {
      assert.equal(e.code, code, `${call}: ${e.code} ${e.message}`)
      return true
    })
    assert.ok(Date.now() - t0 < LIMIT_MS, `${call}: ${Date.now() - t0} ms`)
  }
  // Hashing streams: a 300 MB file is hashed, not refused (real work: bounded only by the
  // test's timeout, so a loaded machine does not fail it).
  const c = await pn.checkIntegrity(big, 'sha512-' + Buffer.alloc(64).toString('base64'))
  assert.equal(c.match, false)
})

test('a SYNTHETIC 300,000-entry lockfile is audited offline (CLI table) within 1 GB', { skip: !posix || !!process.env.PROV_SKIP_BIG }, async () => {
  const { writeBigLockfile } = require('../benchmark/synthetic/big-lockfile')
  const dir = tmpdir()
  writeBigLockfile(path.join(dir, 'package-lock.json'), 300_000)
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=https://registry.npm.example/\ncache=${path.join(dir, 'npm-cache')}\n`)
  const r = await runCli(['audit', '--offline'], { cwd: dir })
  fs.rmSync(dir, { recursive: true, force: true })
  const where = `exit ${r.code} signal ${r.signal} after ${r.ms} ms, rss ${r.rss} KiB\n${r.stderr.slice(0, 2000)}`
  assert.equal(r.signal, null, where)
  assert.equal(r.code, 1, where) // offline: every package unverifiable
  assert.match(r.stdout, /^UNVERIFIABLE \(300000\)$/m)
  assert.match(r.stdout, /300000 packages: 0 verified, 0 unsigned, 0 invalid, 300000 unverifiable/)
  if (r.rss !== null && Number.isFinite(r.rss)) assert.ok(r.rss < LIMIT_RSS_KIB, `peak RSS ${r.rss} KiB`)
  // Time is reported by `npm run bench:audit`, not asserted: this machine is shared.
  console.log(`# 300,000 entries, offline: ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.rss === null ? '?' : Math.round(r.rss / 1024)} MiB`)
})

test('writeJson prints what JSON.stringify(value, null, 2) does, in whole lines', () => {
  const { writeJson } = require('../bin/format')
  const values = [
    { a: 1, b: [], c: {}, d: [1, 2, { x: [3] }], e: null, f: 's\nq', g: undefined, h: 'é — ✓' },
    [], {}, [1], 'x', 3, null,
    { summary: { skipped: Array.from({ length: 600 }, (_, i) => ({ name: `n${i}`, v: [i] })) }, packages: Array.from({ length: 300 }, (_, i) => ({ a: i, b: { c: [i] } })) }
  ]
  for (const v of values) {
    const pieces = []
    writeJson(v, (s) => pieces.push(s + '\n'), 64)
    assert.equal(pieces.join(''), JSON.stringify(v, null, 2) + '\n')
  }
})

test('sarif locates packages through the line index (npm and pnpm shapes)', () => {
  const { lineIndex } = require('../bin/format')
  const dir = tmpdir()
  const f = path.join(dir, 'lock.txt')
  fs.writeFileSync(f, [
    '{',
    '  "packages": {',
    '    "node_modules/a": {',
    '      "version": "1.0.0"',
    '    },',
    '    "node_modules/b/node_modules/a": {',
    '      "version": "2.0.0"',
    '    }',
    '  }',
    '}',
    "  '@s/c@3.0.0':",
    '    resolution: {integrity: sha512-x}',
    '  /@s/d@4.0.0(@types/node@18.0.0):',
    '"e":'
  ].join('\n'))
  const line = lineIndex(f)
  assert.equal(line('a', '1.0.0'), 3)
  assert.equal(line('a', '2.0.0'), 6)
  assert.equal(line('@s/c', '3.0.0'), 11)
  assert.equal(line('@s/d', '4.0.0'), 13)
  assert.equal(line('d', '4.0.0'), 13)
  assert.equal(line('@types/node', '18.0.0'), 13)
  assert.equal(line('e', '9.9.9'), 14)
  assert.equal(line('zzz', '1.0.0'), 1)
})
