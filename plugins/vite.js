'use strict'

// prov-native/vite: a Vite plugin that is also a Rollup plugin. The check runs in
// `buildStart` (memoised: a rebuild with the same lockfile does not verify again); error
// findings fail the build through `this.error`, warnings go through `this.warn`; the lockfile
// and policy file are watch files, so watch mode re-checks when they change. In Vite's dev
// server the check runs once in `configureServer` (and again when the lockfile changes): its
// result goes to the terminal and, for errors, to Vite's error overlay.

const core = require('./check')

const NAME = 'prov-native'

function provNative (options = {}) {
  const opts = core.normalize(options)
  let root = opts.root
  let serving = false
  return {
    name: NAME,
    // Vite only.
    configResolved (config) {
      if (!root) root = config.root
      serving = config.command === 'serve'
    },
    async buildStart () {
      // The dev server checks once, in configureServer (buildStart runs per environment).
      if (serving) return
      const r = await core.run(opts, root)
      for (const f of r.watchFiles) this.addWatchFile(f)
      for (const w of r.warnings) this.warn(w)
      // The summary (with what was not checked), once per check, where the bundler has this.info.
      if (r.fresh && !r.errors.length && typeof this.info === 'function') this.info(r.summary)
      if (r.errors.length) this.error(`${r.errors.join('\n')}\n${r.summary}`)
    },
    // Vite only.
    configureServer (server) {
      const logger = server.config.logger
      let watched = new Set()
      const check = async () => {
        let r
        try {
          r = await core.run(opts, root || server.config.root)
        } catch (e) {
          logger.error(`prov-native: ${e.message}`)
          return
        }
        for (const f of r.watchFiles) {
          if (!watched.has(f)) server.watcher.add(f)
        }
        watched = new Set(r.watchFiles)
        for (const w of r.warnings) logger.warn(w, { timestamp: true })
        if (r.errors.length) {
          const message = r.errors.join('\n')
          logger.error(message, { timestamp: true })
          // Vite keeps an error sent with no client connected and sends it to the next one.
          server.ws.send({ type: 'error', err: { message, stack: '', plugin: NAME, id: r.lockfile || undefined } })
        } else if (!r.warnings.length) {
          logger.info(r.summary, { timestamp: true })
        }
      }
      server.watcher.on('change', (file) => { if (watched.has(file)) check() })
      server.watcher.on('add', (file) => { if (watched.has(file)) check() })
      // Started here, not awaited: the server does not wait for the network.
      check()
    }
  }
}

module.exports = provNative
module.exports.default = provNative
module.exports.provNative = provNative
module.exports.stats = core.stats
