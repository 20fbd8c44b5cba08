import type { ProvNativePluginOptions, ProvNativePluginStats } from './check'

export type { ProvNativePluginOptions, ProvNativePluginStats }

/** A Vite plugin (also a Rollup plugin): the structural subset both accept. */
export interface ProvNativeVitePlugin {
  name: 'prov-native'
  configResolved(config: { root: string; command: 'build' | 'serve' }): void
  buildStart(this: { addWatchFile(id: string): void; warn(message: string): void; error(message: string): never }): Promise<void>
  configureServer(server: unknown): void
}

declare function provNative(options?: ProvNativePluginOptions): ProvNativeVitePlugin
declare namespace provNative {
  export { provNative as default, provNative }
  export function stats(): ProvNativePluginStats
}
export = provNative
