#!/usr/bin/env node
'use strict'

// prov-native command line: dispatch to one module per command. Exit codes: 0 success, 1 a
// verdict against the input (not verified, findings, blocked), 2 usage or configuration error
// (the message names the `ERR_PROV_…` code).
//
// A command module (bin/<command>.js) exports
//   usage: string                      its --help text, with examples
//   run: async (argv, io) => exitCode  io = { out(s), err(s) }; throws for usage/config errors
// and optionally
//   summary: string                    one line for the command list (else usage's first line)
//   options: object | string[]         its flags (a parseArgs config or names), for "did you mean"
// Adding a command is one line in COMMANDS.

const { UsageError, closest, suggestFlag } = require('./cli')

const wrapper = (manager) => () => {
  const w = require('./wrap')
  return { usage: w.usage, summary: `${w.summary} (${manager})`, run: (argv, io) => w.run(manager, argv, io), passthrough: true }
}

// name → () => module (loaded on use: `prov-native --version` loads no addon).
const COMMANDS = {
  verify: () => require('./verify'),
  audit: () => require('./audit'),
  guard: () => require('./guard'),
  survey: () => require('./survey'),
  watch: () => require('./watch'),
  sbom: () => require('./sbom'),
  sri: () => require('./sri'),
  npm: wrapper('npm'),
  pnpm: wrapper('pnpm'),
  yarn: wrapper('yarn'),
  bun: wrapper('bun'),
  npx: wrapper('npx'),
  pnpx: wrapper('pnpx'),
  bunx: wrapper('bunx')
}

// Commands listed on their own line in the overview; the wrappers share one line.
const WRAPPERS = new Set(['npm', 'pnpm', 'yarn', 'bun', 'npx', 'pnpx', 'bunx'])

function version () {
  return require('../package.json').version
}

function overview () {
  const rows = []
  for (const [name, load] of Object.entries(COMMANDS)) {
    if (WRAPPERS.has(name)) continue
    // A module that cannot even be loaded is still listed (running it reports why).
    let line
    try {
      const m = load()
      line = m.summary || String(m.usage).split('\n')[0]
    } catch (e) {
      line = `(cannot be loaded: ${e && e.code ? e.code : e && e.message})`
    }
    rows.push(`  ${name.padEnd(22)} ${line}`)
  }
  rows.push(`  ${'npm|pnpm|yarn|bun ...'.padEnd(22)} guard what the command adds, then run it`)
  rows.push(`  ${'npx|pnpx|bunx <pkg>'.padEnd(22)} guard the package (and its tree), then run it`)
  return `Usage: prov-native <command> [options]

Verify npm packages natively: tarball integrity, registry signature, npm publish attestation,
SLSA provenance and the Sigstore transparency log; guard installs with a policy.

Commands:
${rows.join('\n')}

  prov-native <command> --help   (or prov-native help <command>) for a command's options
  prov-native --version          the version

Examples:
  prov-native verify sigstore@2.2.0
  prov-native audit
  prov-native guard
  prov-native npm install some-package

Exit codes: 0 success; 1 not verified / findings / blocked; 2 usage or configuration error.`
}

const isHelp = (a) => a === '--help' || a === '-h'

async function main (argv, io) {
  const [cmd, ...rest] = argv
  let mod = null
  try {
    if (cmd === undefined) {
      io.err(overview())
      return 2
    }
    if (isHelp(cmd)) {
      io.out(overview())
      return 0
    }
    if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
      io.out(version())
      return 0
    }
    if (cmd === 'help') {
      if (rest.length === 0) {
        io.out(overview())
        return 0
      }
      const load = COMMANDS[rest[0]]
      if (!load) throw unknownCommand(rest[0])
      io.out(load().usage)
      return 0
    }
    const load = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : null
    if (!load) {
      if (cmd.startsWith('-')) {
        const best = closest(cmd, ['--help', '--version'])
        throw new UsageError(`unknown option ${cmd}${best ? `; did you mean ${best}?` : ''} (options go after the command)`)
      }
      throw unknownCommand(cmd)
    }
    mod = load()
    // `<command> --help` prints the module's usage, whatever the module does with its flags.
    // A wrapped package manager's `--help` is its own, except alone: `prov-native npm --help`.
    const beforeDashes = rest.indexOf('--') === -1 ? rest : rest.slice(0, rest.indexOf('--'))
    if (mod.passthrough ? rest.length === 1 && isHelp(rest[0]) : beforeDashes.some(isHelp)) {
      io.out(mod.usage)
      return 0
    }
    return await mod.run(rest, io)
  } catch (e) {
    const code = e && e.code
    let message = e && e.message
    // An unknown flag, whichever way the module parsed its arguments: suggest the closest one.
    if (mod && (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e instanceof UsageError)) {
      message = suggestFlag(String(message), mod.options) || message
    }
    const shown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 'ERR_PROV_INVALID_ARG' : code
    io.err(`prov-native: ${shown ? `${shown}: ` : ''}${message}`)
    if (e instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`Run prov-native ${mod ? `${cmd} ` : ''}--help for usage.`)
    }
    // Every rejection is a usage or configuration error (bad arguments, files, trust material,
    // npm config; ERR_PROV_INTERNAL: a bug; ERR_PROV_LOAD: the native addon): never a verdict
    // about a package.
    return 2
  }
}

function unknownCommand (cmd) {
  const best = closest(cmd, Object.keys(COMMANDS))
  return new UsageError(`unknown command ${JSON.stringify(cmd)}${best ? `; did you mean ${best}?` : ''}`)
}

module.exports = { main, COMMANDS }

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n')
  }).then((code) => {
    process.exitCode = code
  })
}
