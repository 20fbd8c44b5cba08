#!/usr/bin/env node
'use strict'

// Puts the gcc toolchain of @napi-rs/cross-toolchain (a glibc 2.17 sysroot) for a Linux target
// where `napi build --use-napi-cross` looks for it, ~/.napi-rs/cross-toolchain/<version>/<triple>,
// so that flag builds without running its own download step. That step fails under
// @napi-rs/cli 3.10.12 for two reasons:
//  - @napi-rs/cross-toolchain 1.0.5 unpacks with @napi-rs/lzma ^1.5.3, whose `engines` asks for
//    Node ^22.20: under Node 20, npm leaves out lzma's native package and the step throws
//    "Cannot find native binding";
//  - it then fetches @napi-rs/cross-toolchain-<host>-target-<arch> at its own version, 1.0.5, and
//    the toolchain packages are published at other versions (x86_64: 1.0.0, aarch64: 1.0.3).
// So this script takes the newest toolchain package not newer than the installed
// @napi-rs/cross-toolchain and unpacks it with the system's tar and xz. The toolchain is the same
// one the CLI would use (gcc 4.8.5, glibc 2.17 headers and libraries); only the fetch differs.
//
//   node scripts/cross-toolchain.js [triple ...]     (default: this machine's linux-gnu triple)
//
// Needs npm, tar and xz on PATH (every Linux host the toolchain runs on has them). A toolchain
// already in place is left alone, so a second run is offline and instant.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

// Target triple -> toolchain package suffix and the archive's name inside it.
const TOOLCHAINS = {
  'x86_64-unknown-linux-gnu': { pkg: 'x86_64', archive: 'x86_64-unknown-linux-gnu' },
  'aarch64-unknown-linux-gnu': { pkg: 'aarch64', archive: 'aarch64-unknown-linux-gnu' },
  'armv7-unknown-linux-gnueabihf': { pkg: 'armv7', archive: 'armv7-unknown-linux-gnueabihf' },
  'powerpc64le-unknown-linux-gnu': { pkg: 'ppc64le', archive: 'powerpc64le-unknown-linux-gnu' },
  's390x-unknown-linux-gnu': { pkg: 's390x', archive: 's390x-ibm-linux-gnu' }
}

function hostTriple () {
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch]
  return process.platform === 'linux' && arch ? `${arch}-unknown-linux-gnu` : null
}

// Where the CLI looks (its `pickCrossToolchain`): the directory counts as ready once it has the
// archive's package.json.
function crossToolchainVersion () {
  // the copy the CLI itself requires
  const cli = path.dirname(require.resolve('@napi-rs/cli/package.json'))
  return require(require.resolve('@napi-rs/cross-toolchain/package.json', { paths: [cli] })).version
}

function toolchainDir (triple) {
  const version = crossToolchainVersion()
  return path.join(os.homedir(), '.napi-rs', 'cross-toolchain', version, triple)
}

function run (cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts })
}

function ensure (triple, log = console.log) {
  const tc = TOOLCHAINS[triple]
  if (!tc) throw new Error(`no @napi-rs/cross-toolchain for ${triple} (known: ${Object.keys(TOOLCHAINS).join(', ')})`)
  const hostArch = process.arch
  if (process.platform !== 'linux' || (hostArch !== 'x64' && hostArch !== 'arm64')) {
    throw new Error(`the cross toolchains run on Linux x64 and arm64 hosts only, not ${process.platform}-${hostArch}`)
  }
  const dest = toolchainDir(triple)
  if (fs.existsSync(path.join(dest, 'package.json'))) return dest

  const version = crossToolchainVersion()
  const name = `@napi-rs/cross-toolchain-${hostArch}-target-${tc.pkg}`
  const found = JSON.parse(run('npm', ['view', `${name}@<=${version}`, 'version', '--json']) || 'null')
  const num = (v) => v.split(/[.+-]/).slice(0, 3).map(Number)
  const pick = [].concat(found || []).sort((a, b) => { const [x, y] = [num(a), num(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] }).pop()
  if (!pick) throw new Error(`${name}: no version <= ${version} is published`)
  log(`cross-toolchain: ${name}@${pick} -> ${dest}`)

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-toolchain-'))
  // Unpacked beside its final place, then renamed: whole or not at all (a failed CLI download
  // leaves an empty directory behind, an interrupted unpack a partial one).
  const partial = `${dest}.partial-${process.pid}`
  try {
    const [packed] = JSON.parse(run('npm', ['pack', `${name}@${pick}`, '--json', '--pack-destination', work], { cwd: work }))
    run('tar', ['-xzf', path.join(work, packed.filename), '-C', work])
    fs.mkdirSync(partial, { recursive: true })
    run('tar', ['-xJf', path.join(work, 'package', `${tc.archive}.tar.xz`), '-C', partial])
    if (!fs.existsSync(path.join(partial, 'package.json'))) throw new Error(`${name}@${pick}: the archive has no package.json`)
    fs.rmSync(dest, { recursive: true, force: true })
    fs.renameSync(partial, dest)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
    fs.rmSync(partial, { recursive: true, force: true })
  }
  return dest
}

// This machine's triple when it is Linux x64/arm64 with glibc (musl hosts build natively).
function hostGnuTriple () {
  if (process.platform !== 'linux') return null
  const header = process.report && process.report.getReport().header
  if (!header || !header.glibcVersionRuntime) return null
  return hostTriple()
}

// The environment that makes a build for this machine's own triple (no --target) compile and
// link with the glibc 2.17 toolchain: cargo's linker and cc-rs's compilers for that triple
// (gcc has the sysroot built in). Build scripts and proc-macros link the same way and run here.
// `npm run build*` and `npm test`'s cargo run with exactly this environment, so they share one
// target directory and one build of the dependencies. {} where there is no such toolchain.
function floorEnv (log) {
  const triple = hostGnuTriple()
  if (!triple || !TOOLCHAINS[triple]) return {}
  const dir = ensure(triple, log)
  const bin = (tool) => path.join(dir, 'bin', `${TOOLCHAINS[triple].archive}-${tool}`)
  const t = triple.replace(/-/g, '_')
  return {
    [`CARGO_TARGET_${t.toUpperCase()}_LINKER`]: bin('gcc'),
    [`CC_${t}`]: bin('gcc'),
    [`CXX_${t}`]: bin('g++'),
    [`AR_${t}`]: bin('ar'),
    [`RANLIB_${t}`]: bin('ranlib')
  }
}

module.exports = { ensure, toolchainDir, hostTriple, hostGnuTriple, floorEnv, TOOLCHAINS }

if (require.main === module) {
  const triples = process.argv.slice(2)
  try {
    for (const t of triples.length ? triples : [hostTriple()]) {
      if (!t) throw new Error('not a Linux x64 or arm64 host: name a target triple')
      console.log(ensure(t))
    }
  } catch (e) {
    console.error(`cross-toolchain: ${e.message}`)
    process.exitCode = 1
  }
}
