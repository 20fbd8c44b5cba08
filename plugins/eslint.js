'use strict'

// prov-native/eslint: an ESLint 9 flat-config plugin whose rules read package.json (with
// @eslint/json's JSON language, or jsonc-eslint-parser) and report each finding at the
// dependency's entry in dependencies / devDependencies / optionalDependencies / peerDependencies.
//
// Rules are synchronous, so they never wait for the network: they call `lintSync`, which reads
// the lockfile, the audit's verdict cache and the policy, memoised per process on the
// lockfile's bytes (README: "What the linter can and cannot know").

const path = require('node:path')
const { pathToFileURL } = require('node:url')

const { globMatch } = require('./check')

const PKG = require('../package.json')
const README = pathToFileURL(path.join(__dirname, '..', 'README.md')).href
const SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']
const AUDIT_HINT = 'run `npx prov-native audit` to verify it and fill the cache'

let native = null
// The last result per call (same options), revalidated with `ifNoneMatch` on each lint: an
// unchanged project costs the native key check only, not a copy of the whole result.
const held = new Map()
function lintSync (options) {
  if (!native) native = require('..')
  const id = JSON.stringify(options)
  const last = held.get(id)
  const r = native.lintSync(last ? { ...options, ifNoneMatch: last.key } : options)
  if (r.unchanged && last) return last
  if (held.size > 64) held.clear()
  held.set(id, r)
  return r
}

// The top-level object of a package.json, for either AST: @eslint/json (momoa: Document >
// Object > Member{name, value}) or jsonc-eslint-parser (Program > JSONExpressionStatement >
// JSONObjectExpression > JSONProperty{key, value}).
function topObject (root) {
  if (root.type === 'Document') return root.body
  if (root.type === 'Program') {
    const s = root.body && root.body[0]
    return s && s.expression
  }
  return null
}

function members (obj) {
  if (!obj) return []
  if (obj.type === 'Object') return obj.members.map((m) => ({ key: m.name.type === 'String' ? m.name.value : m.name.name, node: m, value: m.value }))
  if (obj.type === 'JSONObjectExpression') {
    return obj.properties.map((p) => ({ key: p.key.type === 'JSONLiteral' ? String(p.key.value) : p.key.name, node: p, value: p.value }))
  }
  return []
}

// Options: the rule's own object option, over `settings['prov-native']`.
function optionsOf (context) {
  const s = (context.settings && context.settings['prov-native']) || {}
  const o = { ...s, ...((context.options && context.options[0]) || {}) }
  return o
}

// One offline result per package.json per lint pass, shared by the rules (they see the same
// SourceCode object); across passes, `lintSync` revalidates it.
const perPass = new WeakMap()
function load (context) {
  const sc = context.sourceCode
  if (!sc) return loadNow(context)
  const id = JSON.stringify(optionsOf(context))
  let byOptions = perPass.get(sc)
  if (!byOptions) perPass.set(sc, (byOptions = new Map()))
  if (!byOptions.has(id)) byOptions.set(id, loadNow(context))
  return byOptions.get(id)
}

function loadNow (context) {
  const file = context.filename || (context.getFilename && context.getFilename())
  const o = optionsOf(context)
  const dir = path.dirname(path.resolve(file))
  const call = { cwd: dir }
  if (o.policy) call.config = path.resolve(dir, o.policy)
  if (o.registry) call.registry = o.registry
  if (o.cache !== undefined) call.cache = !!o.cache
  if (o.cacheDir) call.cacheDir = o.cacheDir
  if (o.lockfile) call.lockfile = path.resolve(dir, o.lockfile)
  try {
    return { result: lintSync(call), allow: Array.isArray(o.allow) ? o.allow : [] }
  } catch (e) {
    return { error: e, allow: [] }
  }
}

// Where a package.json declares its dependencies: [{ section, sectionNode, key, node }].
function declared (root) {
  const top = members(topObject(root))
  const out = []
  const sections = []
  for (const m of top) {
    if (!SECTIONS.includes(m.key)) continue
    sections.push(m)
    for (const d of members(m.value)) out.push({ section: m.key, sectionNode: m.node, key: d.key, node: d.node })
  }
  return { deps: out, sections, rootNode: topObject(root) }
}

function makeRule ({ name, description, recommended, check, messages }) {
  return {
    meta: {
      type: 'problem',
      docs: { description, recommended, url: `${README}#prov-native${name}` },
      messages,
      schema: [{
        type: 'object',
        properties: {
          policy: { type: 'string' },
          registry: { type: 'string' },
          cache: { type: 'boolean' },
          cacheDir: { type: 'string' },
          lockfile: { type: 'string' },
          allow: { type: 'array', items: { type: 'string' } }
        },
        additionalProperties: false
      }]
    },
    create (context) {
      const file = context.filename || ''
      if (path.basename(file) !== 'package.json') return {}
      const visit = (root) => {
        const d = declared(root)
        if (!d.rootNode) return
        const { result, error, allow } = load(context)
        check({ context, d, result, error, allow: (n) => allow.some((a) => globMatch(a, n)) })
      }
      return { Document: visit, Program: visit }
    }
  }
}

// Findings of one policy rule, each at its dependency (or, transitive, at its section).
function findingsRule (name, policyRule, description) {
  return makeRule({
    name,
    description,
    recommended: true,
    messages: {
      direct: '{{spec}}: {{message}} [policy: {{level}}] ({{evidence}})',
      transitive: '{{spec}} (transitive, in {{lockfile}}): {{message}} [policy: {{level}}] ({{evidence}})'
    },
    check ({ context, d, result, allow }) {
      if (!result) return
      for (const f of result.findings) {
        if (f.rule !== policyRule || allow(f.name)) continue
        const byName = result.packages.filter((p) => p.name === f.name && p.version === f.version)
        const names = new Set([f.name, ...byName.map((p) => p.alias).filter(Boolean)])
        const at = d.deps.filter((x) => names.has(x.key))
        const data = { spec: `${f.name}@${f.version}`, message: f.message, level: f.level, evidence: (f.evidence || []).join('; ') || f.rule, lockfile: path.basename(result.lockfile || '') }
        if (at.length) for (const x of at) context.report({ node: x.node, messageId: 'direct', data })
        else context.report({ node: (d.sections[0] || { node: d.rootNode }).node, messageId: 'transitive', data })
      }
    }
  })
}

const rules = {
  'no-unverified-dependencies': makeRule({
    name: 'no-unverified-dependencies',
    description: 'Every locked dependency has a verified (or unsigned) verdict in prov-native\'s cache',
    recommended: true,
    messages: {
      unknown: '{{spec}} has never been verified: {{reason}}',
      notRegistry: '{{spec}} cannot be verified: {{reason}} (no registry signature or provenance exists for it)',
      notLocked: '{{name}} is not in the lockfile{{where}}: nothing is known about what will be installed',
      transitive: '{{count}} transitive package(s) in {{lockfile}} never verified (e.g. {{examples}}): ' + AUDIT_HINT,
      failed: 'prov-native could not read this project ({{code}}): {{message}}'
    },
    check ({ context, d, result, error, allow }) {
      if (error) {
        context.report({ node: d.rootNode, messageId: 'failed', data: { code: error.code || 'error', message: error.message } })
        return
      }
      const seen = new Set()
      for (const x of d.deps) {
        if (allow(x.key) || x.section === 'peerDependencies') continue
        const locked = result.packages.filter((p) => (p.alias || p.name) === x.key)
        const top = locked.filter((p) => p.top)
        const mine = top.length ? top : locked
        if (!mine.length) {
          context.report({ node: x.node, messageId: 'notLocked', data: { name: x.key, where: result.lockfile ? ` (${path.basename(result.lockfile)})` : ' (the project has no lockfile)' } })
          continue
        }
        for (const p of mine) {
          seen.add(p)
          const spec = `${p.name}@${p.version}`
          if (p.status === 'unknown') context.report({ node: x.node, messageId: 'unknown', data: { spec, reason: `${p.reason}; ${AUDIT_HINT}`.replace(' (run `prov-native audit`);', ';') } })
          else if (p.status === 'notRegistry') context.report({ node: x.node, messageId: 'notRegistry', data: { spec, reason: p.reason } })
        }
      }
      const rest = result.packages.filter((p) => !seen.has(p) && p.status === 'unknown' && !allow(p.name))
      if (rest.length) {
        context.report({
          node: (d.sections[0] || { node: d.rootNode }).node,
          messageId: 'transitive',
          data: { count: rest.length, lockfile: path.basename(result.lockfile || ''), examples: rest.slice(0, 3).map((p) => `${p.name}@${p.version}`).join(', ') }
        })
      }
    }
  }),
  'no-typosquat': findingsRule('no-typosquat', 'typosquat', 'No dependency whose name imitates a popular package (the policy\'s typosquat rule)'),
  'no-known-malware': findingsRule('no-known-malware', 'advisories', 'No dependency version named by a malware advisory (the policy\'s advisories sources)'),
  'no-dependency-confusion': findingsRule('no-dependency-confusion', 'dependencyConfusion', 'No private package resolved from the wrong registry or at a 99.x version (the policy\'s dependencyConfusion rule, by configuration)')
}

const plugin = {
  meta: { name: 'prov-native', version: PKG.version },
  rules,
  configs: {}
}

const RECOMMENDED_RULES = {
  'prov-native/no-unverified-dependencies': 'warn',
  'prov-native/no-typosquat': 'error',
  'prov-native/no-known-malware': 'error',
  'prov-native/no-dependency-confusion': 'error'
}

function tryRequire (id) {
  try { return require(id) } catch { return null }
}

// `recommended`: package.json files with @eslint/json's JSON language (or, without it,
// jsonc-eslint-parser); `recommended-jsonc`: always jsonc-eslint-parser.
Object.defineProperty(plugin.configs, 'recommended', {
  enumerable: true,
  get () {
    const json = tryRequire('@eslint/json')
    if (json) {
      return { name: 'prov-native/recommended', files: ['**/package.json'], plugins: { 'prov-native': plugin, json: json.default || json }, language: 'json/json', rules: { ...RECOMMENDED_RULES } }
    }
    return plugin.configs['recommended-jsonc']
  }
})
Object.defineProperty(plugin.configs, 'recommended-jsonc', {
  enumerable: true,
  get () {
    const parser = tryRequire('jsonc-eslint-parser')
    if (!parser) throw new Error('prov-native/eslint: the recommended config needs @eslint/json or jsonc-eslint-parser (npm install -D @eslint/json)')
    return { name: 'prov-native/recommended-jsonc', files: ['**/package.json'], plugins: { 'prov-native': plugin }, languageOptions: { parser }, rules: { ...RECOMMENDED_RULES } }
  }
})

module.exports = plugin
module.exports.default = plugin
