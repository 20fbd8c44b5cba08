'use strict'

// scripts/glibc-floor.js: the ELF reader against synthetic ELF files (64-bit little-endian and
// 32-bit big-endian), against readelf on real binaries where readelf is installed, and the CLI's
// exit status.

const assert = require('node:assert/strict')
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { readElf, check, defaultFiles, main, ElfError } = require('../scripts/glibc-floor')
const { tmpdir } = require('./helpers')

const SCRIPT = path.join(__dirname, '..', 'scripts', 'glibc-floor.js')
const BUILT = path.join(__dirname, '..', 'prov-native.linux-x64-gnu.node')

// A minimal shared object: .dynstr, .dynsym, .gnu.version, .gnu.version_r and .dynamic, laid out
// as a linker would, with no code. `libs` is [{ file, versions: [{ name, symbols, weak }] }].
function makeElf ({ bits = 64, little = true, needed = ['libc.so.6'], libs = [] } = {}) {
  const is64 = bits === 64
  const word = is64 ? 8 : 4
  const strs = [Buffer.alloc(1)]
  let strLen = 1
  const strOff = new Map()
  const addStr = (s) => {
    if (!strOff.has(s)) {
      strOff.set(s, strLen)
      strs.push(Buffer.from(s + '\0', 'latin1'))
      strLen += s.length + 1
    }
    return strOff.get(s)
  }
  const u16 = (v) => { const b = Buffer.alloc(2); little ? b.writeUInt16LE(v) : b.writeUInt16BE(v); return b }
  const u32 = (v) => { const b = Buffer.alloc(4); little ? b.writeUInt32LE(v) : b.writeUInt32BE(v); return b }
  const w = (v) => { if (!is64) return u32(v); const b = Buffer.alloc(8); little ? b.writeBigUInt64LE(BigInt(v)) : b.writeBigUInt64BE(BigInt(v)); return b }

  const syms = [] // { name, index }
  const verneed = []
  let index = 2
  libs.forEach((lib, li) => {
    const vers = lib.versions.map((v) => ({ ...v, index: index++ }))
    verneed.push(u16(1), u16(vers.length), u32(addStr(lib.file)), u32(16), u32(li === libs.length - 1 ? 0 : 16 + 16 * vers.length))
    vers.forEach((v, vi) => {
      verneed.push(u32(0), u16(v.weak ? 2 : 0), u16(v.index), u32(addStr(v.name)), u32(vi === vers.length - 1 ? 0 : 16))
      for (const s of v.symbols || []) syms.push({ name: s, index: v.index })
    })
  })
  const symsize = is64 ? 24 : 16
  const dynsym = [Buffer.alloc(symsize), ...syms.map((s) => Buffer.concat([u32(addStr(s.name)), Buffer.alloc(symsize - 4)]))]
  const versym = [u16(0), ...syms.map((s) => u16(s.index))]
  const dynamic = [...needed.flatMap((n) => [w(1), w(addStr(n))]), w(0), w(0)]

  const ehsize = is64 ? 64 : 52
  const blobs = [Buffer.concat(strs), Buffer.concat(dynsym), Buffer.concat(versym), Buffer.concat(verneed), Buffer.concat(dynamic)]
  // type, link, info, entsize for sections 1..5
  const meta = [[3, 0, 0, 0], [11, 1, 1, symsize], [0x6fffffff, 2, 0, 2], [0x6ffffffe, 1, libs.length, 0], [6, 1, 0, 2 * word]]
  let off = ehsize
  const offsets = blobs.map((b) => { const o = off; off += b.length + ((8 - (b.length % 8)) % 8); return o })
  const shoff = off
  const shentsize = is64 ? 64 : 40
  const out = Buffer.alloc(shoff + shentsize * (blobs.length + 1))
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1]).copy(out, 0)
  const put = (buf, at) => buf.copy(out, at)
  put(u16(3), 16)
  put(u16(is64 ? 62 : 20), 18)
  put(u32(1), 20)
  put(w(shoff), is64 ? 0x28 : 0x20)
  put(u16(ehsize), is64 ? 0x34 : 0x28)
  put(u16(shentsize), is64 ? 0x3a : 0x2e)
  put(u16(blobs.length + 1), is64 ? 0x3c : 0x30)
  blobs.forEach((b, i) => {
    put(b, offsets[i])
    const at = shoff + (i + 1) * shentsize
    const [type, link, info, entsize] = meta[i]
    put(u32(type), at + 4)
    if (is64) {
      put(w(offsets[i]), at + 0x18); put(w(b.length), at + 0x20); put(u32(link), at + 0x28); put(u32(info), at + 0x2c); put(w(entsize), at + 0x38)
    } else {
      put(w(offsets[i]), at + 0x10); put(w(b.length), at + 0x14); put(u32(link), at + 0x18); put(u32(info), at + 0x1c); put(w(entsize), at + 0x24)
    }
  })
  return out
}

const LIBC_217 = { file: 'libc.so.6', versions: [{ name: 'GLIBC_2.2.5', symbols: ['malloc', 'free'] }, { name: 'GLIBC_2.17', symbols: ['clock_gettime'] }] }
const LIBC_234 = { file: 'libc.so.6', versions: [{ name: 'GLIBC_2.2.5', symbols: ['malloc'] }, { name: 'GLIBC_2.34', symbols: ['dlopen', 'pthread_create'] }] }
const LIBM_229 = { file: 'libm.so.6', versions: [{ name: 'GLIBC_2.29', symbols: ['pow'] }] }

test('reader: libraries, versions per library and the symbols behind each version', () => {
  for (const [bits, little] of [[64, true], [32, false]]) {
    const elf = readElf(makeElf({ bits, little, needed: ['libc.so.6', 'libm.so.6'], libs: [LIBC_217, LIBM_229] }))
    assert.equal(elf.bits, bits)
    assert.equal(elf.little, little)
    assert.deepEqual(elf.needed, ['libc.so.6', 'libm.so.6'])
    assert.deepEqual(elf.versions.map((v) => `${v.file} ${v.name}`), ['libc.so.6 GLIBC_2.2.5', 'libc.so.6 GLIBC_2.17', 'libm.so.6 GLIBC_2.29'])
    assert.deepEqual(elf.symbols.get('GLIBC_2.2.5'), ['malloc', 'free'])
    assert.deepEqual(elf.symbols.get('GLIBC_2.29'), ['pow'])
  }
})

test('floor: 2.17 passes; 2.34 (and a libm 2.29) is over it and names the symbols', () => {
  const ok = check('x.linux-x64-gnu.node', makeElf({ libs: [LIBC_217] }))
  assert.equal(ok.ok, true)
  assert.equal(ok.highest, 'GLIBC_2.17')
  // 2.2.5 is below 2.17 although '2.2.5' > '2.17' as strings
  const over = check('x.linux-x64-gnu.node', makeElf({ needed: ['libc.so.6', 'libm.so.6'], libs: [LIBC_234, LIBM_229] }))
  assert.equal(over.ok, false)
  assert.equal(over.highest, 'GLIBC_2.34')
  assert.deepEqual(over.over, ['GLIBC_2.34', 'GLIBC_2.29'])
  assert.match(over.message, /GLIBC_2\.34 \(dlopen, pthread_create\)/)
  assert.match(over.message, /GLIBC_2\.29 \(pow\)/)
  assert.equal(check('x.linux-x64-gnu.node', makeElf({ libs: [LIBC_234] }), '2.34').ok, true)
})

test('floor: GLIBC_PRIVATE fails; a version only weak references need does not', () => {
  const priv = check('x.linux-x64-gnu.node', makeElf({ libs: [{ file: 'libc.so.6', versions: [{ name: 'GLIBC_PRIVATE', symbols: ['__libc_x'] }] }] }))
  assert.equal(priv.ok, false)
  const weak = check('x.linux-x64-gnu.node', makeElf({ libs: [{ file: 'libc.so.6', versions: [{ name: 'GLIBC_2.17' }, { name: 'GLIBC_2.18', weak: true, symbols: ['__cxa_thread_atexit_impl'] }] }] }))
  assert.equal(weak.ok, true)
  assert.equal(weak.highest, 'GLIBC_2.17')
})

test('musl: no GLIBC_ version at all, told by file name or by the libc it links', () => {
  const clean = makeElf({ needed: ['libc.musl-x86_64.so.1'] })
  assert.equal(check('x.linux-x64-musl.node', clean).ok, true)
  assert.equal(check('anything.so', clean).libc, 'musl')
  const glibcy = makeElf({ libs: [LIBC_217] })
  const bad = check('x.linux-x64-musl.node', glibcy)
  assert.equal(bad.ok, false)
  assert.match(bad.message, /musl binary that needs glibc versions \(GLIBC_2\.2\.5, GLIBC_2\.17\)/)
  const weakOnly = check('x.linux-arm64-musl.node', makeElf({ libs: [{ file: 'libc.so.6', versions: [{ name: 'GLIBC_2.18', weak: true }] }] }))
  assert.equal(weakOnly.ok, false)
})

test('not ELF is skipped; a truncated or corrupt ELF is an ElfError, never a crash', () => {
  assert.deepEqual(check('x.darwin-arm64.node', Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0, 0, 0, 0])), { file: 'x.darwin-arm64.node', elf: false, ok: true, message: 'not ELF, skipped' })
  assert.equal(readElf(Buffer.from('MZ')), null)
  const full = makeElf({ libs: [LIBC_234] })
  for (const cut of [20, 64, full.length - 10]) {
    assert.throws(() => readElf(full.subarray(0, cut)), ElfError, `cut at ${cut}`)
  }
  const badLink = Buffer.from(full)
  const shoff = Number(badLink.readBigUInt64LE(0x28))
  badLink.writeUInt32LE(99, shoff + 4 * 64 + 0x28) // .gnu.version_r -> section 99
  assert.throws(() => readElf(badLink), /links to section 99/)
  const badClass = Buffer.from(full)
  badClass[4] = 7
  assert.throws(() => readElf(badClass), /class 7/)
})

// readelf's view of the same file, where binutils is installed: every needed version, per library.
function readelfVersions (file) {
  const r = spawnSync('readelf', ['-V', '--wide', file], { encoding: 'utf8' })
  if (r.error || r.status !== 0) return null
  const out = []
  let lib = null
  for (const line of r.stdout.split('\n')) {
    const f = /^\s*(?:0x)?[0-9a-f]+: Version: \d+\s+File: (\S+)/.exec(line)
    if (f) lib = f[1]
    const n = /^\s*0x[0-9a-f]+:\s+Name: (\S+)\s+Flags/.exec(line)
    if (n && lib) out.push(`${lib} ${n[1]}`)
  }
  return out.sort()
}

for (const [label, file] of [['a system binary (/bin/ls)', '/bin/ls'], ['the built addon', BUILT]]) {
  const why = !fs.existsSync(file) ? `${file} is not there` : readelfVersions(file) === null ? 'readelf is not installed' : false
  test(`reader agrees with readelf on ${label}`, { skip: why }, () => {
    const elf = readElf(fs.readFileSync(file))
    assert.deepEqual(elf.versions.map((v) => `${v.file} ${v.name}`).sort(), readelfVersions(file))
    // a binary linked on this machine needs what this machine's libc has: report it either way
    const res = check(file, fs.readFileSync(file))
    assert.ok(res.highest, 'a glibc binary needs some GLIBC_ version')
  })
}

test('CLI: exit 0 within the floor, 1 over it or with nothing to check, 2 on an unreadable ELF', () => {
  const dir = tmpdir()
  const good = path.join(dir, 'p.linux-x64-gnu.node')
  const bad = path.join(dir, 'p.linux-arm64-gnu.node')
  const musl = path.join(dir, 'p.linux-x64-musl.node')
  const mac = path.join(dir, 'p.darwin-x64.node')
  const broken = path.join(dir, 'broken.linux-x64-gnu.node')
  fs.writeFileSync(good, makeElf({ libs: [LIBC_217] }))
  fs.writeFileSync(bad, makeElf({ needed: ['libc.so.6', 'libm.so.6'], libs: [LIBC_234, LIBM_229] }))
  fs.writeFileSync(musl, makeElf({ needed: ['libc.musl-x86_64.so.1'] }))
  fs.writeFileSync(mac, Buffer.from([0xcf, 0xfa, 0xed, 0xfe]))
  fs.writeFileSync(broken, makeElf({ libs: [LIBC_217] }).subarray(0, 100))
  const run = (...args) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, encoding: 'utf8' })

  const ok = run(good, musl, mac)
  assert.equal(ok.status, 0, ok.stdout + ok.stderr)
  assert.match(ok.stdout, /^ok {3}p\.linux-x64-gnu\.node \(gnu\): needs GLIBC_2\.17$/m)
  assert.match(ok.stdout, /^ok {3}p\.linux-x64-musl\.node \(musl\): needs no GLIBC_ version$/m)
  assert.match(ok.stdout, /^skip p\.darwin-x64\.node: not ELF, skipped$/m)

  const over = run(good, bad)
  assert.equal(over.status, 1)
  assert.match(over.stdout, /^FAIL p\.linux-arm64-gnu\.node \(gnu\): needs GLIBC_2\.34, over the 2\.17 floor/m)
  assert.equal(run('--floor', '2.34', good, bad).status, 0)
  assert.equal(run('--floor', 'x', good).status, 2)

  const unreadable = run(good, broken)
  assert.equal(unreadable.status, 2)
  assert.match(unreadable.stderr, /broken\.linux-x64-gnu\.node: truncated ELF/)

  fs.rmSync(dir, { recursive: true, force: true })
})

test('CLI defaults: *.node in the root and in npm/*/; none found is a failure, not a pass', (t) => {
  const dir = tmpdir()
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  t.mock.method(console, 'error', () => {})
  assert.equal(main([], dir), 1)
  fs.mkdirSync(path.join(dir, 'npm', 'linux-x64-gnu'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'npm', 'linux-x64-gnu', 'p.linux-x64-gnu.node'), makeElf({ libs: [LIBC_217] }))
  fs.writeFileSync(path.join(dir, 'p.linux-x64-musl.node'), makeElf({ needed: ['libc.musl-x86_64.so.1'] }))
  fs.writeFileSync(path.join(dir, 'README.md'), 'not a binary')
  assert.deepEqual(defaultFiles(dir).map((f) => path.relative(dir, f)), [path.join('npm', 'linux-x64-gnu', 'p.linux-x64-gnu.node'), 'p.linux-x64-musl.node'])
  t.mock.method(console, 'log', () => {})
  assert.equal(main([], dir), 0)
})

test('CLI: the built addon is checked by default', { skip: !fs.existsSync(BUILT) && `${BUILT} is not there` }, () => {
  const out = execFileSync(process.execPath, [SCRIPT, '--floor', '99.0'], { encoding: 'utf8' })
  assert.match(out, /prov-native\.linux-x64-gnu\.node \(gnu\): needs GLIBC_2\.\d+/)
})
