import type { ProvNativePluginOptions, ProvNativePluginStats } from './check'

export type { ProvNativePluginOptions, ProvNativePluginStats }

/** A webpack 5 plugin: `new ProvNativePlugin(options)` in `plugins`. */
declare class ProvNativePlugin {
  constructor(options?: ProvNativePluginOptions)
  readonly options: Required<Pick<ProvNativePluginOptions, 'mode' | 'failOn' | 'allow' | 'cache'>> & ProvNativePluginOptions
  apply(compiler: any): void
  static stats(): ProvNativePluginStats
}
declare namespace ProvNativePlugin {
  export { ProvNativePlugin as default, ProvNativePlugin }
  export function stats(): ProvNativePluginStats
}
export = ProvNativePlugin
