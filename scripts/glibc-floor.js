#!/usr/bin/env node
'use strict'

// The glibc floor of the Linux binaries: reads each ELF file's symbol version requirements
// (.gnu.version_r) and fails when a linux-gnu binary needs a GLIBC_ version above the floor, or a
// musl binary needs any GLIBC_ version at all.
//
//   node scripts/glibc-floor.js [--floor 2.17] [file.node ...]
//
// Without files it checks every *.node in the repository root and in npm/*/. Files that are not
// ELF (macOS, Windows) are listed and skipped. Exit status: 0 all within the floor, 1 a binary is
// over it (or no binary was found), 2 bad usage or an unreadable file.
//
// No dependencies and no binutils: the ELF reader below is plain Node, so the check runs on any
// machine that builds the addon, whatever its own libc.

const fs = require('node:fs')
const path = require('node:path')

const DEFAULT_FLOOR = '2.17'

const SHT_DYNSYM = 11
const SHT_GNU_VERNEED = 0x6ffffffe
const SHT_GNU_VERSYM = 0x6fffffff
const SHT_DYNAMIC = 6
const DT_NEEDED = 1
const VERSYM_INDEX = 0x7fff
const VER_FLG_WEAK = 0x2 // a version only weak references need: the loader does not insist on it

class ElfError extends Error {}

// A bounds-checked view over the file: every read names what it was reading, so a truncated or
// corrupt file fails with a message instead of reading past the end.
function reader (buf, little, is64) {
  const need = (off, len, what) => {
    if (!Number.isSafeInteger(off) || off < 0 || off + len > buf.length) {
      throw new ElfError(`truncated ELF: ${what} at offset ${off} is past the end (${buf.length} bytes)`)
    }
  }
  const u16 = (off, what) => { need(off, 2, what); return little ? buf.readUInt16LE(off) : buf.readUInt16BE(off) }
  const u32 = (off, what) => { need(off, 4, what); return little ? buf.readUInt32LE(off) : buf.readUInt32BE(off) }
  const u64 = (off, what) => {
    need(off, 8, what)
    const v = little ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`corrupt ELF: ${what} is ${v}`)
    return Number(v)
  }
  const word = is64 ? u64 : u32
  const cstr = (off, what) => {
    need(off, 1, what)
    const end = buf.indexOf(0, off)
    if (end < 0) throw new ElfError(`corrupt ELF: ${what} at offset ${off} is not terminated`)
    return buf.toString('latin1', off, end)
  }
  return { u16, u32, word, cstr, need }
}

// Parses the dynamic-linking facts of one ELF file: the libraries it needs (DT_NEEDED), the symbol
// versions it needs per library (.gnu.version_r), and which imported symbols need which version
// (.gnu.version + .dynsym), so an over-the-floor version can be traced to the symbols behind it.
function readElf (buf) {
  if (buf.length < 16 || buf.readUInt32BE(0) !== 0x7f454c46) return null // not ELF
  const cls = buf[4]
  const data = buf[5]
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) {
    throw new ElfError(`corrupt ELF: class ${cls}, data encoding ${data}`)
  }
  const is64 = cls === 2
  const r = reader(buf, data === 1, is64)

  const shoff = is64 ? r.word(0x28, 'e_shoff') : r.word(0x20, 'e_shoff')
  const shentsize = r.u16(is64 ? 0x3a : 0x2e, 'e_shentsize')
  let shnum = r.u16(is64 ? 0x3c : 0x30, 'e_shnum')
  const machine = r.u16(0x12, 'e_machine')
  if (shoff === 0) throw new ElfError('ELF without section headers: cannot read its symbol versions')
  if (shentsize !== (is64 ? 64 : 40)) throw new ElfError(`corrupt ELF: section header size ${shentsize}`)
  if (shnum === 0) shnum = r.word(shoff + (is64 ? 0x20 : 0x14), 'section 0 sh_size') // SHN_UNDEF holds a large count
  if (shnum > 0xffff) throw new ElfError(`corrupt ELF: ${shnum} sections`)

  const sections = []
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize
    r.need(at, shentsize, `section header ${i}`)
    sections.push(is64
      ? { type: r.u32(at + 4, 'sh_type'), offset: r.word(at + 0x18, 'sh_offset'), size: r.word(at + 0x20, 'sh_size'), link: r.u32(at + 0x28, 'sh_link'), info: r.u32(at + 0x2c, 'sh_info'), entsize: r.word(at + 0x38, 'sh_entsize') }
      : { type: r.u32(at + 4, 'sh_type'), offset: r.word(at + 0x10, 'sh_offset'), size: r.word(at + 0x14, 'sh_size'), link: r.u32(at + 0x18, 'sh_link'), info: r.u32(at + 0x1c, 'sh_info'), entsize: r.word(at + 0x24, 'sh_entsize') })
  }
  const linked = (s, what) => {
    const t = sections[s.link]
    if (!t) throw new ElfError(`corrupt ELF: ${what} links to section ${s.link} of ${shnum}`)
    return t
  }
  const str = (table, off, what) => {
    if (off >= table.size) throw new ElfError(`corrupt ELF: ${what} name offset ${off} is outside its string table`)
    return r.cstr(table.offset + off, what)
  }

  // DT_NEEDED: tells a musl binary (libc.musl-*.so.1) from a glibc one (libc.so.6).
  const needed = []
  for (const s of sections.filter((x) => x.type === SHT_DYNAMIC)) {
    const strtab = linked(s, '.dynamic')
    const ent = is64 ? 16 : 8
    for (let at = s.offset; at + ent <= s.offset + s.size; at += ent) {
      const tag = r.word(at, 'd_tag')
      if (tag === 0) break
      if (tag === DT_NEEDED) needed.push(str(strtab, r.word(at + ent / 2, 'd_val'), 'DT_NEEDED'))
    }
  }

  // .gnu.version_r: a chain of Verneed records (one per library), each with a chain of Vernaux
  // records (one per version). vna_other is the index .gnu.version uses for that version.
  const versions = [] // { file, name, index }
  for (const s of sections.filter((x) => x.type === SHT_GNU_VERNEED)) {
    const strtab = linked(s, '.gnu.version_r')
    let at = s.offset
    for (let n = 0; n < s.info; n++) {
      const cnt = r.u16(at + 2, 'vn_cnt')
      const file = str(strtab, r.u32(at + 4, 'vn_file'), 'vn_file')
      let aux = at + r.u32(at + 8, 'vn_aux')
      for (let k = 0; k < cnt; k++) {
        versions.push({
          file,
          name: str(strtab, r.u32(aux + 8, 'vna_name'), 'vna_name'),
          weak: (r.u16(aux + 4, 'vna_flags') & VER_FLG_WEAK) !== 0,
          index: r.u16(aux + 6, 'vna_other')
        })
        const next = r.u32(aux + 12, 'vna_next')
        if (next === 0) break
        aux += next
      }
      const next = r.u32(at + 12, 'vn_next')
      if (next === 0) break
      at += next
    }
  }

  // .gnu.version holds one version index per .dynsym entry: the undefined symbols whose index is
  // one of the needed versions above are the imports that ask for it.
  const symbols = new Map() // version name -> symbol names
  const versym = sections.find((x) => x.type === SHT_GNU_VERSYM)
  const dynsym = sections.find((x) => x.type === SHT_DYNSYM)
  if (versym && dynsym && versions.length) {
    const byIndex = new Map(versions.map((v) => [v.index, v.name]))
    const strtab = linked(dynsym, '.dynsym')
    const symsize = is64 ? 24 : 16
    const count = Math.min(Math.floor(dynsym.size / symsize), Math.floor(versym.size / 2))
    for (let i = 1; i < count; i++) {
      const name = byIndex.get(r.u16(versym.offset + i * 2, '.gnu.version entry') & VERSYM_INDEX)
      if (name === undefined) continue
      const sym = str(strtab, r.u32(dynsym.offset + i * symsize, 'st_name'), 'symbol')
      if (!symbols.has(name)) symbols.set(name, [])
      symbols.get(name).push(sym)
    }
  }

  return { bits: is64 ? 64 : 32, little: data === 1, machine, needed, versions, symbols }
}

// 'GLIBC_2.2.5' -> [2, 2, 5]; anything else (GLIBC_PRIVATE, GLIBCXX_3.4, ...) -> null.
function glibcVersion (name) {
  const m = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(name)
  return m ? m[1].split('.').map(Number) : null
}

function compareVersions (a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] || 0) - (b[i] || 0)
    if (d !== 0) return d
  }
  return 0
}

// Which libc a binary is for: from its file name (napi-rs names: <name>.linux-<arch>-gnu.node,
// <name>.linux-<arch>-musl.node), else from the libc it links.
function libcOf (file, elf) {
  const base = path.basename(file)
  if (/-musl(eabihf)?\.node$/.test(base)) return 'musl'
  if (/-gnu(eabihf)?\.node$/.test(base)) return 'gnu'
  if (elf.needed.some((l) => /^libc\.musl-|^ld-musl-/.test(l))) return 'musl'
  if (elf.needed.some((l) => /^libc\.so\.6$/.test(l))) return 'gnu'
  return 'unknown'
}

// The verdict for one file's bytes: the highest GLIBC_ version it needs and whether that is allowed.
function check (file, buf, floor = DEFAULT_FLOOR) {
  const elf = readElf(buf)
  if (!elf) return { file, elf: false, ok: true, message: 'not ELF, skipped' }
  const libc = libcOf(file, elf)
  const floorV = floor.split('.').map(Number)
  const anyGlibc = elf.versions.filter((v) => v.name.startsWith('GLIBC_'))
  const glibc = anyGlibc.filter((v) => !v.weak)
  let highest = null
  const over = []
  for (const v of glibc) {
    const num = glibcVersion(v.name)
    if (num && (!highest || compareVersions(num, glibcVersion(highest)) > 0)) highest = v.name
    if (!num || compareVersions(num, floorV) > 0) over.push(v.name) // GLIBC_PRIVATE is never portable
  }
  const overNames = [...new Set(over)].sort((a, b) => compareVersions(glibcVersion(b) || [Infinity], glibcVersion(a) || [Infinity]))
  const culprits = overNames.map((n) => {
    const syms = elf.symbols.get(n) || ['?']
    return `${n} (${syms.slice(0, 5).join(', ')}${syms.length > 5 ? `, +${syms.length - 5} more` : ''})`
  })
  let ok = true
  let message
  if (libc === 'musl') {
    ok = anyGlibc.length === 0
    message = ok ? 'needs no GLIBC_ version' : `a musl binary that needs glibc versions (${[...new Set(anyGlibc.map((v) => v.name))].join(', ')})`
  } else {
    ok = overNames.length === 0
    message = highest ? `needs ${highest}` : 'needs no GLIBC_ version'
    if (!ok) message += `, over the ${floor} floor — ${culprits.join('; ')}`
  }
  return { file, elf: true, libc, highest, over: overNames, versions: elf.versions, ok, message }
}

// Every *.node in the repository root and in npm/*/ (where `napi artifacts` puts them).
function defaultFiles (root) {
  const list = (dir) => {
    try {
      return fs.readdirSync(dir).filter((f) => f.endsWith('.node')).map((f) => path.join(dir, f))
    } catch {
      return []
    }
  }
  const npmDir = path.join(root, 'npm')
  const subdirs = fs.existsSync(npmDir) ? fs.readdirSync(npmDir).map((d) => path.join(npmDir, d)) : []
  return [...list(root), ...subdirs.flatMap(list)].sort()
}

function main (argv, root = path.resolve(__dirname, '..')) {
  let floor = DEFAULT_FLOOR
  const files = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--floor') {
      floor = argv[++i]
      if (!/^\d+\.\d+$/.test(floor || '')) {
        console.error('glibc-floor: --floor needs a version such as 2.17')
        return 2
      }
    } else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node scripts/glibc-floor.js [--floor 2.17] [file.node ...]')
      return 0
    } else {
      files.push(argv[i])
    }
  }
  const targets = files.length ? files : defaultFiles(root)
  if (targets.length === 0) {
    console.error('glibc-floor: no .node file found in the repository root or npm/*/ — build first')
    return 1
  }
  let status = 0
  for (const file of targets) {
    let res
    try {
      res = check(file, fs.readFileSync(file), floor)
    } catch (e) {
      console.error(`${file}: ${e.message}`)
      status = 2
      continue
    }
    const tag = !res.elf ? 'skip' : res.ok ? 'ok  ' : 'FAIL'
    console.log(`${tag} ${path.relative(process.cwd(), path.resolve(file)) || file}${res.libc ? ` (${res.libc})` : ''}: ${res.message}`)
    if (!res.ok && status === 0) status = 1
  }
  return status
}

module.exports = { readElf, check, glibcVersion, compareVersions, defaultFiles, main, ElfError, DEFAULT_FLOOR }

if (require.main === module) process.exitCode = main(process.argv.slice(2))
