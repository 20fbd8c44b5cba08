'use strict'

// prov-native/esbuild: an esbuild plugin. The check runs in `onStart`, so on every build and
// every rebuild of a watch or serve context; it is memoised, so a rebuild with the same
// lockfile does not verify again. Error findings are returned as errors (the build fails),
// warnings as warnings. (esbuild's watcher follows only files the build reads: a change to the
// lockfile alone is seen at the next rebuild.)

const path = require('node:path')
const core = require('./check')

const NAME = 'prov-native'

function provNative (options = {}) {
  const opts = core.normalize(options)
  return {
    name: NAME,
    setup (build) {
      const root = opts.root || build.initialOptions.absWorkingDir || process.cwd()
      build.onStart(async () => {
        const r = await core.run(opts, path.resolve(root))
        const at = r.lockfile ? { file: r.lockfile } : null
        return {
          errors: r.errors.map((text) => ({ text, pluginName: NAME, location: at })),
          warnings: r.warnings.map((text) => ({ text, pluginName: NAME, location: at }))
        }
      })
    }
  }
}

module.exports = provNative
module.exports.default = provNative
module.exports.provNative = provNative
module.exports.stats = core.stats
