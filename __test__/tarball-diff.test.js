'use strict'

// Differential test: each SYNTHETIC adversarial tarball of `tarballs.js` is extracted by npm's
// own code path — pacote's `extract` (which calls node-tar's `x` with pacote's options), both
// at the versions npm 11 bundles (devDependencies) — and read by prov-native's
// `inspectTarball`. The files and bytes must be the same; where npm fails, the reader refuses.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const tar = require('tar')
const { inspectTarball } = require('..')
const { tmpdir } = require('./helpers')
const { corpus, tar: mkTar, file, gz, BENIGN, EVIL } = require('./tarballs')

// execFile with stdin input.
function run (cmd, args, { input, maxBuffer }) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer }, (e, stdout, stderr) => e ? reject(Object.assign(e, { stderr })) : resolve({ stdout }))
    child.stdin.end(input)
  })
}

// Every case extracted by npm's code path, in one child process (see npm-extract.js).
async function npmViews (cases) {
  const dir = tmpdir()
  const jobs = cases.map((c, i) => {
    const tgz = path.join(dir, `${i}.tgz`)
    fs.writeFileSync(tgz, c.tgz)
    return { tgz, dest: path.join(dir, `out-${i}`), cache: path.join(dir, 'cache') }
  })
  const { stdout } = await run(process.execPath, [path.join(__dirname, 'npm-extract.js')], { input: JSON.stringify(jobs), maxBuffer: 64 << 20 })
  fs.rmSync(dir, { recursive: true, force: true })
  return JSON.parse(stdout)
}

async function readerView (tgz) {
  try {
    const v = await inspectTarball(tgz)
    const files = {}
    for (const f of v.files) files[f.path] = f.integrity
    return { files, view: v }
  } catch (e) {
    return { error: e }
  }
}

const cases = corpus()
let npm
test.before(async () => { npm = await npmViews(cases) })

test('the corpus has at least 40 adversarial tarballs', () => {
  assert.ok(cases.length >= 40, `${cases.length}`)
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'names are unique')
})

cases.forEach((c, i) => {
  test(`same view as npm: ${c.name}`, async () => {
    const ours = await readerView(c.tgz)
    const theirs = npm[i]
    if (c.expect.refuse === 'ambiguous') {
      assert.ok(ours.error, 'the reader refuses what it cannot pin down')
      assert.equal(ours.error.code, 'ERR_PROV_INVALID_ARG')
      assert.match(ours.error.message, /cannot be reproduced/)
      return
    }
    if (c.expect.refuse) {
      assert.ok(theirs.error, 'npm fails on this tarball')
    }
    if (theirs.error) {
      assert.ok(ours.error, `npm fails (${theirs.error}) so the reader must refuse; it read ${JSON.stringify(ours.files)}`)
      assert.ok(/^ERR_PROV_/.test(ours.error.code), ours.error.code)
      return
    }
    assert.ok(!ours.error, `npm extracts it; the reader refused: ${ours.error && ours.error.message}`)
    assert.deepEqual(ours.files, theirs.files)
    const errors = ours.view.anomalies.filter((a) => a.severity === 'error')
    if (c.expect.error) assert.ok(errors.length > 0, 'a platform-dependent file is an error anomaly')
    else assert.deepEqual(errors, [], 'no error anomaly')
  })
})

test('a member hidden after zero padding: npm decodes it when the file is read in two pieces', async () => {
  const first = gz(mkTar(file('package/package.json', BENIGN)).subarray(0, 1024))
  const tgz = Buffer.concat([first, Buffer.alloc(512), gz(mkTar(file('package/package.json', EVIL)))])
  const extract = async (pieces) => {
    const dest = tmpdir()
    await new Promise((resolve, reject) => {
      const x = tar.x({ cwd: dest, strip: 1, noChmod: true, noMtime: true, preserveOwner: false })
      x.on('error', reject)
      x.on('close', resolve)
      for (const p of pieces.slice(0, -1)) x.write(p)
      x.end(pieces[pieces.length - 1])
    })
    const text = fs.readFileSync(path.join(dest, 'package.json'), 'utf8')
    fs.rmSync(dest, { recursive: true, force: true })
    return text
  }
  const cut = first.length + 512
  assert.equal(await extract([tgz]), BENIGN, 'read at once: the hidden member is ignored')
  assert.equal(await extract([tgz.subarray(0, cut), tgz.subarray(cut)]), EVIL, 'read in two pieces: it is installed')
  await assert.rejects(inspectTarball(tgz), (e) => e.code === 'ERR_PROV_INVALID_ARG')
})
