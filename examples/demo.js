'use strict'

// A real verification: sigstore@2.3.1 resolved and downloaded from the registry npm is
// configured to use, its tarball hashed, and its real npm attestations (copied from the public
// registry into this folder, for registries that strip them) verified against that tarball:
// SLSA provenance (Fulcio chain, SCT, DSSE), npm publish attestation (registry key) and the
// Rekor entries (SET, inclusion proof, checkpoint). Where the registry serves
// `dist.signatures`, the registry signature is checked too; a mirror that strips them makes
// the report `unverifiable`, and the report says so.
//
// Exit 0 when every check that could run passed; 1 otherwise.

const path = require('node:path')
const { verify } = require('..')

async function main () {
  const report = await verify('sigstore@2.3.1', {
    attestations: path.join(__dirname, 'sigstore-2.3.1.attestations.json')
  })
  console.log(JSON.stringify({
    status: report.status,
    registry: report.registry,
    version: report.version,
    integrity: report.integrity,
    checks: report.checks,
    provenance: report.provenance,
    problems: report.problems,
    skipped: report.skipped
  }, null, 2))
  const failed = Object.entries(report.checks).filter(([, s]) => s === 'failed')
  const attested = ['integrity', 'provenance', 'publishAttestation', 'transparencyLog'].every((c) => report.checks[c] === 'passed')
  console.log(failed.length === 0 && attested
    ? `\nsigstore@2.3.1: tarball, provenance, publish attestation and transparency log verified; status ${report.status}`
    : '\nsigstore@2.3.1: verification FAILED')
  process.exitCode = failed.length === 0 && attested ? 0 : 1
}

main().catch((e) => {
  console.error(`${e.code || 'error'}: ${e.message}`)
  process.exitCode = 2
})
