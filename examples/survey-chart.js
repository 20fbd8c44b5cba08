'use strict'

// Renders examples/survey-example.svg (the README's chart) from examples/survey-example.json,
// a survey() result of a SYNTHETIC lockfile over the real fixture packages, served by the test
// registry (__test__/registry.js): `node examples/survey-chart.js --refresh` surveys it again
// first. __test__/survey.test.js checks that the committed SVG is what this renders.

const fs = require('node:fs')
const path = require('node:path')
const { svg } = require('../bin/survey')

const JSON_FILE = path.join(__dirname, 'survey-example.json')
const SVG_FILE = path.join(__dirname, 'survey-example.svg')

function render (result) {
  return svg(result, { title: 'Provenance survey: a SYNTHETIC tree of real fixture packages' })
}

async function refresh () {
  const { startRegistry } = require('../__test__/registry')
  const { project, makeTgz } = require('../__test__/helpers')
  const reg = await startRegistry()
  try {
    reg.publish('sigstore', '9.0.0', { tgz: makeTgz({ 'package.json': JSON.stringify({ name: 'sigstore', version: '9.0.0' }) }) })
    const dir = project(reg, ['sigstore@1.0.0', 'tuf-js@1.0.0', 'sigstore@2.3.1', 'sigstore@1.8.0', 'abbrev@2.0.0', 'abbrev@1.1.1', 'has-package-exports@1.3.0', 'sigstore@9.0.0'], (pkgs) => {
      pkgs['node_modules/abbrev'].dev = true
      pkgs['node_modules/has-package-exports'].dev = true
      delete pkgs[''].dependencies['has-package-exports']
    })
    const r = await require('..').survey({ cwd: dir, cache: false })
    // Paths and ports of this run are not part of the example.
    r.source = 'package-lock.json'
    for (const g of r.regressions) g.sourceRepository = g.sourceRepository || null
    const text = JSON.stringify(r, null, 2).split(reg.url).join('http://registry.npm.example/')
    fs.writeFileSync(JSON_FILE, text + '\n')
  } finally {
    await reg.close()
  }
}

async function main () {
  if (process.argv.includes('--refresh')) await refresh()
  fs.writeFileSync(SVG_FILE, render(JSON.parse(fs.readFileSync(JSON_FILE, 'utf8'))))
  console.log(`wrote ${path.relative(process.cwd(), SVG_FILE)}`)
}

module.exports = { render, JSON_FILE, SVG_FILE }

if (require.main === module) main().catch((e) => { console.error(e); process.exitCode = 1 })
