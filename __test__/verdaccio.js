'use strict'

// Start Verdaccio (a real npm registry server, from npm) on 127.0.0.1, proxying `uplink`.

const fs = require('node:fs')
const path = require('node:path')
const { tmpdir } = require('./helpers')

async function startVerdaccio (uplink) {
  const dir = tmpdir()
  const config = path.join(dir, 'config.yaml')
  fs.writeFileSync(config, [
    `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
    'uplinks:',
    '  upstream:',
    `    url: ${uplink}`,
    'packages:',
    "  '@*/*':",
    '    access: $all',
    '    proxy: upstream',
    "  '**':",
    '    access: $all',
    '    proxy: upstream',
    'log: { type: stdout, format: pretty, level: fatal }',
    ''
  ].join('\n'))
  const { runServer } = require('verdaccio')
  const app = await runServer(config)
  const server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
    s.once('error', reject)
  })
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      if (server.closeAllConnections) server.closeAllConnections()
    })
  }
}

module.exports = { startVerdaccio }
