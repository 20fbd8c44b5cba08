import type { ProvNativePluginOptions as Options, ProvNativePluginStats as Stats } from './check'

declare function provNative(options?: Options): provNative.ProvNativeEsbuildPlugin
declare namespace provNative {
  export type ProvNativePluginOptions = Options
  export type ProvNativePluginStats = Stats
  /** An esbuild plugin (structurally `import('esbuild').Plugin`). */
  export interface ProvNativeEsbuildPlugin {
    name: 'prov-native'
    setup(build: any): void
  }
  export { provNative as default, provNative }
  /** Verifications and lookups made by every plugin instance in this process. */
  export function stats(): Stats
}
export = provNative
