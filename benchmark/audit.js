'use strict'

// `npm run bench:audit`: audit the jellyfin-web lockfile (testdata/data/lockfiles/npm-v3) against a
// loopback registry (benchmark/synthetic/registry.js) where every registry package version carries
// a registry signature and a full attestation pair (SLSA provenance + npm publish attestation)
// from a SYNTHETIC Sigstore instance (benchmark/synthetic/sigstore.js; cached in
// benchmark/synthetic/.cache/). Compares, in one run, each side in its own child process (so the
// peak RSS is its own):
//
//   JS     the checks `npm audit signatures` makes, the way pacote makes them: one packument per
//          name (full metadata, npm-registry-fetch with an empty cacache when it can be found —
//          npm's own copy — else fetch() with keep-alive), the lockfile integrity against the
//          registry's (pacote's rule: compared where they share an algorithm), the registry
//          signature with node:crypto (createVerify over `${name}@${version}:${integrity}`, PEM key,
//          key expiry at publish time), the attestations fetch, the key-id / expiry checks, the
//          subject name and sha512 against the integrity, and each bundle through
//          @sigstore/verify 3.x (Verifier + toSignedEntity + toTrustMaterial(root, keys)).
//          Conservative for JS: one Verifier built once (npm's sigstore.verify rebuilds its trust
//          material per bundle).
//   native prov-native audit({ lockfile, registry, concurrency, trustedRoot, npmKeys, cacheDir }):
//          cold (empty cacheDir), then warm (same cacheDir, unchanged tree).
//
// Environment:
//   BENCH_LOCKFILE=path        another npm v2/v3 lockfile
//   BENCH_TREE=full|sha512     full (default): every registry entry of the lockfile; sha512: only
//                              entries whose lockfile integrity has a sha512 (those whose binding
//                              lockfile = registry = attestation needs no tarball)
//   BENCH_CONCURRENCY=32       both sides
//   BENCH_JS_FETCH=auto|npm|fetch
//   BENCH_RUNS=1               repeat the three measurements
//   BENCH_SKIP_JS=1            native only
//   BENCH_KEEP=1               keep the temporary directory
//   BENCH_JSON=1               print the results as one JSON line at the end
//   BENCH_BIG=300000           then also: a SYNTHETIC lockfile of this many entries
//                              (benchmark/synthetic/big-lockfile.js, written to a temporary
//                              directory) audited offline as `prov-native audit --offline` does it
//                              (table output), in its own process: time, peak RSS, RSS per entry.
//                              A reported figure, not a pass/fail test. 0 skips it.

const { execFile, execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const ROOT = path.resolve(__dirname, '..')
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 32)

// --- JS side --------------------------------------------------------------------------------

async function pool (items, n, fn) {
  let i = 0
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) { const it = items[i++]; await fn(it) }
  }))
}

// ssri-like parsing: { sha512: [base64...], sha1: [...] }
function parseSri (sri) {
  const out = {}
  for (const part of String(sri || '').trim().split(/\s+/)) {
    const m = /^(sha\d+)-([A-Za-z0-9+/=]+)/.exec(part)
    if (m) (out[m[1]] = out[m[1]] || []).push(m[2])
  }
  return out
}

function httpClient (cfg) {
  if (cfg.npmRegistryFetch) {
    const regFetch = require(cfg.npmRegistryFetch)
    const opts = { registry: cfg.url, cache: path.join(cfg.jsNpmCache, '_cacache'), maxSockets: CONCURRENCY, retry: { retries: 0 } }
    return {
      name: `npm-registry-fetch ${require(path.join(cfg.npmRegistryFetch, 'package.json')).version} (npm's, cacache in an empty cache dir)`,
      json: (url, accept) => regFetch.json(url, { ...opts, headers: accept ? { accept } : {}, integrity: null })
    }
  }
  return {
    name: `fetch() (undici ${process.versions.undici}, keep-alive)`,
    json: async (url, accept) => {
      const res = await fetch(url, { headers: accept ? { accept } : {} })
      if (!res.ok) throw Object.assign(new Error(`${url}: HTTP ${res.status}`), { code: `E${res.status}` })
      return res.json()
    }
  }
}

async function childJs (cfg) {
  const t0 = performance.now()
  const { TrustedRoot } = require('@sigstore/protobuf-specs')
  const { bundleFromJSON } = require('@sigstore/bundle')
  const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify')
  const http = httpClient(cfg)
  const root = JSON.parse(fs.readFileSync(cfg.trustedRoot, 'utf8'))
  const lock = JSON.parse(fs.readFileSync(cfg.lockfile, 'utf8'))
  const packages = lockfilePackages(lock)

  const t = performance.now()
  // npm audit signatures: the registry's keys first (pacote's registryKeys, with pemkey).
  const registryKeys = (await http.json(`${cfg.url}-/npm/v1/keys`)).keys.map((k) => ({ ...k, pemkey: `-----BEGIN PUBLIC KEY-----\n${k.key}\n-----END PUBLIC KEY-----` }))
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root), Object.fromEntries(registryKeys.map((k) => [k.keyid, {
    rawBytes: Buffer.from(k.key, 'base64'),
    validFor: { start: new Date(0), end: k.expires ? new Date(k.expires) : undefined }
  }]))))
  const packuments = new Map() // pacote's packumentCache: one request per name
  const packument = (name) => {
    if (!packuments.has(name)) packuments.set(name, http.json(`${cfg.url}${name.replace('/', '%2f')}`, 'application/json'))
    return packuments.get(name)
  }
  const counts = { verified: 0, lockfileUnbound: 0, failed: 0 }
  const failures = []

  await pool(packages, CONCURRENCY, async (p) => {
    const id = `${p.name}@${p.version}`
    try {
      const doc = await packument(p.name)
      const mani = doc.versions && doc.versions[p.version]
      if (!mani) throw Object.assign(new Error(`${id}: no such version`), { code: 'ETARGET' })
      const dist = mani.dist
      const integrity = dist.integrity || (dist.shasum ? `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}` : null)
      if (!integrity) throw Object.assign(new Error('no integrity'), { code: 'EINTEGRITY' })
      // The lockfile's integrity against the registry's: pacote fails only on a shared algorithm.
      const lockSri = parseSri(p.integrity)
      const regSri = parseSri(integrity)
      const common = Object.keys(lockSri).filter((a) => regSri[a])
      for (const a of common) {
        if (!lockSri[a].some((d) => regSri[a].includes(d))) throw Object.assign(new Error(`lockfile ${p.integrity} vs registry ${integrity}`), { code: 'EINTEGRITY' })
      }
      // Registry signature (pacote, verifySignatures).
      if (!dist.signatures || !dist.signatures.length) throw Object.assign(new Error('no registry signature'), { code: 'ENOSIGNATURE' })
      const message = `${id}:${integrity}`
      for (const signature of dist.signatures) {
        const publicKey = registryKeys.find((k) => k.keyid === signature.keyid)
        if (!publicKey) throw Object.assign(new Error(`no key ${signature.keyid}`), { code: 'EMISSINGSIGNATUREKEY' })
        const published = Date.parse((doc.time && doc.time[p.version]) || '2022-03-01T00:00:00.000Z')
        if (publicKey.expires && !(published < Date.parse(publicKey.expires))) throw Object.assign(new Error('expired key'), { code: 'EEXPIREDSIGNATUREKEY' })
        const v = crypto.createVerify('SHA256')
        v.write(message)
        v.end()
        if (!v.verify(publicKey.pemkey, signature.sig, 'base64')) throw Object.assign(new Error('bad registry signature'), { code: 'EINTEGRITYSIGNATURE' })
      }
      // Attestations (pacote, verifyAttestations), from the registry being audited.
      if (!dist.attestations) throw Object.assign(new Error('no attestations'), { code: 'ENOATTESTATIONS' })
      const attUrl = new URL(new URL(dist.attestations.url).pathname, cfg.url).href
      const { attestations } = await http.json(attUrl)
      const purl = `pkg:npm/${p.name.replace(/^@/, '%40')}@${p.version}`
      const hex = regSri.sha512 ? Buffer.from(regSri.sha512[0], 'base64').toString('hex') : null
      for (const { predicateType, bundle } of attestations) {
        const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))
        const keyid = bundle.dsseEnvelope.signatures[0].keyid
        if (keyid) {
          const publicKey = registryKeys.find((k) => k.keyid === keyid)
          if (!publicKey) throw Object.assign(new Error(`no key ${keyid}`), { code: 'EMISSINGSIGNATUREKEY' })
          const integrated = Number(bundle.verificationMaterial.tlogEntries[0].integratedTime) * 1000
          if (publicKey.expires && !(integrated < Date.parse(publicKey.expires))) throw Object.assign(new Error('expired key'), { code: 'EEXPIREDSIGNATUREKEY' })
        }
        if (statement.predicateType !== predicateType) throw Object.assign(new Error('predicate type'), { code: 'EATTESTATIONSUBJECT' })
        if (statement.subject.length !== 1 || statement.subject[0].name !== purl) throw Object.assign(new Error(`subject ${statement.subject[0].name}`), { code: 'EATTESTATIONSUBJECT' })
        if (statement.subject[0].digest.sha512 !== hex) throw Object.assign(new Error('subject digest'), { code: 'EATTESTATIONSUBJECT' })
        try {
          verifier.verify(toSignedEntity(bundleFromJSON(bundle)))
        } catch (e) {
          throw Object.assign(new Error(`${predicateType}: ${e.message}`), { code: 'EATTESTATIONVERIFY' })
        }
      }
      if (common.length === 0) counts.lockfileUnbound++ // verified, but the lockfile's hash could not be compared
      else counts.verified++
    } catch (e) {
      counts.failed++
      if (failures.length < 5) failures.push(`${id}: ${e.code || ''} ${e.message}`)
    }
  })
  return { ms: performance.now() - t, processMs: performance.now() - t0, total: packages.length, ...counts, failures, client: http.name, sigstoreVerify: require('@sigstore/verify/package.json').version }
}

// The JS side's view of the tree: registry entries of an npm v2/v3 lockfile, once per name@version.
function lockfilePackages (lock) {
  const out = new Map()
  for (const [key, e] of Object.entries(lock.packages || {})) {
    if (!key || e.link || !e.resolved || !e.integrity) continue
    if (!/^https?:\/\/[^/]+\/.*\/-\/[^/]+\.tgz$/.test(e.resolved)) continue
    const name = e.name || key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const id = `${name}@${e.version}`
    const prev = out.get(id)
    if (!prev || (!/sha512-/.test(prev.integrity) && /sha512-/.test(e.integrity))) out.set(id, { name, version: e.version, integrity: e.integrity })
  }
  return [...out.values()]
}

// --- native side ----------------------------------------------------------------------------

async function childNative (cfg) {
  const pn = require(ROOT)
  if (typeof pn.audit !== 'function') return { missing: true }
  const t = performance.now()
  const r = await pn.audit({
    cwd: cfg.cwd,
    lockfile: cfg.lockfile,
    registry: cfg.url,
    trustedRoot: cfg.trustedRoot,
    npmKeys: cfg.npmKeys,
    cacheDir: cfg.cacheDir,
    concurrency: CONCURRENCY
  })
  const ms = performance.now() - t
  const s = r.summary
  const codes = {}
  for (const p of r.packages) {
    if (p.status === 'verified') continue
    const c = `${p.status}:${(p.problems[0] && p.problems[0].code) || (p.skipped && p.skipped[0] && p.skipped[0].check) || '?'}`
    codes[c] = (codes[c] || 0) + 1
  }
  const failures = r.packages.filter((p) => p.status !== 'verified').slice(0, 3)
    .map((p) => `${p.name}@${p.version} ${p.status}: ${JSON.stringify(p.problems[0] || p.skipped)}`)
  return {
    ms,
    total: s.total,
    verified: s.verified,
    unsigned: s.unsigned,
    invalid: s.invalid,
    unverifiable: s.unverifiable,
    cached: s.cached,
    // Packages in `skipped` plus those whose reason is listed once in `skippedReasons`.
    skipped: (s.skipped || []).length + (s.skippedReasons || []).reduce((n, r) => n + r.count, 0),
    codes,
    failures
  }
}

// The CLI's `audit --offline` on cfg.bigLockfile's directory, its output written to a file.
async function childBig (cfg) {
  const { main } = require(path.join(ROOT, 'bin', 'prov-native.js'))
  const fd = fs.openSync(path.join(cfg.bigDir, 'out.txt'), 'w')
  let bytes = 0
  const write = (s) => {
    bytes += s.length + 1
    fs.writeSync(fd, s + '\n')
  }
  process.chdir(cfg.bigDir)
  const t = performance.now()
  const code = await main(['audit', '--offline'], { out: write, err: write })
  const ms = performance.now() - t
  fs.closeSync(fd)
  return { ms, code, outputBytes: bytes }
}

// --- parent ---------------------------------------------------------------------------------

// Each child gets an empty npm cache: no tarball or packument from the user's cache is read.
function runChild (mode, cfgFile, npmCache) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [__filename], { env: { ...process.env, npm_config_cache: npmCache, BENCH_CHILD: mode, BENCH_CFG: cfgFile }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${mode}: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()))
    })
  })
}

// npm's own npm-registry-fetch: a devDependency if installed, else the copy inside the npm that
// runs this script (npm_execpath) or the global one.
function findNpmRegistryFetch () {
  const want = process.env.BENCH_JS_FETCH || 'auto'
  if (want === 'fetch') return null
  const candidates = []
  try { candidates.push(path.dirname(require.resolve('npm-registry-fetch/package.json', { paths: [ROOT] }))) } catch {}
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(path.dirname(process.env.npm_execpath)), 'node_modules', 'npm-registry-fetch'))
  try { candidates.push(path.join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(), 'npm', 'node_modules', 'npm-registry-fetch')) } catch {}
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'package.json')))
  if (!found && want === 'npm') throw new Error('BENCH_JS_FETCH=npm: npm-registry-fetch not found')
  return found || null
}

const mib = (kib) => Math.round(kib / 1024)

async function main () {
  if (process.env.BENCH_CHILD) {
    const cfg = JSON.parse(fs.readFileSync(process.env.BENCH_CFG, 'utf8'))
    const child = { js: childJs, native: childNative, big: childBig }[process.env.BENCH_CHILD]
    const out = await child(cfg)
    out.maxRssMiB = mib(process.resourceUsage().maxRSS)
    console.log(JSON.stringify(out))
    return
  }

  const { loadSet, lockfileFor, DEFAULT_LOCKFILE } = require('./synthetic/set')
  const { startSyntheticRegistry } = require('./synthetic/registry')
  const LOCK = process.env.BENCH_LOCKFILE ? path.resolve(process.env.BENCH_LOCKFILE) : DEFAULT_LOCKFILE
  if (!fs.existsSync(LOCK)) throw new Error(`lockfile not found: ${LOCK} (set BENCH_LOCKFILE)`)
  const set = loadSet(LOCK, { log: console.log })
  const reg = await startSyntheticRegistry(set)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-bench-'))
  const tree = process.env.BENCH_TREE || 'full'
  let lockfile = LOCK
  let sha1Only = set.packages.filter((p) => p.lockSha1Only).length
  if (tree === 'sha512') {
    // Drop the entries whose version the synthetic set had to give a synthetic sha512.
    const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'))
    const drop = new Set(set.packages.filter((p) => p.lockSha1Only).map((p) => `${p.name}@${p.version}`))
    const sub = { ...lock, packages: {} }
    for (const [k, e] of Object.entries(lock.packages)) {
      const n = e.name || k.slice(k.lastIndexOf('node_modules/') + 13)
      if (!drop.has(`${n}@${e.version}`) && !(k && /^sha1-/.test(e.integrity || ''))) sub.packages[k] = e
    }
    lockfile = path.join(dir, 'package-lock.json')
    fs.writeFileSync(lockfile, JSON.stringify(sub, null, 2))
    sha1Only = 0
  } else if (tree === 'full') {
    lockfile = path.join(dir, 'package-lock.json')
    fs.writeFileSync(lockfile, lockfileFor(JSON.parse(fs.readFileSync(LOCK, 'utf8')), set))
  } else throw new Error(`BENCH_TREE=${tree}: full or sha512`)
  const npmRegistryFetch = process.env.BENCH_SKIP_JS ? null : findNpmRegistryFetch()
  const cfgBase = { url: reg.url, lockfile, cwd: dir, trustedRoot: set.files.trustedRoot, npmKeys: set.files.npmKeys, npmRegistryFetch }
  const runs = Number(process.env.BENCH_RUNS || 1)
  const results = []
  const pn = require(ROOT)
  const lockPkgs = lockfilePackages(JSON.parse(fs.readFileSync(lockfile, 'utf8')))
  const locations = Object.keys(JSON.parse(fs.readFileSync(lockfile, 'utf8')).packages).filter(Boolean).length

  const load = os.loadavg()[0]
  console.log(`${path.relative(process.cwd(), LOCK)} (${tree === 'sha512' ? 'entries locked with sha512 only' : 'full tree'}): ${locations} locations, ${lockPkgs.length} registry package versions, each served with a registry signature and a SYNTHETIC attestation pair${sha1Only ? ` (${sha1Only} locked with sha1 only: served as SYNTHETIC tarballs whose sha1 the audited copy of the lockfile carries; their attestations name the registry's sha512, so prov-native downloads and hashes them, the JS pipeline — as npm audit signatures — does not)` : ''}`)
  console.log(`registry ${reg.url} (loopback, keep-alive); concurrency ${CONCURRENCY}; ${os.cpus().length} CPUs, load average ${load.toFixed(1)}${load > os.cpus().length ? '  ** machine busy: timings are not representative **' : ''}`)
  try {
    for (let run = 0; run < runs; run++) {
      const runDir = path.join(dir, `run${run}`)
      fs.mkdirSync(runDir)
      const cfg = { ...cfgBase, cacheDir: path.join(runDir, 'prov-cache'), npmCache: path.join(runDir, 'npm-cache'), jsNpmCache: path.join(runDir, 'npm-cache-js') }
      fs.mkdirSync(cfg.npmCache)
      const cfgFile = path.join(runDir, 'bench.json')
      fs.writeFileSync(cfgFile, JSON.stringify(cfg))
      const measure = async (mode) => {
        reg.resetStats()
        const r = await runChild(mode, cfgFile, mode === 'js' ? cfg.jsNpmCache : cfg.npmCache)
        r.requests = reg.stats()
        return r
      }
      const r = {}
      if (!process.env.BENCH_SKIP_JS) r.js = await measure('js')
      r.cold = await measure('native')
      if (!r.cold.missing) r.warm = await measure('native')
      results.push(r)
      report(r, runs > 1 ? run + 1 : 0)
    }
    const big = Number(process.env.BENCH_BIG ?? 300000)
    if (big > 0) results.push({ big: await measureBig(dir, big) })
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`)
    else fs.rmSync(dir, { recursive: true, force: true })
    await reg.close()
  }
  if (process.env.BENCH_JSON) console.log(JSON.stringify({ lockfile: LOCK, tree, concurrency: CONCURRENCY, loadavg: os.loadavg(), results }))
  if (typeof pn.audit !== 'function') console.log('prov-native has no audit() export yet: JS figures only.')
}

// A large SYNTHETIC tree, offline: how time and memory grow with the lockfile (reported only).
async function measureBig (dir, n) {
  const { writeBigLockfile } = require('./synthetic/big-lockfile')
  const bigDir = path.join(dir, 'big')
  const lockfile = writeBigLockfile(path.join(bigDir, 'package-lock.json'), n)
  const size = fs.statSync(lockfile).size
  fs.writeFileSync(path.join(bigDir, '.npmrc'), 'registry=https://registry.npm.example/\n')
  const cfgFile = path.join(bigDir, 'bench.json')
  fs.writeFileSync(cfgFile, JSON.stringify({ bigDir }))
  const npmCache = path.join(bigDir, 'npm-cache')
  fs.mkdirSync(npmCache)
  const r = await runChild('big', cfgFile, npmCache)
  const rssPerEntry = (r.maxRssMiB * 1024 * 1024) / n
  console.log(`SYNTHETIC lockfile, ${n} entries (${(size / 1e6).toFixed(1)} MB), \`prov-native audit --offline\` (table): ` +
    `${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.maxRssMiB} MiB (${rssPerEntry.toFixed(0)} bytes per entry), exit ${r.code}, ${(r.outputBytes / 1e6).toFixed(1)} MB printed`)
  return { entries: n, lockfileBytes: size, ...r, rssPerEntry }
}

function report (r, run) {
  const sec = (ms) => `${(ms / 1000).toFixed(2).padStart(6)} s`
  const req = (q) => `${String(q.requests).padStart(5)} requests`
  const breakdown = (q) => `requests: ${q.packument} packuments, ${q.notModified} not-modified, ${q.attestations} attestations, ${q.keys} keys, ${q.notFound} not found`
  if (run) console.log(`--- run ${run}`)
  if (r.js) {
    const j = r.js
    console.log(`JS pipeline        cold ${sec(j.ms)}  ${req(j.requests)}  peak RSS ${String(j.maxRssMiB).padStart(4)} MiB  ${j.verified} verified${j.lockfileUnbound ? ` + ${j.lockfileUnbound} verified against the registry's sha512 only (lockfile sha1)` : ''}, ${j.failed} failed of ${j.total}`)
    console.log(`                   ${j.client}; @sigstore/verify ${j.sigstoreVerify}; ${breakdown(j.requests)}`)
    if (j.failures.length) console.log(`                   e.g. ${j.failures[0]}`)
  }
  if (r.cold.missing) return
  for (const [label, n] of [['cold', r.cold], ['warm', r.warm]]) {
    const counts = `${n.verified} verified, ${n.unsigned} unsigned, ${n.invalid} invalid, ${n.unverifiable} unverifiable${n.skipped - n.unverifiable ? `, ${n.skipped - n.unverifiable} not from a registry` : ''}${label === 'warm' ? ` (${n.cached} cached)` : ''}`
    console.log(`prov-native audit  ${label} ${label === 'warm' ? `${n.ms.toFixed(0).padStart(6)} ms` : sec(n.ms)}  ${req(n.requests)}  peak RSS ${String(n.maxRssMiB).padStart(4)} MiB  ${counts}`)
    if (n.requests.requests) console.log(`                   ${breakdown(n.requests)}`)
    if (Object.keys(n.codes).length) console.log(`                   not verified: ${Object.entries(n.codes).map(([c, k]) => `${k} ${c}`).join(', ')}`)
  }
  if (r.js) {
    const ratio = r.js.ms / r.cold.ms
    console.log(`cold: ${ratio.toFixed(1)}x faster than the JS pipeline (target >= 10x: ${ratio >= 10 ? 'met' : 'NOT met'}); warm re-audit ${r.warm.ms.toFixed(0)} ms (target <= 100 ms: ${r.warm.ms <= 100 ? 'met' : 'NOT met'}); peak RSS JS ${r.js.maxRssMiB} MiB, native cold ${r.cold.maxRssMiB} MiB, warm ${r.warm.maxRssMiB} MiB`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
