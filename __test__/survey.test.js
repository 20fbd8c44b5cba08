'use strict'

// survey() and `prov-native survey` against the loopback fixture registry. The lockfiles are
// SYNTHETIC (helpers.project: an npm v3 lockfile naming fixture packages); the packages, their
// signatures and attestations are the real fixtures. sigstore@9.0.0 is a SYNTHETIC version
// published at run time without provenance, after versions that had it.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const pn = require('..')
const { startRegistry } = require('./registry')
const { tmpdir, project, makeTgz, rejectsWith } = require('./helpers')
const survey = require('../bin/survey')

let reg
before(async () => {
  reg = await startRegistry()
  reg.publish('sigstore', '9.0.0', { manifest: { description: 'SYNTHETIC' }, tgz: makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version: '9.0.0' }) }) })
})
after(async () => { await reg.close() })

const byName = (r) => Object.fromEntries(r.packages.map((p) => [`${p.name}@${p.version}`, p]))
const TREE = ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1', 'abbrev@2.0.0', 'sigstore@9.0.0']

test('survey: classes, splits, regressions and builders from verified reports', async () => {
  const dir = project(reg, TREE, (pkgs) => {
    // abbrev as a dev dependency reached only through tuf-js: transitive and dev.
    pkgs['node_modules/abbrev'].dev = true
  })
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  delete pj.dependencies.abbrev
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pj))
  const r = await pn.survey({ cwd: dir, cache: false })
  const p = byName(r)
  assert.equal(p['sigstore@1.0.0'].class, 'provenance')
  assert.equal(p['tuf-js@1.0.0'].class, 'provenance')
  assert.equal(p['abbrev@2.0.0'].class, 'signature', p['abbrev@2.0.0'].reason)
  // Provenance verified, but no registry signature in the fixtures: not counted as provenance.
  assert.equal(p['sigstore@2.3.1'].class, 'unverifiable')
  assert.equal(p['sigstore@9.0.0'].class, 'none', p['sigstore@9.0.0'].reason)
  assert.equal(r.groups.all.total, 5)
  assert.equal(r.groups.all.provenance, 2)
  assert.equal(r.groups.dev.total, 1)
  assert.equal(r.groups.dev.signature, 1)
  assert.equal(r.groups.transitive.total, 1)
  assert.equal(r.groups.direct.total, 4)
  assert.equal(r.notFromRegistry, 1)
  assert.equal(r.mirror, null)
  // 9.0.0 has no provenance; 5.0.0, published before it, has verified provenance.
  assert.deepEqual(r.regressions.map((g) => `${g.name}@${g.version}<${g.lastWithProvenance}`), ['sigstore@9.0.0<5.0.0'])
  assert.match(r.regressions[0].sourceRepository, /sigstore-js/)
  assert.ok(r.builders.some((b) => b.host === 'github.com' && b.ci === 'GitHub Actions' && b.count === 2), JSON.stringify(r.builders))
  assert.ok(r.unverifiable.some((u) => u.code === 'ERR_PROV_REGISTRY_SIGNATURE_MISSING'), JSON.stringify(r.unverifiable))
  // Each class count adds up.
  for (const g of Object.values(r.groups)) {
    assert.equal(g.provenance + g.attestation + g.signature + g.none + g.unverifiable + g.invalid, g.total)
  }
})

test('survey behind a mirror: every package unverifiable and the result says why; attestations from a second registry', async () => {
  const mirror = await startRegistry({ mirror: true })
  try {
    const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'abbrev@2.0.0'])
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${mirror.url}\n`)
    const plain = await pn.survey({ cwd: dir, cache: false })
    assert.equal(plain.groups.all.unverifiable, 3)
    assert.equal(plain.groups.all.provenance, 0)
    assert.match(plain.mirror, /3 of 3 packages.*mirror/)
    assert.ok(plain.skipped.some((s) => /not compared with earlier versions/.test(s)), plain.skipped.join('\n'))
    const out = []
    await survey.run([dir, '--no-cache'], { out: (s) => out.push(s), err: () => {} })
    assert.match(out.join('\n'), /MIRROR: /)

    const fixed = await pn.survey({ cwd: dir, cache: false, attestationsRegistry: reg.url })
    const p = byName(fixed)
    assert.equal(p['sigstore@1.0.0'].class, 'provenance')
    assert.equal(p['tuf-js@1.0.0'].class, 'provenance')
    assert.equal(p['abbrev@2.0.0'].class, 'signature')
    assert.equal(fixed.mirror, null)
  } finally {
    await mirror.close()
  }
})

test('survey: a complete result is answered from the cache; an unverifiable one is not stored', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'abbrev@2.0.0'])
  const cacheDir = path.join(tmpdir(), 'cache')
  const a = await pn.survey({ cwd: dir, cacheDir })
  assert.equal(a.cached, false)
  const before = reg.requests.length
  const b = await pn.survey({ cwd: dir, cacheDir })
  assert.equal(b.cached, true)
  assert.equal(reg.requests.length, before, 'no request on a warm complete survey')
  assert.deepEqual({ ...b, cached: false }, a)

  const partial = project(reg, ['sigstore@1.0.0', 'sigstore@2.3.1'])
  const c = await pn.survey({ cwd: partial, cacheDir })
  const d = await pn.survey({ cwd: partial, cacheDir })
  assert.equal(c.groups.all.unverifiable, 1)
  assert.equal(d.cached, false)
})

test('survey --list: names at their latest versions', async () => {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\n`)
  fs.writeFileSync(path.join(dir, 'list.tsv'), 'name\tdownloads\n# comment\ntuf-js\t1\nabbrev@1.1.1\t2\nno-such-package-here\t3\n')
  const r = await pn.survey({ cwd: dir, list: 'list.tsv', cache: false })
  assert.equal(r.format, 'list')
  assert.deepEqual(r.packages.map((p) => `${p.name}@${p.version}:${p.class}`).sort(), ['abbrev@1.1.1:signature', 'tuf-js@1.0.0:provenance'])
  assert.ok(r.skipped.some((s) => /no-such-package-here: not resolved \(ERR_PROV_NOT_FOUND/.test(s)), r.skipped.join('\n'))
  fs.writeFileSync(path.join(dir, 'bad.txt'), 'not a valid name!\n')
  await rejectsWith(pn.survey({ cwd: dir, list: 'bad.txt', cache: false }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.survey({ cwd: dir, list: 'missing.txt', cache: false }), 'ERR_PROV_IO')
})

// A small XML reader: enough to check that the chart is well formed and to read its bars.
function parseXml (text) {
  const root = { name: '#root', attrs: {}, children: [], text: '' }
  const stack = [root]
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy
  let m
  let at = 0
  while (at < text.length) {
    re.lastIndex = at
    m = re.exec(text)
    assert.ok(m, `malformed XML at ${at}: ${text.slice(at, at + 40)}`)
    at = re.lastIndex
    if (m[5] !== undefined) {
      assert.ok(!/&(?!amp;|lt;|gt;|quot;)/.test(m[5]), `bad entity in ${m[5]}`)
      stack[stack.length - 1].text += m[5]
      continue
    }
    if (m[1]) {
      const open = stack.pop()
      assert.equal(open.name, m[2], `</${m[2]}> closes <${open.name}>`)
      continue
    }
    const attrs = {}
    for (const a of m[3].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = a[2]
    const el = { name: m[2], attrs, children: [], text: '' }
    stack[stack.length - 1].children.push(el)
    if (!m[4]) stack.push(el)
  }
  assert.equal(stack.length, 1, 'unclosed elements')
  return root.children
}
const all = (el, pred, out = []) => { if (pred(el)) out.push(el); for (const c of el.children) all(c, pred, out); return out }
const textOf = (el) => el.text + el.children.map(textOf).join('')

test('survey --svg: stacked bars whose segments match the counts, each named without a legend', async () => {
  const dir = project(reg, TREE)
  const file = path.join(tmpdir(), 'chart.svg')
  const out = []
  const code = await survey.run([dir, '--no-cache', '--svg', file, '--json'], { out: (s) => out.push(s), err: () => {} })
  assert.equal(code, 0)
  const result = JSON.parse(out.join('\n'))
  const [svgEl] = parseXml(fs.readFileSync(file, 'utf8'))
  assert.equal(svgEl.name, 'svg')
  const bars = all(svgEl, (e) => e.attrs.class === 'bar')
  assert.deepEqual(bars.map((b) => b.attrs['data-group']), ['all', 'direct', 'transitive', 'production', 'dev'])
  for (const bar of bars) {
    const counts = result.groups[bar.attrs['data-group']]
    const segs = all(bar, (e) => e.attrs.class === 'seg')
    const widths = segs.map((s) => Number(s.attrs.width))
    let sum = 0
    for (const s of segs) {
      assert.equal(Number(s.attrs['data-count']), counts[s.attrs['data-class']])
      sum += Number(s.attrs['data-count'])
    }
    assert.equal(sum, counts.total)
    if (counts.total) {
      // Widths are proportional to the counts and fill the bar.
      const full = widths.reduce((a, b) => a + b, 0)
      segs.forEach((s, i) => assert.ok(Math.abs(widths[i] / full - Number(s.attrs['data-count']) / counts.total) < 0.001))
      // Every segment's class is written in the bar (inside it or under it): no legend needed.
      const words = textOf(bar)
      for (const s of segs) {
        const label = { provenance: 'provenance', attestation: 'attestation only', signature: 'signature only', none: 'nothing', unverifiable: 'unverifiable', invalid: 'invalid' }[s.attrs['data-class']]
        assert.ok(words.includes(label), `${bar.attrs['data-group']}: ${label} not written in ${words}`)
      }
    }
  }
  assert.equal(all(svgEl, (e) => /legend/i.test(e.attrs.class || '')).length, 0)
})

test('survey: usage errors', async () => {
  const io = { out: () => {}, err: () => {} }
  await assert.rejects(survey.run(['--nope'], io), (e) => e.code === 'ERR_PROV_INVALID_ARG')
  await assert.rejects(survey.run(['a', 'b'], io), (e) => e.code === 'ERR_PROV_INVALID_ARG')
  await assert.rejects(survey.run(['a', '--list', 'x'], io), (e) => e.code === 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.survey({ cwd: tmpdir(), cache: false }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.survey({ cwd: tmpdir(), list: 3 }), 'ERR_PROV_INVALID_ARG')
})

test('the README example chart is what the committed example result renders', () => {
  const example = require('../examples/survey-chart')
  const result = JSON.parse(fs.readFileSync(example.JSON_FILE, 'utf8'))
  assert.equal(fs.readFileSync(example.SVG_FILE, 'utf8'), example.render(result))
  const [svgEl] = parseXml(fs.readFileSync(example.SVG_FILE, 'utf8'))
  assert.equal(all(svgEl, (e) => e.attrs.class === 'bar').length, 5)
})
