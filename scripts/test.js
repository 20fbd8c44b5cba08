'use strict'

// `npm test` after `pretest` built the dev addon: the engine's Rust tests
// (`cargo test --workspace`) and the JavaScript tests (`node --test __test__/`) run side
// by side — the JS tests mostly wait on loopback servers and timeouts, so they overlap the Rust
// build and run. Cargo's output is printed when it ends, in one piece. Exits non-zero when
// either fails.
//
//   node scripts/test.js            both
//   node scripts/test.js rust|js    one of them

const { spawn, execFileSync } = require('node:child_process')
const path = require('node:path')

const { floorEnv } = require('./cross-toolchain')

const ROOT = path.join(__dirname, '..')
const which = process.argv[2] || 'all'

function run (name, cmd, args, { buffer, env = {} }) {
  const t = Date.now()
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: buffer ? ['ignore', 'pipe', 'pipe'] : 'inherit' })
    const out = []
    if (buffer) {
      child.stdout.on('data', (d) => out.push(d))
      child.stderr.on('data', (d) => out.push(d))
    }
    child.on('error', (e) => {
      out.push(Buffer.from(`${cmd}: ${e.message}\n`))
      resolve({ name, code: 127, out, ms: Date.now() - t })
    })
    child.on('close', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), out, ms: Date.now() - t }))
  })
}

// The host triple, as rustc names it (`napi build` passes it as --target).
function hostTriple () {
  const out = execFileSync('rustc', ['-vV'], { encoding: 'utf8' })
  const m = /^host: (\S+)$/m.exec(out)
  if (!m) throw new Error(`rustc -vV names no host:\n${out}`)
  return m[1]
}

async function main () {
  const jobs = []
  if (which === 'all' || which === 'rust') {
    // As `napi build` builds (scripts/build.js): for the host triple named explicitly and in
    // the same environment, so the tests reuse the addon's build of the dependencies.
    const target = ['--target', hostTriple()]
    jobs.push(run('rust', 'cargo', ['test', '--workspace', ...target], { buffer: which === 'all', env: floorEnv() }))
  }
  if (which === 'all' || which === 'js') {
    jobs.push(run('js', process.execPath, ['--test', '--test-concurrency=4', '__test__/'], { buffer: false }))
  }
  if (jobs.length === 0) {
    console.error(`usage: node scripts/test.js [all|rust|js], not ${which}`)
    process.exit(2)
  }
  const results = await Promise.all(jobs)
  for (const r of results) if (r.out.length) process.stdout.write(Buffer.concat(r.out))
  for (const r of results) {
    console.log(`${r.name}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${(r.ms / 1000).toFixed(1)} s`)
  }
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1
}

main()
