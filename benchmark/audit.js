'use strict'

// `npm run bench:audit`: audit the jellyfin-web lockfile (../shared/data/lockfiles/npm-v3) against
// a loopback registry where every package carries a registry signature and a full attestation
// pair from a SYNTHETIC Sigstore instance (benchmark/synthetic). Compares, in one run:
//   - prov-native audit(), cold (empty cache) and warm (same cache, unchanged tree);
//   - a JS pipeline doing the same checks the way npm does: packument fetch per name (keep-alive),
//     registry signature with node:crypto, attestations fetch, both bundles through
//     @sigstore/verify 3.x, subject name and sha512 checked against the integrity (as pacote).
// Each side runs in its own child process, so its peak RSS is its own.

const { execFile } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const LOCK = process.env.BENCH_LOCKFILE || path.resolve(__dirname, '../../shared/data/lockfiles/npm-v3/jellyfin-web/package-lock.json')
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 32)

async function pool (items, n, fn) {
  let i = 0
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) { const it = items[i++]; await fn(it) }
  }))
}

async function childJs (cfg) {
  const { TrustedRoot } = require('@sigstore/protobuf-specs')
  const { bundleFromJSON } = require('@sigstore/bundle')
  const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify')
  const root = JSON.parse(fs.readFileSync(cfg.trustedRoot, 'utf8'))
  const npmKeys = JSON.parse(fs.readFileSync(cfg.npmKeys, 'utf8')).keys
  const t = performance.now()
  const keyMap = Object.fromEntries(npmKeys.map((k) => [k.keyid, { rawBytes: Buffer.from(k.key, 'base64') }]))
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root), keyMap))
  const pubs = Object.fromEntries(npmKeys.map((k) => [k.keyid, crypto.createPublicKey({ key: Buffer.from(k.key, 'base64'), format: 'der', type: 'spki' })]))
  const byName = new Map()
  for (const p of cfg.packages) {
    if (!byName.has(p.name)) byName.set(p.name, [])
    byName.get(p.name).push(p)
  }
  let verified = 0
  const failures = []
  await pool([...byName.entries()], CONCURRENCY, async ([name, versions]) => {
    const doc = await (await fetch(`${cfg.url}${name.replace('/', '%2f')}`)).json()
    for (const p of versions) {
      try {
        const dist = doc.versions[p.version].dist
        if (dist.integrity !== p.integrity) throw new Error('integrity mismatch')
        const s = dist.signatures[0]
        if (!crypto.verify('sha256', Buffer.from(`${name}@${p.version}:${dist.integrity}`), pubs[s.keyid], Buffer.from(s.sig, 'base64'))) throw new Error('registry signature')
        const att = await (await fetch(dist.attestations.url)).json()
        const hex = Buffer.from(dist.integrity.slice(7), 'base64').toString('hex')
        const purl = `pkg:npm/${name.replace(/^@/, '%40')}@${p.version}`
        for (const a of att.attestations) {
          const bundle = bundleFromJSON(a.bundle)
          verifier.verify(toSignedEntity(bundle))
          const st = JSON.parse(Buffer.from(a.bundle.dsseEnvelope.payload, 'base64').toString('utf8'))
          if (st.predicateType !== a.predicateType) throw new Error('predicate type')
          if (st.subject.length !== 1 || st.subject[0].name !== purl || st.subject[0].digest.sha512 !== hex) throw new Error('subject')
        }
        verified++
      } catch (e) {
        failures.push(`${name}@${p.version}: ${e.message}`)
      }
    }
  })
  return { ms: performance.now() - t, verified, failures: failures.slice(0, 5), failed: failures.length }
}

async function childNative (cfg) {
  const pn = require('..')
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
  const bad = r.packages.filter((p) => p.status !== 'verified').slice(0, 5).map((p) => `${p.name}@${p.version}: ${JSON.stringify(p.problems[0])}`)
  return { ms, verified: r.summary.verified, cached: r.summary.cached, failed: r.packages.length - r.summary.verified, failures: bad }
}

function runChild (mode, cfgFile, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [__filename], { env: { ...process.env, ...env, BENCH_CHILD: mode, BENCH_CFG: cfgFile }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${mode}: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()))
    })
  })
}

async function main () {
  if (process.env.BENCH_CHILD) {
    const cfg = JSON.parse(fs.readFileSync(process.env.BENCH_CFG, 'utf8'))
    const out = process.env.BENCH_CHILD === 'js' ? await childJs(cfg) : await childNative(cfg)
    out.maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024)
    console.log(JSON.stringify(out))
    return
  }
  if (!fs.existsSync(LOCK)) throw new Error(`lockfile not found: ${LOCK} (set BENCH_LOCKFILE)`)
  const { startSyntheticRegistry } = require('./synthetic/registry')
  const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'))
  let t = performance.now()
  const reg = await startSyntheticRegistry(lock)
  const gen = performance.now() - t
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-native-bench-'))
  const cfg = {
    url: reg.url,
    lockfile: LOCK,
    cwd: dir,
    cacheDir: path.join(dir, 'cache'),
    trustedRoot: path.join(dir, 'trusted_root.json'),
    npmKeys: path.join(dir, 'npm-keys.json'),
    packages: reg.packages
  }
  fs.writeFileSync(cfg.trustedRoot, JSON.stringify(reg.trustedRoot))
  fs.writeFileSync(cfg.npmKeys, JSON.stringify(reg.npmKeys))
  // The benchmark tree: the lockfile's registry packages that the synthetic registry attests
  // (sha512 integrity); sha1-only entries cannot carry an attestation.
  const keep = new Set(reg.packages.map((p) => `${p.name}@${p.version}`))
  const sub = { ...lock, packages: {} }
  for (const [k, e] of Object.entries(lock.packages)) {
    const n = e.name || k.slice(k.lastIndexOf('node_modules/') + 13)
    if (k === '' || keep.has(`${n}@${e.version}`)) sub.packages[k] = e
  }
  cfg.lockfile = path.join(dir, 'package-lock.json')
  fs.writeFileSync(cfg.lockfile, JSON.stringify(sub))
  const cfgFile = path.join(dir, 'bench.json')
  fs.writeFileSync(cfgFile, JSON.stringify(cfg))
  // An empty npm cache: neither side reads tarballs from the user's cache.
  const env = { npm_config_cache: path.join(dir, 'npm-cache') }
  try {
    console.log(`${path.relative(process.cwd(), LOCK)}: ${reg.packages.length} registry package versions, each with a SYNTHETIC attestation pair (generated in ${(gen / 1000).toFixed(1)} s); concurrency ${CONCURRENCY}`)
    const js = await runChild('js', cfgFile, env)
    const cold = await runChild('native', cfgFile, env)
    const warm = await runChild('native', cfgFile, env)
    const row = (label, r) => console.log(`${label.padEnd(44)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${String(r.verified).padStart(5)} verified  ${String(r.failed).padStart(4)} failed  peak RSS ${r.maxRssMiB} MiB${r.failures.length ? `  e.g. ${r.failures[0]}` : ''}`)
    row('JS pipeline (fetch + @sigstore/verify 3.x)', js)
    row('prov-native audit, cold', cold)
    row(`prov-native audit, warm (${warm.cached} cached)`, warm)
    console.log(`cold: ${(js.ms / cold.ms).toFixed(1)}x faster than the JS pipeline; warm re-audit ${warm.ms.toFixed(0)} ms`)
  } finally {
    if (process.env.BENCH_KEEP) {
      console.log(`kept ${dir}; registry stopped`)
    } else {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    await reg.close()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
