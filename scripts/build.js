#!/usr/bin/env node
'use strict'

// Builds the addon with `napi build --platform <options>`. On a Linux glibc x64/arm64 machine the
// build for the machine itself compiles and links against the glibc 2.17 sysroot of
// @napi-rs/cross-toolchain (scripts/cross-toolchain.js `floorEnv`), so the binary `npm test`
// tests loads on distributions as old as that (RHEL/CentOS 7, Debian 8, Ubuntu 14.04); a
// `--target` of the other linux-gnu architecture goes through `--use-napi-cross`. Elsewhere it is
// a plain `napi build`. scripts/glibc-floor.js checks the result.
//
//   node scripts/build.js                       dev profile (what npm test builds)
//   node scripts/build.js --release             npm run build
//   node scripts/build.js --profile dist        npm run build:dist (published binaries)
//   node scripts/build.js --release --target aarch64-unknown-linux-gnu

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

// The napi arguments and extra environment for `argv`.
function plan (argv) {
  const args = ['build', '--platform', ...argv]
  const target = optionValue(argv, '--target', '-t')
  const host = toolchain.hostGnuTriple()
  if (argv.some((a) => CROSS_FLAGS.includes(a))) return { args, env: {} }
  if (!target || target === host) return { args, env: toolchain.floorEnv() }
  if (FLOOR_TARGETS.includes(target) && toolchain.hostTriple()) {
    toolchain.ensure(target)
    return { args: [...args, '--use-napi-cross'], env: {} }
  }
  return { args, env: {} }
}

function main (argv) {
  const { args, env } = plan(argv)
  const cli = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist', 'cli.js')
  console.log(`napi ${args.join(' ')}${Object.keys(env).length ? ' (glibc 2.17 toolchain)' : ''}`)
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, ...env } })
  if (r.error) throw r.error
  return r.status === null ? 1 : r.status
}

module.exports = { plan }

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (e) {
    console.error(`build: ${e.message}`)
    process.exitCode = 1
  }
}
