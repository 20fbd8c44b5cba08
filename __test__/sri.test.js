'use strict'

// checkSri() and `prov-native sri` over the real pages of testdata/data/sri (expected.tsv gives
// every reference's verdict), against a loopback registry serving the npm tarballs in
// testdata/data/sri/tarballs (real `npm pack` files; foundation-sites is a SYNTHETIC repack of
// its real files, see the README there). The registry serves no signatures or attestations
// (as the mirror here): packages are `unverifiable`, their tarball integrity is checked.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const pn = require('..')
const { tmpdir, rejectsWith } = require('./helpers')
const { main } = require('../bin/prov-native')

const SRI = path.resolve(__dirname, '../testdata/data/sri')
const { startCdnRegistry } = require('./cdn-registry')

function expectedRows () {
  const [head, ...lines] = fs.readFileSync(path.join(SRI, 'expected.tsv'), 'utf8').trimEnd().split('\n')
  const cols = head.split('\t')
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])))
}

let reg
let cwd
before(async () => {
  reg = await startCdnRegistry()
  cwd = tmpdir()
  fs.writeFileSync(path.join(cwd, '.npmrc'), `registry=${reg.url}\ncache=${path.join(cwd, 'npm-cache')}\n`)
})
after(async () => { await reg.close() })

const opts = (extra) => ({ cwd, cache: false, registry: reg.url, ...extra })

test('every row of expected.tsv reaches its verdict, with the npm file\'s hashes', async () => {
  const result = await pn.checkSri(opts({ paths: [path.join(SRI, 'pages')] }))
  const rows = expectedRows()
  const key = (page, line, url) => `${page}:${line}:${url}`
  const got = new Map(result.rows.map((r) => [key(path.relative(SRI, path.resolve(cwd, r.file)), r.line, r.url), r]))
  let reached = 0
  const misses = []
  for (const e of rows) {
    const r = got.get(key(e.page, Number(e.line), e.url))
    if (!r) { misses.push(`${e.page}:${e.line} ${e.url}: no row`); continue }
    assert.equal(r.element, e.element, `${e.page}:${e.line}`)
    const want = e.verdict.split(';').sort()
    const have = [...r.verdicts].sort()
    if (JSON.stringify(want) === JSON.stringify(have)) reached++
    else misses.push(`${e.page}:${e.line} ${e.url}: want ${want}, got ${have} (${r.message})`)
    if (e.local_sha512) {
      assert.deepEqual(r.hashes, { sha256: e.local_sha256, sha384: e.local_sha384, sha512: e.local_sha512 }, `${e.page}:${e.line}`)
      assert.equal(r.npmFile, e.local_file.slice(e.local_file.indexOf('/', e.local_file.indexOf('@', 1))).slice(1))
    }
    if (want.includes('mismatch')) assert.equal(r.expected, e.local_sha256)
  }
  assert.deepEqual(misses, [])
  assert.equal(reached, rows.length)
  // Nothing beyond the expected rows (relative URLs are counted as local, not rows).
  assert.equal(result.rows.length, rows.length)
  assert.ok(result.local > 0)
  for (const p of result.packages) {
    assert.equal(p.status, 'unverifiable', `${p.name}@${p.version}: the loopback registry signs nothing`)
  }
})

test('--fix --write turns the page with the wrong hashes into the fixed page, byte for byte', async () => {
  const dir = tmpdir()
  const page = path.join(dir, 'installation.md')
  fs.copyFileSync(path.join(SRI, 'pages/foundation-sites/before-fix/installation.md'), page)
  const dry = await pn.checkSri(opts({ paths: [page], fix: true }))
  assert.equal(dry.fix.pages.length, 1)
  assert.equal(dry.fix.pages[0].edits, 4)
  assert.equal(dry.fix.pages[0].written, false)
  assert.match(dry.fix.pages[0].diff, /@@ -242 \+242 @@\n-.*Q2fXBb.*\n\+.*ogmFxjqi/)
  assert.deepEqual(fs.readFileSync(page), fs.readFileSync(path.join(SRI, 'pages/foundation-sites/before-fix/installation.md')), 'a dry run writes nothing')
  const wet = await pn.checkSri(opts({ paths: [page], fix: true, write: true }))
  assert.equal(wet.fix.pages[0].written, true)
  assert.deepEqual(fs.readFileSync(page), fs.readFileSync(path.join(SRI, 'pages/foundation-sites/after-fix/installation.md')))
  assert.deepEqual(fs.readdirSync(dir), ['installation.md'], 'no temporary file left')
  const again = await pn.checkSri(opts({ paths: [page] }))
  assert.ok(again.rows.every((r) => r.verdicts.join() === 'match'))
})

test('--fix adds integrity and crossorigin where missing; CDNs that may rewrite are not fixed', async () => {
  const dir = tmpdir()
  const page = path.join(dir, 'index.html')
  fs.copyFileSync(path.join(SRI, 'pages/startbootstrap-sb-admin/index.html'), page)
  const r = await pn.checkSri(opts({ paths: [page], fix: true, write: true }))
  const text = fs.readFileSync(page, 'utf8')
  assert.match(text, /bootstrap@5\.2\.3\/dist\/js\/bootstrap\.bundle\.min\.js" crossorigin="anonymous" integrity="sha384-kenU1KFdBIe4zVF0s0G1M5b4hcpxyD9F7jL\+jjXkk\+Q2h455rYXK\/7HAuoJl\+0I4"><\/script>/)
  assert.ok(r.fix.notFixed.some((n) => /cdnjs/.test(n.url) && /verbatim/.test(n.reason)))
  assert.ok(!/Chart\.min\.js"[^>]*integrity/.test(text), 'cdnjs left alone')
  const after = await pn.checkSri(opts({ paths: [page] }))
  const boot = after.rows.find((x) => /bootstrap\.bundle/.test(x.url))
  assert.deepEqual(boot.verdicts, ['match'])
})

test('a tarball that does not match the registry\'s integrity is never hashed', async () => {
  const bad = await startCdnRegistry({ tamper: { 'bootstrap@5.3.8': fs.readFileSync(path.join(SRI, 'tarballs/bootstrap-5.2.3.tgz')) } })
  try {
    const r = await pn.checkSri(opts({ registry: bad.url, paths: [path.join(SRI, 'pages/twbs-examples/starter-5.3.8/index.html')] }))
    assert.equal(r.rows.length, 2)
    for (const row of r.rows) {
      assert.deepEqual(row.verdicts, ['package-not-verified'])
      assert.equal(row.hashes, undefined)
    }
    assert.equal(r.packages[0].status, 'invalid')
  } finally {
    await bad.close()
  }
})

test('a registry that cannot be reached leaves rows unchecked, with the reason', async () => {
  const r = await pn.checkSri(opts({ registry: 'http://127.0.0.1:9/', fetchTimeout: 2000, paths: [path.join(SRI, 'pages/twbs-examples/starter-5.2.3/index.html')] }))
  for (const row of r.rows) {
    assert.deepEqual(row.verdicts, ['unchecked'])
    assert.ok(row.message.length > 20)
  }
})

test('verdicts on synthetic references: unpinned, cdn-transformed, missing-crossorigin, sha512 wins', async () => {
  // SYNTHETIC page made here.
  const html = [
    '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5/dist/css/bootstrap.min.css">',
    '<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.8/+esm" integrity="sha384-x" crossorigin="anonymous"></script>',
    '<script src="https://unpkg.com/bootstrap@5.3.8/dist/js/bootstrap.bundle.min.js" integrity="sha384-FKyoEForCGlyvwx9Hj09JcYn3nv7wiPVlz7YYwJrWVcXK/BmnVDxM+D2scQbITxI"></script>',
    '<script src="https://unpkg.com/bootstrap@5.3.8/dist/js/bootstrap.bundle.min.js" integrity="sha384-FKyoEForCGlyvwx9Hj09JcYn3nv7wiPVlz7YYwJrWVcXK/BmnVDxM+D2scQbITxI sha512-AAAA" crossorigin></script>',
    '<script src="https://unpkg.com/bootstrap@latest/dist/js/bootstrap.js" crossorigin></script>'
  ].join('\n')
  const r = await pn.checkSri(opts({ html, name: 'synthetic.html' }))
  assert.deepEqual(r.rows.map((x) => x.verdicts), [
    ['unpinned', 'missing-integrity'],
    ['cdn-transformed'],
    ['match', 'missing-crossorigin'],
    ['mismatch'],
    ['unpinned', 'missing-integrity']
  ])
  assert.equal(r.rows[3].expected.slice(0, 7), 'sha512-')
  assert.equal(r.rows[0].file, 'synthetic.html')
})

test('bad arguments reject with codes', async () => {
  await rejectsWith(pn.checkSri({}), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.checkSri(), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.checkSri({ paths: 42 }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.checkSri({ html: '<p>', write: true }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.checkSri(opts({ paths: ['/nonexistent/page.html'] })), 'ERR_PROV_IO')
  const bin = path.join(tmpdir(), 'x.html')
  fs.writeFileSync(bin, Buffer.from([0x3c, 0xff, 0xfe, 0x3e]))
  await rejectsWith(pn.checkSri(opts({ paths: [bin] })), 'ERR_PROV_INVALID_ARG')
})

test('CLI: table, --json, --sarif at file and line, exit codes, stdin', async () => {
  const run = async (args, stdin) => {
    const out = []
    const err = []
    const code = await main(['sri', '--registry', reg.url, '--no-cache', ...args], { out: (s) => out.push(s), err: (s) => err.push(s), stdin: stdin && (async () => stdin) })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  const before = path.join(SRI, 'pages/foundation-sites/before-fix/installation.md')
  const t = await run([before])
  assert.equal(t.code, 1, t.err)
  assert.match(t.out, /FAIL .*installation\.md:242 link/)
  const s = await run([before, '--sarif'])
  const doc = JSON.parse(s.out)
  const mism = doc.runs[0].results.filter((x) => x.ruleId === 'sri/mismatch')
  assert.equal(mism.length, 4)
  assert.deepEqual(mism.map((x) => x.locations[0].physicalLocation.region.startLine), [242, 245, 255, 258])
  assert.match(mism[0].locations[0].physicalLocation.artifactLocation.uri, /before-fix\/installation\.md$/)
  const ok = await run([path.join(SRI, 'pages/foundation-sites/after-fix/installation.md'), '--json'])
  assert.equal(ok.code, 0)
  assert.equal(JSON.parse(ok.out).summary.match, 5)
  const missing = path.join(SRI, 'pages/twbs-examples/color-modes/index.html')
  assert.equal((await run([missing])).code, 0)
  assert.equal((await run([missing, '--strict'])).code, 1)
  const page = fs.readFileSync(path.join(SRI, 'pages/twbs-examples/starter-5.3.8/index.html'), 'utf8')
  const piped = await run(['-', '--json'], page)
  assert.equal(piped.code, 0)
  assert.deepEqual(JSON.parse(piped.out).rows.map((r) => [r.file, r.line, r.verdicts.join()]), [['<stdin>', 7, 'match'], ['<stdin>', 61, 'match']])
  assert.equal((await run([path.join(SRI, 'pages/twbs-examples/starter-5.2.3/index.html'), '--registry', 'http://127.0.0.1:9/', '--fetch-timeout', '2000'])).code, 1, 'unchecked is not a pass')
  assert.equal((await run([])).code, 2)
  assert.equal((await run([missing, '--write'])).code, 2)
})
