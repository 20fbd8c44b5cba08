import type { ProvNativePluginOptions as Options, ProvNativePluginStats as Stats } from './check'

declare function provNative(options?: Options): provNative.ProvNativeVitePlugin
declare namespace provNative {
  export type ProvNativePluginOptions = Options
  export type ProvNativePluginStats = Stats
  /** A Vite plugin (also a Rollup plugin): the structural subset both accept. */
  export interface ProvNativeVitePlugin {
    name: 'prov-native'
    configResolved(config: { root: string; command: 'build' | 'serve' }): void
    buildStart(this: { addWatchFile(id: string): void; warn(message: string): void; error(message: string): never }): Promise<void>
    configureServer(server: unknown): void
  }
  export { provNative as default, provNative }
  /** Verifications and lookups made by every plugin instance in this process. */
  export function stats(): Stats
}
export = provNative
