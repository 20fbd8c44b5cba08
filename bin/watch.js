'use strict'

// `prov-native watch`: follow packages on their registry; judge every new version when it is
// published. Each round is one native call (watchPoll) that returns the events and the next
// state; this loop emits the events (stdout, --output, --webhook, --exec), THEN writes the
// state file atomically, then sleeps a jittered interval. A crash before the state is written
// repeats the round's events (ids are stable: name@version#rule#n); a crash after loses
// nothing. An outage (429/5xx past the client's retries) leaves that name's state as it was:
// its events come in a later round.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { UsageError, parse, abs, writeAtomic, TREE_INPUT_FLAGS, treeOptions } = require('./cli')

const usage = `Usage: prov-native watch [dir|lockfile] [--config FILE] [--once] [--interval 5m] [--state FILE] [--json]
                         [--packages a,b] [--changes-feed URL] [--webhook URL] [--exec CMD] [--output FILE] [options]

Watches packages for new versions: the policy file's "watch": { "packages": [names, @scope/*, globs] }
(scopes and globs match the lockfile's packages), else the project's direct dependencies. Each new
version is verified (registry signature, attestations, provenance) and judged by the rules that need
no lockfile: provenanceRegression, provenanceContinuity, sourceMatch, installScripts,
publisherChange, manifestConfusion, suspiciousCode, advisories, and verification when a check
fails. One event per finding. The first round records what exists (a baseline) and reports nothing.

  --once                 one round, then exit (0: no error-level event; 1: some)
  --interval DURATION    between rounds (default 5m; 30s, 10m, 1h, or milliseconds), jittered ±10%
  --state FILE           what was seen (default .prov-native-watch.json); written atomically after
                         the round's events are out
  --json                 events as JSON lines (default: one readable line each)
  --packages a,b         watch these names instead
  --changes-feed URL     follow the registry's CouchDB-style changes feed (URL/_changes?since=…; or
                         the policy's "watch": { "changesFeed": URL }): only the names it says changed
                         are asked for, and a new name imitating a watched one is a typosquat event;
                         a feed that fails makes that round poll every name (and says so)
  --output FILE          append each event as a JSON line (fsynced before the state is written)
  --webhook URL          POST each event as JSON (a failure keeps the state: the event comes again)
  --exec CMD             run CMD (through the shell) per event, the event as JSON on stdin
  --rounds N             stop after N rounds
  --registry URL, --attestations-registry URL, --trusted-root FILE, --npm-keys FILE,
  --concurrency N (names at once, default 8), --no-cache, --cache-dir DIR, --fetch-timeout MS

Exit codes: 0 done (or no error-level event with --once); 1 error-level events with --once;
2 usage or configuration error (a state file that does not parse included: it is never replaced).`

function duration (s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s).trim())
  if (!m) throw new UsageError(`--interval ${JSON.stringify(s)}: use 30s, 5m, 1h or milliseconds`)
  const ms = Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[m[2] || 'ms']
  if (!(ms >= 10)) throw new UsageError('--interval must be at least 10 ms')
  return ms
}

function line (e) {
  return `${e.level === 'error' ? 'ERROR' : 'WARN '} ${e.name}@${e.version} ${e.rule}: ${e.message}`
}

async function postJson (url, body) {
  let last
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      if (res.ok) return
      last = new Error(`webhook ${url}: HTTP ${res.status}`)
      if (res.status < 500 && res.status !== 429) break
    } catch (e) {
      last = new Error(`webhook ${url}: ${e.message}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt))
  }
  throw last
}

// watch reads no cache only (--offline would never see a new version).
const { offline: _offline, ...WATCH_TREE_FLAGS } = TREE_INPUT_FLAGS
const options = {
  ...WATCH_TREE_FLAGS,
  config: { type: 'string' },
  once: { type: 'boolean' },
  interval: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  packages: { type: 'string' },
  'changes-feed': { type: 'string' },
  output: { type: 'string' },
  webhook: { type: 'string' },
  exec: { type: 'string' },
  rounds: { type: 'string' }
}

async function run (argv, io) {
  const { values, positionals } = parse(argv, options)
  if (values.help) {
    io.out(usage)
    return 0
  }
  let rounds = Infinity
  if (values.once) rounds = 1
  else if (values.rounds !== undefined) {
    rounds = Number(values.rounds)
    if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError('--rounds must be a positive integer')
  }
  const interval = duration(values.interval || '5m')
  const stateFile = path.resolve(values.state || '.prov-native-watch.json')
  if (values.webhook && !/^https?:\/\//.test(values.webhook)) throw new UsageError('--webhook must be an http(s) URL')
  if (values['changes-feed'] !== undefined && !/^https?:\/\//.test(values['changes-feed'])) throw new UsageError('--changes-feed must be an http(s) URL')
  const packages = values.packages ? values.packages.split(',').map((s) => s.trim()).filter(Boolean) : undefined
  const tree = treeOptions(values, positionals, 'watch')
  const pollOptions = {
    ...tree,
    cwd: process.cwd(),
    config: abs(values.config),
    stateFile,
    packages,
    changesFeed: values['changes-feed'],
    concurrency: tree.concurrency ?? 8
  }
  const { watchPoll } = require('..')
  let stop = false
  const onSignal = () => { stop = true }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let errorEvents = 0
  try {
    for (let n = 0; n < rounds && !stop; n++) {
      if (n > 0) {
        // ±10 % so that many watchers started together do not poll in step.
        const wait = interval * (0.9 + 0.2 * Math.random())
        await new Promise((resolve) => {
          const done = () => { clearTimeout(t); clearInterval(poll); resolve() }
          const t = setTimeout(done, wait)
          const poll = setInterval(() => { if (stop) done() }, 200)
        })
        if (stop) break
      }
      const round = await watchPoll(pollOptions)
      if (round.watched === 0) throw new UsageError('nothing to watch: no "watch.packages" in the policy file, no direct dependencies in package.json, no --packages')
      // 1. Emit, in order.
      const fd = values.output ? fs.openSync(path.resolve(values.output), 'a') : null
      try {
        for (const e of round.events) {
          const json = JSON.stringify(e)
          io.out(values.json ? json : line(e))
          if (fd !== null) fs.writeSync(fd, json + '\n')
          if (values.webhook) await postJson(values.webhook, json)
          if (values.exec) {
            const r = spawnSync(values.exec, { shell: true, input: json, stdio: ['pipe', 'inherit', 'inherit'] })
            if (r.status !== 0) throw new Error(`--exec exited with ${r.status ?? r.signal} for ${e.id}`)
          }
          if (e.level === 'error') errorEvents++
        }
        if (fd !== null) fs.fsyncSync(fd)
      } finally {
        if (fd !== null) fs.closeSync(fd)
      }
      // 2. Only then the state.
      writeAtomic(stateFile, JSON.stringify(round.state) + '\n')
      for (const er of round.errors) io.err(`prov-native watch: ${er.name}: ${er.code}: ${er.message} (kept for the next round)`)
      if (round.baseline.length) io.err(`prov-native watch: baseline recorded for ${round.baseline.length} package(s)`)
      for (const s of round.skipped) io.err(`prov-native watch: not checked: ${s}`)
      const feed = round.feed
      if (feed && feed.fallback) io.err(`prov-native watch: changes feed ${feed.url} failed (${feed.fallback}): polled every name this round; its cursor is kept`)
      if (feed && feed.more) io.err(`prov-native watch: changes feed: more than ${feed.pages} page(s) of changes waiting; the rest next round`)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return values.once && errorEvents > 0 ? 1 : 0
}

module.exports = { usage, options, run, duration }
