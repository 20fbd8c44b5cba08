'use strict'

// The README's examples run as written, and the README's error-code table names every code an
// output can carry.
//
// Fenced blocks whose info string says `runnable` are run against the loopback registry in a
// project of their own (npm, the npm cache and `prov-native` on PATH pointed there):
//   ```sh runnable                      each block with `sh -e`: every command must exit 0
//   ```js runnable                      inside an async function, `require('prov-native')` this package
//   ```json runnable <file>             written to <file>, then `prov-native guard` must accept it
//                                       (exit 0 or 1, never 2); the files its paths name are filled
//                                       from testdata/data
// Blocks run in README order, sh first, then js, then json, all in the same project.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { test, before, after } = require('node:test')

const { startRegistry } = require('./registry')
const { tmpdir } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const BIN = path.join(ROOT, 'bin', 'prov-native.js')
const DATA = path.join(ROOT, 'testdata', 'data')

for (const k of ['CI', 'GITHUB_BASE_REF', 'CI_MERGE_REQUEST_DIFF_BASE_SHA', 'PROV_NATIVE_SCAN_ALL']) delete process.env[k]

// Every fenced block: { info, lang, runnable, arg, code, line }.
function blocks (text) {
  const out = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i])
    if (!open) continue
    const start = i
    const body = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i])
    const words = open[2].trim().split(/\s+/).filter(Boolean)
    out.push({ lang: open[1], runnable: words[0] === 'runnable', arg: words[1], code: body.join('\n'), line: start + 1 })
  }
  return out
}

const runnable = blocks(README).filter((b) => b.runnable)

let reg, p
before(async () => {
  reg = await startRegistry()
  const base = tmpdir()
  const dir = path.join(base, 'app')
  const shims = path.join(base, 'bin')
  const modules = path.join(base, 'modules')
  fs.mkdirSync(dir)
  fs.mkdirSync(shims)
  fs.mkdirSync(modules)
  fs.writeFileSync(path.join(shims, 'prov-native'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 })
  fs.symlinkSync(ROOT, path.join(modules, 'prov-native'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'readme-app', version: '1.0.0', license: 'MIT', private: true }, null, 2) + '\n')
  fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${reg.url}\n`)
  p = {
    dir,
    base,
    env: {
      ...process.env,
      PATH: `${shims}${path.delimiter}${process.env.PATH}`,
      NODE_PATH: modules,
      TMPDIR: base,
      HOME: base,
      npm_config_registry: reg.url,
      npm_config_cache: path.join(base, 'npm-cache'),
      npm_config_userconfig: path.join(base, 'user-npmrc'),
      npm_config_update_notifier: 'false',
      npm_config_yes: 'true'
    }
  }
})
after(async () => { await reg.close() })

function sh (cmd, args, { input } = {}) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: p.dir, env: p.env })
    let out = ''
    c.stdout.on('data', (d) => { out += d })
    c.stderr.on('data', (d) => { out += d })
    c.on('close', (code) => resolve({ code, out }))
    if (input !== undefined) c.stdin.end(input)
  })
}

test('the README marks runnable examples of each kind', () => {
  const kinds = new Set(runnable.map((b) => b.lang))
  for (const k of ['sh', 'js', 'json']) assert.ok(kinds.has(k), `no runnable ${k} example`)
  for (const b of runnable) assert.ok(['sh', 'js', 'json'].includes(b.lang), `README line ${b.line}: runnable ${b.lang} is not run by this test`)
})

for (const lang of ['sh', 'js', 'json']) {
  for (const b of runnable.filter((x) => x.lang === lang)) {
    test(`README line ${b.line}: the ${lang} example runs as written`, async () => {
      if (lang === 'sh') {
        const r = await sh('sh', ['-e', '-c', b.code])
        assert.equal(r.code, 0, `README line ${b.line}:\n${b.code}\n---\n${r.out}`)
      } else if (lang === 'js') {
        const file = path.join(p.dir, `readme-example-${b.line}.js`)
        fs.writeFileSync(file, `'use strict'\n;(async () => {\n${b.code}\n})().catch((e) => { console.error(e); process.exitCode = 1 })\n`)
        const r = await sh(process.execPath, [file])
        assert.equal(r.code, 0, `README line ${b.line}:\n${b.code}\n---\n${r.out}`)
      } else {
        assert.ok(b.arg, `README line ${b.line}: a runnable json block names its file`)
        const doc = JSON.parse(b.code)
        fs.writeFileSync(path.join(p.dir, b.arg), b.code)
        // The paths the policy names, filled from the real data in testdata/.
        const sources = (doc.rules && doc.rules.advisories && doc.rules.advisories.sources) || []
        for (const s of sources) {
          const to = path.join(p.dir, s)
          fs.mkdirSync(path.dirname(to), { recursive: true })
          if (s.endsWith('.csv')) fs.copyFileSync(path.join(DATA, 'incident-lists/datadog-shai-hulud-2.0/shai-hulud-2.0.csv'), to)
          else fs.cpSync(path.join(DATA, 'osv-malicious-npm/osv'), to, { recursive: true })
        }
        if (!fs.existsSync(path.join(p.dir, 'package-lock.json'))) {
          const i = await sh('npm', ['install', '--package-lock-only', '--ignore-scripts', '@npmcli/libnpmpublish-test@1.0.0'])
          assert.equal(i.code, 0, i.out)
        }
        const r = await sh(process.execPath, [BIN, 'guard', '--json'])
        assert.ok(r.code === 0 || r.code === 1, `README line ${b.line}: guard exited ${r.code}:\n${r.out}`)
        const result = JSON.parse(r.out.slice(0, r.out.lastIndexOf('}') + 1))
        assert.equal(result.config, path.join(p.dir, b.arg))
        assert.ok(!result.skipped.some((s) => /^advisories: no advisory source/.test(s)), result.skipped.join('\n'))
      }
    })
  }
}

// Every ERR_PROV_… an output can carry: the codes the engine defines (Code::ALL, which
// crates/core/tests/codes.rs keeps equal to schema/codes.json) and every code spelled in the
// CLI, the loader, the types and the README's prose.
test('every code any output can carry is in the README\'s error-code table', () => {
  const table = README.slice(README.indexOf('<!-- codes: generated'), README.indexOf('<!-- /codes -->'))
  assert.ok(table.length > 100, 'the README has the generated code table')
  const inTable = new Set(table.match(/ERR_PROV_[A-Z_]+/g))
  const codes = Object.keys(require('../schema/codes.json'))
  for (const c of codes) assert.ok(inTable.has(c), `${c} (schema/codes.json) missing from the README table`)
  const spelled = new Map()
  const scan = (file) => {
    let text = fs.readFileSync(file, 'utf8')
    // A Rust file's unit tests spell made-up codes on purpose (`Code::parse("ERR_PROV_NOPE")`).
    if (file.endsWith('.rs') && text.includes('#[cfg(test)]')) text = text.slice(0, text.indexOf('#[cfg(test)]'))
    for (const m of text.matchAll(/ERR_PROV_[A-Z_]*[A-Z]/g)) if (!spelled.has(m[0])) spelled.set(m[0], path.relative(ROOT, file))
  }
  for (const f of fs.readdirSync(path.join(ROOT, 'bin'))) scan(path.join(ROOT, 'bin', f))
  for (const f of ['index.js', 'index.d.ts', 'types.d.ts', 'README.md']) scan(path.join(ROOT, f))
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name)
      if (e.isDirectory()) walk(f)
      else if (f.endsWith('.rs')) scan(f)
    }
  }
  walk(path.join(ROOT, 'src'))
  walk(path.join(ROOT, 'crates', 'core', 'src'))
  // Prefixes written as such in prose (`ERR_PROV_TLOG_…`) are not codes.
  const missing = [...spelled].filter(([c]) => !inTable.has(c) && !codes.some((k) => k.startsWith(c + '_')))
  assert.deepEqual(missing, [], 'codes spelled somewhere but not in the README table')
})

test('the CLI prints only codes that are in the table', async () => {
  const codes = new Set(Object.keys(require('../schema/codes.json')))
  const outputs = [
    await sh(process.execPath, [BIN, 'verify']),
    await sh(process.execPath, [BIN, 'audit', '--jsn']),
    await sh(process.execPath, [BIN, 'guard', '--json', '--sarif']),
    await sh(process.execPath, [BIN, 'verify', 'not a spec!!'])
  ]
  for (const o of outputs) {
    const found = o.out.match(/ERR_PROV_[A-Z_]*[A-Z]/g) || []
    assert.ok(found.length > 0, o.out)
    for (const c of found) assert.ok(codes.has(c), `${c} printed but not in the table: ${o.out}`)
  }
})
