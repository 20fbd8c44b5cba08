/** Options every prov-native plugin takes. */
export interface ProvNativePluginOptions {
  /** Policy file (relative to the project root). Default: `prov-native.config.json`, else
   *  package.json `"prov-native"`, else defaults (as `prov-native guard`). */
  policy?: string
  /** `guard` (default): the project's policy. `audit`: verification only (invalid packages are
   *  errors, unverifiable ones warnings). */
  mode?: 'guard' | 'audit'
  /** `error` (default): error findings fail the build, warnings are shown. `warn`: warnings
   *  fail it too. `never`: everything is shown as a warning. */
  failOn?: 'error' | 'warn' | 'never'
  /** Package names or `*` globs whose findings are ignored. */
  allow?: string[]
  /** Use prov-native's on-disk verdict cache. Default true. */
  cache?: boolean
  /** Registry URL instead of npm's configuration. */
  registry?: string
  /** Project root (where the lockfile is). Default: the tool's root / context, else `process.cwd()`. */
  root?: string
}

/** Counters shared by every plugin instance in the process. */
export interface ProvNativePluginStats {
  /** guard/audit runs (memo misses). */
  verifications: number
  /** checks asked for (hits and misses). */
  lookups: number
}
