#!/usr/bin/env node
'use strict'

// `npm run build`: the release build of the addon. On a Linux glibc target it builds against the
// glibc 2.17 sysroot of @napi-rs/cross-toolchain (`napi build --use-napi-cross`), so the binary
// that `npm test` tests is the one that ships, and it loads on distributions as old as that
// (RHEL/CentOS 7, Debian 8, Ubuntu 14.04). Elsewhere it is a plain `napi build`.
//
//   npm run build [-- <napi build options>]     e.g. -- --target aarch64-unknown-linux-gnu
//                                                     -- --profile dist
//
// Always --platform; --release unless a --profile is given; --use-napi-cross for the linux-gnu
// targets the toolchains cover (x86_64, aarch64) unless another cross mechanism (-x,
// --cross-compile, --use-cross) is asked for. scripts/glibc-floor.js checks the result.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

const toolchain = require('./cross-toolchain')

const CROSS_FLAGS = ['-x', '--cross-compile', '--use-cross', '--use-napi-cross']
const FLOOR_TARGETS = ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu']

function optionValue (args, ...names) {
  for (let i = 0; i < args.length; i++) {
    for (const n of names) {
      if (args[i] === n) return args[i + 1]
      if (args[i].startsWith(`${n}=`)) return args[i].slice(n.length + 1)
    }
  }
  return undefined
}

// This machine's target when it is Linux with glibc (musl and other systems build natively).
function hostGnuTarget () {
  if (process.platform !== 'linux') return null
  const header = process.report && process.report.getReport().header
  if (!header || !header.glibcVersionRuntime) return null
  return toolchain.hostTriple()
}

function napiArgs (argv) {
  const args = ['build', '--platform', ...argv]
  if (optionValue(argv, '--profile') === undefined && !argv.includes('--release') && !argv.includes('-r')) args.push('--release')
  const target = optionValue(argv, '--target', '-t') || process.env.CARGO_BUILD_TARGET || hostGnuTarget()
  let floor = null
  if (FLOOR_TARGETS.includes(target) && toolchain.hostTriple() && !argv.some((a) => CROSS_FLAGS.includes(a))) {
    floor = target
    if (!optionValue(argv, '--target', '-t')) args.push('--target', target)
    args.push('--use-napi-cross')
  }
  return { args, floor }
}

function main (argv) {
  const { args, floor } = napiArgs(argv)
  if (floor) toolchain.ensure(floor)
  const cli = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist', 'cli.js')
  console.log(`napi ${args.join(' ')}`)
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' })
  if (r.error) throw r.error
  return r.status === null ? 1 : r.status
}

module.exports = { napiArgs }

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (e) {
    console.error(`build: ${e.message}`)
    process.exitCode = 1
  }
}
