declare const plugin: {
  meta: { name: 'prov-native'; version: string }
  rules: Record<plugin.ProvNativeRuleName, plugin.ProvNativeRule>
  configs: {
    /** package.json with @eslint/json's JSON language (jsonc-eslint-parser when @eslint/json is not installed). */
    readonly recommended: plugin.ProvNativeFlatConfig
    /** package.json with jsonc-eslint-parser. */
    readonly 'recommended-jsonc': plugin.ProvNativeFlatConfig
  }
}
declare namespace plugin {
  /** Options of each rule (also read from `settings['prov-native']`). */
  export interface ProvNativeRuleOptions {
    /** Policy file, relative to the package.json's directory. */
    policy?: string
    registry?: string
    /** Read the audit's verdict cache. Default true. */
    cache?: boolean
    cacheDir?: string
    /** Lockfile, relative to the package.json's directory. Default: the nearest one upwards. */
    lockfile?: string
    /** Package names or `*` globs whose findings are ignored. */
    allow?: string[]
  }

  export type ProvNativeRuleName =
    | 'no-unverified-dependencies'
    | 'no-typosquat'
    | 'no-known-malware'
    | 'no-dependency-confusion'

  export interface ProvNativeRule {
    meta: { type: 'problem'; docs: { description: string; recommended: boolean; url: string }; messages: Record<string, string>; schema: unknown[] }
    create(context: any): Record<string, (node: any) => void>
  }

  export interface ProvNativeFlatConfig {
    name: string
    files: string[]
    plugins: Record<string, unknown>
    language?: string
    languageOptions?: { parser: unknown }
    rules: Record<string, 'off' | 'warn' | 'error'>
  }
}
export = plugin
