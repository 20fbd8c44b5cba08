'use strict'

// prov-native/webpack: a webpack 5 plugin. The check runs in `beforeRun` (one build) and
// `watchRun` (each rebuild; memoised, so a rebuild with the same lockfile does not verify
// again) — not in `beforeCompile`, which child compilers repeat. Error findings become
// compilation errors, warnings compilation warnings; the lockfile and policy file are file
// dependencies, so watch mode rebuilds (and re-checks) when they change.

const core = require('./check')

const NAME = 'ProvNativePlugin'

class ProvNativePlugin {
  constructor (options = {}) {
    this.options = core.normalize(options)
  }

  apply (compiler) {
    let last = null
    const check = async () => {
      last = await core.run(this.options, this.options.root || compiler.context)
    }
    compiler.hooks.beforeRun.tapPromise(NAME, check)
    compiler.hooks.watchRun.tapPromise(NAME, check)
    // thisCompilation: the compiler's own compilation, not its child compilers'.
    compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
      if (!last) return
      const { WebpackError } = compiler.webpack
      for (const f of last.watchFiles) compilation.fileDependencies.add(f)
      if (last.fresh) compilation.getLogger(NAME).info(last.summary)
      for (const w of last.warnings) {
        const e = new WebpackError(w)
        e.name = 'ProvNativeWarning'
        compilation.warnings.push(e)
      }
      for (const m of last.errors) {
        const e = new WebpackError(m)
        e.name = 'ProvNativeError'
        compilation.errors.push(e)
      }
    })
  }
}

module.exports = ProvNativePlugin
module.exports.default = ProvNativePlugin
module.exports.ProvNativePlugin = ProvNativePlugin
module.exports.stats = core.stats
