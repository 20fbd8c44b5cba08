'use strict'

// sbom(): CycloneDX 1.6 validated against the schema @cyclonedx/cyclonedx-library ships, SPDX
// 2.3 against the official schema vendored in testdata/data/spdx-2.3, on the real lockfiles of
// testdata/data/lockfiles; and the provenance evidence of a SYNTHETIC fixture project (an npm
// v3 lockfile naming fixture packages, served by the loopback registry, which verify).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')
const Ajv = require('ajv')
const addFormats = require('ajv-formats')

const pn = require('..')
const { startRegistry } = require('./registry')
const { project, rejectsWith, tmpdir } = require('./helpers')
const { main } = require('../bin/prov-native')

const DATA = path.resolve(__dirname, '../testdata/data')
const CDX = path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json'))

function cyclonedxValidator () {
  const dir = path.join(CDX, 'res/schema')
  const ajv = new Ajv({ strict: false, allErrors: false })
  addFormats(ajv)
  // Formats ajv-formats lacks: an IRI reference must parse as a URL reference; idn-email as text.
  ajv.addFormat('iri-reference', (s) => { try { return !!new URL(s, 'http://base.invalid/') } catch { return false } })
  ajv.addFormat('idn-email', true)
  // The 1.6 schema refers to the SPDX licence list and JSF by their file names.
  for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
    const sub = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))
    delete sub.$id
    ajv.addSchema(sub, `http://cyclonedx.org/schema/${f}`)
  }
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'bom-1.6.SNAPSHOT.schema.json'), 'utf8'))
  return ajv.compile(schema)
}

function spdxValidator () {
  const ajv = new Ajv({ strict: false, allErrors: false })
  addFormats(ajv)
  return ajv.compile(JSON.parse(fs.readFileSync(path.join(DATA, 'spdx-2.3/spdx-schema.json'), 'utf8')))
}

const validCdx = cyclonedxValidator()
const validSpdx = spdxValidator()

function assertValid (validate, doc, what) {
  const ok = validate(doc)
  assert.ok(ok, `${what}: ${JSON.stringify((validate.errors || []).slice(0, 3))}`)
}

let reg
before(async () => { reg = await startRegistry() })
after(async () => { await reg.close() })

const LOCKFILES = [
  'npm-v3/uptime-kuma/package-lock.json',
  'npm-v2/uptime-kuma/package-lock.json',
  'npm-v1/uptime-kuma/package-lock.json',
  'npm-v2/cyclonedx-demo-package-integrity/package-lock.json',
  'yarn-v1/excalidraw/yarn.lock',
  'yarn-berry/prettier/yarn.lock',
  'npm-v3/jellyfin-web/package-lock.json',
  'pnpm-v9/vue-core/pnpm-lock.yaml',
  'pnpm-v9-multidoc/vue-core/pnpm-lock.yaml',
  'pnpm-v6/vue-core/pnpm-lock.yaml',
  'pnpm-v5.4/vue-core/pnpm-lock.yaml',
  'bun/hono/bun.lock'
]

// The root's direct dependencies from the package.json beside a lockfile: name (an `npm:`
// alias's real name) → kind, the first of dependencies, optional, peer, dev naming it.
function directDeps (lockfile) {
  const pj = JSON.parse(fs.readFileSync(path.join(path.dirname(lockfile), 'package.json'), 'utf8'))
  const out = new Map()
  for (const [field, kind] of [['dependencies', 'prod'], ['optionalDependencies', 'optional'], ['peerDependencies', 'peer'], ['devDependencies', 'dev']]) {
    for (const [n, r] of Object.entries(pj[field] || {})) {
      const real = typeof r === 'string' && r.startsWith('npm:') ? r.slice(4).replace(/(.)@.*$/, '$1') : n
      if (!out.has(n)) out.set(n, { real, kind })
    }
  }
  return out
}

test('CycloneDX 1.6 and SPDX 2.3 of every real lockfile validate against the official schemas', async () => {
  for (const rel of LOCKFILES) {
    const lockfile = path.join(DATA, 'lockfiles', rel)
    const cdx = await pn.sbom({ lockfile, verify: false, cache: false })
    assertValid(validCdx, cdx, `${rel} cyclonedx`)
    assert.equal(cdx.specVersion, '1.6')
    assert.match(cdx.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/)
    assert.match(cdx.metadata.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const refs = cdx.components.map((c) => c['bom-ref'])
    assert.equal(new Set(refs).size, refs.length, `${rel}: bom-refs unique`)
    assert.ok(!refs.includes(cdx.metadata.component['bom-ref']))
    for (const d of cdx.dependencies) for (const r of d.dependsOn) assert.ok(refs.includes(r), `${rel}: dangling ${r}`)
    assert.ok(cdx.components.every((c) => c.purl.startsWith('pkg:npm/')))
    // Every format has the graph: one entry per component and the root, edges out of most
    // packages, and the root depending on each dependency its package.json names.
    const graph = cdx.metadata.properties.find((p) => p.name === 'prov-native:dependency-graph')
    assert.equal(graph.value, 'complete', rel)
    assert.equal(cdx.dependencies.length, refs.length + 1, rel)
    const edges = cdx.dependencies.reduce((n, d) => n + d.dependsOn.length, 0)
    assert.ok(edges > refs.length / 2, `${rel}: ${edges} edges`)
    const direct = directDeps(lockfile)
    const root = cdx.dependencies.find((d) => d.ref === cdx.metadata.component['bom-ref'])
    const byRef = new Map(cdx.components.map((c) => [c['bom-ref'], c.group ? `${c.group}/${c.name}` : c.name]))
    const onRoot = new Set(root.dependsOn.map((r) => byRef.get(r)))
    assert.equal(root.dependsOn.length, direct.size, `${rel}: root edges`)
    for (const [n, { real }] of direct) assert.ok(onRoot.has(real), `${rel}: root -> ${n}`)
    const spdx = await pn.sbom({ lockfile, verify: false, cache: false, format: 'spdx' })
    assertValid(validSpdx, spdx, `${rel} spdx`)
    assert.match(spdx.creationInfo.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const ids = spdx.packages.map((p) => p.SPDXID)
    assert.equal(new Set(ids).size, ids.length, `${rel}: SPDXIDs unique`)
    for (const r of spdx.relationships) {
      assert.ok(r.spdxElementId === 'SPDXRef-DOCUMENT' || ids.includes(r.spdxElementId))
      assert.ok(ids.includes(r.relatedSpdxElement))
    }
    assert.equal(spdx.relationships.length, 1 + edges, `${rel}: one relationship per edge`)
    const dev = spdx.relationships.filter((r) => r.relationshipType === 'DEV_DEPENDENCY_OF')
    assert.equal(dev.length, [...direct.values()].filter((d) => d.kind === 'dev').length, `${rel}: DEV_DEPENDENCY_OF`)
    assert.ok(dev.every((r) => r.relatedSpdxElement === spdx.documentDescribes[0]), `${rel}: dev edges are the root's`)
  }
})

test('npm lockfiles: the dependency graph, dev dependencies, sha512 checksums', async () => {
  const lockfile = path.join(DATA, 'lockfiles/npm-v3/uptime-kuma/package-lock.json')
  const spdx = await pn.sbom({ lockfile, verify: false, cache: false, format: 'spdx', reproducible: true })
  const types = new Set(spdx.relationships.map((r) => r.relationshipType))
  for (const t of ['DESCRIBES', 'DEPENDS_ON', 'DEV_DEPENDENCY_OF']) assert.ok(types.has(t), t)
  const express = spdx.packages.find((p) => p.name === 'express')
  assert.equal(express.checksums[0].algorithm, 'SHA512')
  assert.match(express.checksums[0].checksumValue, /^[0-9a-f]{128}$/)
  assert.equal(spdx.creationInfo.created, '1970-01-01T00:00:00Z')
  const again = await pn.sbom({ lockfile, verify: false, cache: false, format: 'spdx', reproducible: true })
  assert.deepEqual(again, spdx, 'reproducible')
  const cdx = await pn.sbom({ lockfile, verify: false, cache: false, reproducible: true })
  assert.equal(cdx.serialNumber, undefined)
  assert.equal(cdx.metadata.timestamp, undefined)
  assert.ok(cdx.components.some((c) => c.properties && c.properties.some((p) => p.name === 'cdx:npm:package:development')))
  const root = cdx.dependencies.find((d) => d.ref === cdx.metadata.component['bom-ref'])
  assert.ok(root.dependsOn.length > 10)
})

test('a project whose packages verify carries the provenance evidence', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1'])
  const cdx = await pn.sbom({ cwd: dir, cache: false })
  assertValid(validCdx, cdx, 'evidence cyclonedx')
  const props = (c) => Object.fromEntries((c.properties || []).map((p) => [p.name, p.value]))
  const find = (name, version) => cdx.components.find((c) => c.name === name && c.version === version)
  const sig = find('sigstore', '1.0.0')
  const p = props(sig)
  assert.equal(p['prov-native:verdict'], 'verified')
  assert.equal(p['prov-native:check:provenance'], 'passed')
  assert.equal(p['prov-native:check:registry-signature'], 'passed')
  assert.equal(p['prov-native:publish-attestation-verified'], 'true')
  assert.equal(p['prov-native:source-repository'], 'https://github.com/sigstore/sigstore-js')
  assert.match(p['prov-native:source-commit'], /^[0-9a-f]{40}$/)
  assert.equal(p['prov-native:builder'], 'https://github.com/npm/cli@9.4.2')
  const refs = Object.fromEntries(sig.externalReferences.map((r) => [r.type, r.url]))
  assert.equal(refs.vcs, `git+${p['prov-native:source-repository']}#${p['prov-native:source-commit']}`)
  assert.match(refs.attestation, /\/-\/npm\/v1\/attestations\/sigstore@1\.0\.0$/)
  assert.ok(refs.distribution)
  // SLSA v1 provenance names the build run; this version has no registry signature in the
  // fixtures, so it is unverifiable, and says why, while its provenance facts stand.
  const v1 = find('sigstore', '2.3.1')
  const q = props(v1)
  assert.equal(q['prov-native:verdict'], 'unverifiable')
  assert.match(q['prov-native:problems'], /ERR_PROV_REGISTRY_SIGNATURE_MISSING/)
  assert.match(q['prov-native:build-run'], /^https:\/\/github\.com\/sigstore\/sigstore-js\/actions\/runs\/\d+/)
  assert.equal(v1.externalReferences.find((r) => r.type === 'build-system').url, q['prov-native:build-run'])
  assert.notEqual(v1['bom-ref'], sig['bom-ref'])
  const git = props(cdx.components.find((c) => c.name === 'from-git'))
  assert.equal(git['prov-native:verdict'], 'not-verifiable')
  assert.match(git['prov-native:reason'], /git dependency/)
  const spdx = await pn.sbom({ cwd: dir, cache: false, format: 'spdx' })
  assertValid(validSpdx, spdx, 'evidence spdx')
  const s = spdx.packages.find((x) => x.name === 'sigstore' && x.versionInfo === '1.0.0')
  assert.match(s.annotations[0].comment, /prov-native:verdict=verified/)
  assert.match(s.sourceInfo, /at commit [0-9a-f]{40}/)
  assert.ok(s.externalRefs.some((r) => r.referenceType === 'prov-native:attestation'))
})

test('a lockfile entry swapped to another tarball says invalid, with the problem', async () => {
  const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0'], (p) => {
    p['node_modules/sigstore'].integrity = p['node_modules/tuf-js'].integrity
  })
  const cdx = await pn.sbom({ cwd: dir, cache: false })
  const t = Object.fromEntries(cdx.components.find((c) => c.name === 'sigstore').properties.map((p) => [p.name, p.value]))
  assert.equal(t['prov-native:verdict'], 'invalid')
  assert.equal(t['prov-native:check:integrity'], 'failed')
  assert.match(t['prov-native:problems'], /ERR_PROV_INTEGRITY/)
  assert.ok(t['prov-native:reason'])
  assert.equal(t['prov-native:source-commit'], undefined, 'no provenance facts for what did not verify')
})

test('bad arguments reject with codes; the CLI writes a file atomically', async () => {
  await rejectsWith(pn.sbom({ format: 'xml' }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.sbom({ reproducible: 'yes' }), 'ERR_PROV_INVALID_ARG')
  await rejectsWith(pn.sbom({ cwd: tmpdir(), verify: false }), 'ERR_PROV_INVALID_ARG')
  const out = path.join(tmpdir(), 'bom.json')
  const lock = path.join(DATA, 'lockfiles/bun/hono/bun.lock')
  const io = { out: () => {}, err: () => {} }
  assert.equal(await main(['sbom', lock, '--no-verify', '--format', 'spdx', '--output', out, '--reproducible'], io), 0)
  const doc = JSON.parse(fs.readFileSync(out, 'utf8'))
  assert.equal(doc.spdxVersion, 'SPDX-2.3')
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['bom.json'])
  assert.equal(await main(['sbom', lock, '--format', 'xml'], io), 2)
})
