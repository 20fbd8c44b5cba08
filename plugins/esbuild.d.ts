import type { ProvNativePluginOptions, ProvNativePluginStats } from './check'

export type { ProvNativePluginOptions, ProvNativePluginStats }

/** An esbuild plugin (structurally `import('esbuild').Plugin`). */
export interface ProvNativeEsbuildPlugin {
  name: 'prov-native'
  setup(build: any): void
}

declare function provNative(options?: ProvNativePluginOptions): ProvNativeEsbuildPlugin
declare namespace provNative {
  export { provNative as default, provNative }
  export function stats(): ProvNativePluginStats
}
export = provNative
