'use strict'

// The prov-native command line, run as a child process.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { test, before, after } = require('node:test')

const { startRegistry } = require('./registry')
const fs = require('node:fs')
const { fixture, tmpdir, project } = require('./helpers')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const cwd = tmpdir()

function run (args, dir = cwd) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr })
    })
  })
}

let reg, mirror
before(async () => {
  reg = await startRegistry()
  mirror = await startRegistry({ mirror: true })
})
after(async () => {
  await reg.close()
  await mirror.close()
})

test('verify: exit 0 when every spec verified; --json has the API field names', async () => {
  const r = await run(['verify', 'sigstore@1.0.0', 'tuf-js@1.0.0', '--registry', reg.url, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const reports = JSON.parse(r.stdout)
  assert.equal(reports.length, 2)
  for (const rep of reports) {
    assert.equal(rep.status, 'verified')
    assert.deepEqual(rep.problems, [])
    for (const k of ['spec', 'name', 'version', 'status', 'provenance', 'problems', 'skipped', 'checks', 'registrySignature']) assert.ok(k in rep, k)
    assert.ok(rep.provenance.sourceRepository)
  }
})

test('verify: human output names the source and the verdict', async () => {
  const r = await run(['verify', 'sigstore@1.0.0', '--registry', reg.url])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /verified\s+sigstore@1\.0\.0/)
  assert.match(r.stdout, /source\s+https:\/\/github\.com\/sigstore\/sigstore-js@[0-9a-f]{12}/)
  assert.match(r.stdout, /1 of 1 verified/)
})

test('verify: exit 1 when any spec is not verified, with the reason', async () => {
  const r = await run(['verify', 'sigstore@1.0.0', '--registry', mirror.url])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /unverifiable/)
  assert.match(r.stdout, /ERR_PROV_ATTESTATIONS_UNAVAILABLE/)
})

test('verify: attestations from another registry or a file', async () => {
  const a = await run(['verify', 'sigstore@1.0.0', '--registry', mirror.url, '--attestations-registry', reg.url, '--json'])
  assert.equal(a.code, 0, a.stdout)
  const f = await run(['verify', 'sigstore@1.0.0', '--registry', reg.url, '--attestations', fixture('attestations/sigstore-1.0.0.json'),
    '--tarball', fixture('tarballs/sigstore-1.0.0.tgz'), '--json'])
  assert.equal(f.code, 0, f.stdout)
  assert.equal(JSON.parse(f.stdout)[0].attestationsSource, fixture('attestations/sigstore-1.0.0.json'))
})

test('usage and configuration errors exit 2', async () => {
  for (const args of [
    [],
    ['verify'],
    ['frobnicate'],
    ['verify', 'sigstore@1.0.0', '--no-such-flag'],
    ['verify', 'a@1', 'b@1', '--tarball', 'x.tgz'],
    ['verify', 'sigstore@1.0.0', '--registry', reg.url, '--trusted-root', path.join(cwd, 'missing.json')],
    ['verify', 'sigstore@1.0.0', '--registry', 'not a url']
  ]) {
    const r = await run(args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    if (args.length) assert.match(r.stderr, /ERR_PROV_/)
  }
  const h = await run(['--help'])
  assert.equal(h.code, 0)
  assert.match(h.stdout, /Usage:/)
})

test('verify: a malformed --attestations file exits 2; the other specs are still reported', async () => {
  const bad = path.join(tmpdir(), 'bad.json')
  fs.writeFileSync(bad, '{"attestations": [')
  const r = await run(['verify', 'sigstore@1.0.0', '--registry', reg.url, '--attestations', bad])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /ERR_PROV_JSON/)
  const two = await run(['verify', 'tuf-js@1.0.0', 'not a spec!!', '--registry', reg.url])
  assert.equal(two.code, 2, two.stderr)
  assert.match(two.stdout, /verified\s+tuf-js@1\.0\.0/)
  assert.match(two.stderr, /ERR_PROV_SPEC/)
})

// --- audit --------------------------------------------------------------------------------

test('audit: exit 0 when every package verified, table with a summary line, nothing on stderr without a TTY', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'], (p) => { delete p['node_modules/from-git'] })
  const r = await run(['audit', '--no-cache'], dir)
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /VERIFIED \(2\)/)
  assert.match(r.stdout, /2 packages: 2 verified, 0 unsigned, 0 invalid, 0 unverifiable/)
  assert.equal(r.stderr, '', 'no progress bar when stderr is not a TTY')
})

test('audit: exit 1 on findings; --json and --sarif are valid documents', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'sigstore@2.3.1'])
  const t = await run(['audit', '--no-cache'], dir)
  assert.equal(t.code, 1)
  assert.match(t.stdout, /UNVERIFIABLE \(1\)/)
  assert.match(t.stdout, /NOT FROM A REGISTRY \(1\)/)
  const j = await run(['audit', '--no-cache', '--json'], dir)
  assert.equal(j.code, 1)
  const result = JSON.parse(j.stdout)
  for (const k of ['lockfile', 'format', 'summary', 'packages']) assert.ok(k in result, k)
  assert.equal(result.summary.total, 3)
  assert.equal(result.summary.verified, 1)
  const s = await run(['audit', '--no-cache', '--format', 'sarif'], dir)
  assert.equal(s.code, 1)
  const sarif = JSON.parse(s.stdout)
  assert.equal(sarif.version, '2.1.0')
  assert.ok(sarif.runs[0].results.length >= 2)
  // --strict: unsigned counts too; here nothing is unsigned, so the code is the same.
  assert.equal((await run(['audit', '--no-cache', '--strict'], dir)).code, 1)
})

test('audit: --cache-dir, then --offline answers from the cache', async () => {
  const dir = project(reg, ['sigstore@1.0.0'], (p) => { delete p['node_modules/from-git'] })
  const cache = path.join(dir, 'c')
  assert.equal((await run(['audit', '--cache-dir', cache], dir)).code, 0)
  assert.ok(fs.existsSync(path.join(cache, 'v1')))
  const off = await run(['audit', '--cache-dir', cache, '--offline', '--json'], dir)
  assert.equal(off.code, 0, off.stdout)
  assert.equal(JSON.parse(off.stdout).summary.cached, 1)
  const cold = await run(['audit', '--no-cache', '--offline'], dir)
  assert.equal(cold.code, 1)
})

test('audit: usage and configuration errors exit 2', async () => {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {')
  for (const args of [
    ['audit', '--concurrency', '0'],
    ['audit', '--format', 'xml'],
    ['audit', 'a', 'b'],
    ['audit', '--no-cache'], // malformed lockfile
    ['audit', path.join(dir, 'missing')]
  ]) {
    const r = await run(args, dir)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout} ${r.stderr}`)
    assert.match(r.stderr, /ERR_PROV_/)
  }
})

// --- the CLI as a user meets it ---------------------------------------------------------------

test('--version and -v print the package version', async () => {
  const version = require('../package.json').version
  for (const flag of ['--version', '-v']) {
    const r = await run([flag])
    assert.equal(r.code, 0)
    assert.equal(r.stdout.trim(), version)
  }
})

test('--help per command, with examples; help <command> is the same', async () => {
  for (const cmd of ['verify', 'audit', 'guard', 'npm']) {
    const r = await run([cmd, '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`Usage:[\\s\\S]*prov-native ${cmd}`))
    assert.match(r.stdout, /Examples:\n {2}prov-native /)
    assert.equal((await run(['help', cmd])).stdout, r.stdout)
  }
  const all = await run(['--help'])
  for (const cmd of ['verify', 'audit', 'guard', 'npm|pnpm|yarn|bun']) assert.ok(all.stdout.includes(`  ${cmd}`), cmd)
})

test('an unknown flag or command suggests the closest one', async () => {
  for (const [args, hint] of [
    [['audit', '--jsn'], '--json'],
    [['guard', '--sacn-all'], '--scan-all'],
    [['guard', '--previous-lock', 'x'], '--previous-lockfile'],
    [['verify', 'a@1', '--attestation-registry', 'x'], '--attestations-registry'],
    [['survey', '--sgv', 'x.svg'], '--svg'],
    [['watch', '--once', '--intervl', '1s'], '--interval'],
    [['sbom', '--reproducable'], '--reproducible'],
    [['sri', 'x.html', '--scrict'], '--strict'],
    [['gaurd'], 'guard'],
    [['--verison'], '--version']
  ]) {
    const r = await run(args)
    assert.equal(r.code, 2, args.join(' '))
    assert.match(r.stderr, /ERR_PROV_INVALID_ARG/)
    assert.ok(r.stderr.includes(`did you mean ${hint}?`), `${args.join(' ')}: ${r.stderr}`)
  }
  // Nothing close: no guess.
  const far = await run(['audit', '--zzzzzzzz'])
  assert.equal(far.code, 2)
  assert.doesNotMatch(far.stderr, /did you mean/)
})

test('mutually exclusive output flags are a usage error', async () => {
  for (const args of [['audit', '--json', '--sarif'], ['audit', '--json', '--format', 'table'], ['guard', '--sarif', '--json'], ['guard', '--format', 'sarif', '--sarif'], ['sri', 'x.html', '--json', '--sarif']]) {
    const r = await run(args)
    assert.equal(r.code, 2, args.join(' '))
    assert.match(r.stderr, /ERR_PROV_INVALID_ARG: .*choose different outputs/)
  }
})

test('a command module plugs in with one table line: help, flag suggestions and errors work for it', async () => {
  const { main, COMMANDS } = require('../bin/prov-native')
  const { parseArgs } = require('node:util')
  const options = { alpha: { type: 'boolean' }, 'beta-gamma': { type: 'string' } }
  COMMANDS.example = () => ({
    usage: 'Usage: prov-native example [--alpha]\n\nExamples:\n  prov-native example --alpha',
    options,
    run: async (argv, io) => {
      // The module parses its own flags with node's parseArgs, unwrapped.
      const { values } = parseArgs({ args: argv, options, strict: true })
      io.out(values.alpha ? 'alpha' : 'plain')
      return 0
    }
  })
  try {
    const io = () => { const o = { out: [], err: [] }; return [o, { out: (s) => o.out.push(s), err: (s) => o.err.push(s) }] }
    let [o, i] = io()
    assert.equal(await main(['example', '--alpha'], i), 0)
    assert.deepEqual(o.out, ['alpha']);
    [o, i] = io()
    assert.equal(await main(['example', '--help'], i), 0)
    assert.match(o.out[0], /Examples:/);
    [o, i] = io()
    assert.equal(await main(['example', '--alpah'], i), 2)
    assert.match(o.err[0], /ERR_PROV_INVALID_ARG: unknown option --alpah; did you mean --alpha\?/);
    [o, i] = io()
    assert.equal(await main(['--help'], i), 0)
    assert.match(o.out[0], /\n {2}example +Usage: prov-native example/)
  } finally {
    delete COMMANDS.example
  }
})

test('guard --sarif: each finding located at its lockfile line and, for a direct dependency, its package.json line', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'])
  // package.json one dependency per line, as people write it.
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  // SYNTHETIC advisory list naming a real fixture version.
  fs.writeFileSync(path.join(dir, 'list.csv'), 'package_name,package_version\ntuf-js,1.0.0\n')
  fs.writeFileSync(path.join(dir, 'prov-native.config.json'), JSON.stringify({ rules: { advisories: { level: 'error', sources: ['list.csv'] } } }))
  const r = await run(['guard', '--sarif', '--no-cache'], dir)
  assert.equal(r.code, 1, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.equal(doc.version, '2.1.0')
  const res = doc.runs[0].results.find((x) => x.ruleId === 'advisories')
  assert.ok(res, r.stdout)
  assert.equal(res.level, 'error')
  const lockLines = fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8').split('\n')
  const pkgLines = fs.readFileSync(path.join(dir, 'package.json'), 'utf8').split('\n')
  const [lock, manifest] = res.locations.map((l) => l.physicalLocation)
  assert.equal(lock.artifactLocation.uri, 'package-lock.json')
  assert.match(lockLines[lock.region.startLine - 1], /"node_modules\/tuf-js"/)
  assert.equal(manifest.artifactLocation.uri, 'package.json')
  assert.match(pkgLines[manifest.region.startLine - 1], /"tuf-js":/)
  assert.ok(doc.runs[0].tool.driver.rules.some((x) => x.id === 'advisories'))
})

test('a mirror: identical unverifiable reasons are one line with a count and names, one hint with the CLI flag', async () => {
  const dir = project(mirror, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
  const r = await run(['audit', '--no-cache'], dir)
  assert.equal(r.code, 1)
  assert.match(r.stdout, /UNVERIFIABLE \(3\)\n {2}3 packages: ERR_PROV_REGISTRY_SIGNATURE_MISSING: .*\n {6}sigstore@1\.0\.0, sigstore@2\.3\.1, tuf-js@1\.0\.0\n/)
  assert.equal(r.stdout.match(/--attestations-registry URL/g).length >= 1, true)
  assert.equal((r.stdout.match(/^hint:/mg) || []).length, 1)
  assert.doesNotMatch(r.stdout, /attestationsRegistry/, 'the API option\'s spelling is not what a CLI user types')
  // summary.skipped: the run-wide reason once, with its count; the package not from a registry stays.
  const j = JSON.parse((await run(['audit', '--no-cache', '--json'], dir)).stdout)
  assert.deepEqual(j.summary.skipped.map((s) => s.name), ['from-git'])
  assert.equal(j.summary.skippedReasons.length, 1)
  assert.equal(j.summary.skippedReasons[0].count, 3)
  assert.match(j.summary.skippedReasons[0].reason, /^ERR_PROV_REGISTRY_SIGNATURE_MISSING/)
  assert.equal(j.packages.filter((p) => p.status === 'unverifiable').length, 3, 'each package still has its report')
})

test('the loader\'s error names the platform package, the file and the fix (exit 2, ERR_PROV_LOAD)', async () => {
  // A copy of the package without its native addon.
  const copy = tmpdir()
  for (const f of ['bin', 'schema', 'index.js', 'package.json']) fs.cpSync(path.join(__dirname, '..', f), path.join(copy, f), { recursive: true })
  const r = await new Promise((resolve) => {
    execFile(process.execPath, [path.join(copy, 'bin', 'prov-native.js'), 'verify', 'sigstore@1.0.0'], { cwd }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }))
  })
  assert.equal(r.code, 2)
  const { triple } = require('../bin/cli')
  assert.match(r.stderr, /ERR_PROV_LOAD/)
  assert.ok(r.stderr.includes(`prov-native-${triple()}`), r.stderr)
  assert.ok(r.stderr.includes(`prov-native.${triple()}.node`), r.stderr)
  assert.match(r.stderr, /Fix: install the platform package \(npm install prov-native-[\w-]+@\d/)
  // --version and --help need no addon.
  const v = await new Promise((resolve) => execFile(process.execPath, [path.join(copy, 'bin', 'prov-native.js'), '--version'], (err, stdout) => resolve({ code: err ? err.code : 0, stdout })))
  assert.equal(v.code, 0)
})

test('guard on a mirror: one grouped verification warning, CLI flag spellings throughout', async () => {
  const dir = project(mirror, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
  const r = await run(['guard', '--no-cache'], dir)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /WARN {2}verification +3 packages: could not be verified\n {6}sigstore@1\.0\.0, sigstore@2\.3\.1, tuf-js@1\.0\.0\n/)
  assert.equal((r.stdout.match(/could not be verified/g) || []).length, 1)
  assert.doesNotMatch(r.stdout, /attestationsRegistry/)
  assert.match(r.stdout, /--attestations-registry URL/)
})
