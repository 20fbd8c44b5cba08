import type { ProvNativePluginOptions as Options, ProvNativePluginStats as Stats } from './check'

/** A webpack 5 plugin: `new ProvNativePlugin(options)` in `plugins`. */
declare class ProvNativePlugin {
  constructor(options?: Options)
  readonly options: Options
  apply(compiler: any): void
}
declare namespace ProvNativePlugin {
  export type ProvNativePluginOptions = Options
  export type ProvNativePluginStats = Stats
  export { ProvNativePlugin as default, ProvNativePlugin }
  /** Verifications and lookups made by every plugin instance in this process. */
  export function stats(): Stats
}
export = ProvNativePlugin
