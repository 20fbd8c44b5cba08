/** Overall verdict for one package version. */
export type Status = 'verified' | 'unsigned' | 'invalid' | 'unverifiable'

/** `passed`/`failed` ran; `skipped` could not run (see `skipped`); `missing` has nothing to check. */
export type CheckState = 'passed' | 'failed' | 'skipped' | 'missing'

/** Trust material: a path to a JSON file, JSON text, or an object. */
export type JsonSource = string | Buffer | object

export interface VerifyOptions {
  /** Registry URL. Default: npm's configuration for the package's scope. */
  registry?: string
  /** A registry that serves `/-/npm/v1/attestations`, keys and `dist.signatures` when `registry` is a mirror. */
  attestationsRegistry?: string
  /** Attestations from a file path, JSON/JSONL text or an object: an attestations response or bundles. */
  attestations?: JsonSource
  /** The tarball bytes, or a path to them, instead of downloading. */
  tarball?: Buffer | Uint8Array | string
  /** Directory whose `.npmrc` applies. Default: `process.cwd()`. */
  cwd?: string
  /** Sigstore `trusted_root.json` to use instead of the embedded one. */
  trustedRoot?: JsonSource
  /** npm registry keys (`/-/npm/v1/keys` response or TUF `keys.json`) instead of the embedded ones. */
  npmKeys?: JsonSource
  /** Longest one HTTP request may take, in ms, as npm's `fetch-timeout` (which it overrides);
   *  it also caps the connect (10 s) and idle (20 s without a byte) timeouts. Default: npm's
   *  configuration, else 120000. */
  fetchTimeout?: number
  /** Refuse tarballs larger than this. Default 512 MiB. */
  maxTarballBytes?: number
}

export interface Provenance {
  sourceRepository: string | null
  sourceCommit: string | null
  sourceRef: string | null
  workflowPath: string | null
  builderId: string | null
  buildInvocationUrl: string | null
  issuer: string | null
  runnerEnvironment: string | null
  buildTrigger: string | null
  certificateIdentity: string | null
  sourceRepositoryVisibility: string | null
  predicateType: string | null
  buildType: string | null
}

export interface Subject {
  name: string
  digest: Record<string, string>
}

export interface Statement {
  /** The in-toto statement `_type`. */
  type: string
  predicateType: string
  subjects: Subject[]
}

/** Facts about a bundle; produced only after every check on it passed. */
export interface BundleFacts {
  mediaType: string
  signerKind: 'certificate' | 'publicKey'
  certificateIdentity: string | null
  certificateIssuer: string | null
  publicKeyHint: string | null
  /** Rekor integrated time, seconds since the epoch. */
  integratedTime: number | null
  logIndex: string | null
  logId: string | null
  tlogKind: string | null
  inclusionProof: boolean
  certificateVerified: boolean
  sctVerified: boolean
  tlogVerified: boolean
  statement: Statement | null
  /** The SLSA provenance facts. Inside a `Report` or `VerifiedAttestations` this is null: their own
   *  `provenance` holds it (once per package). */
  provenance: Provenance | null
}

export interface VerifyBundleOptions {
  /** The signed artifact's bytes, or a path to it. */
  artifact?: Buffer | Uint8Array | string
  /**
   * The artifact's digest instead of its bytes: `sha256:<hex>` or `sha512:<hex>`. Given with
   * `artifact`, it must be the artifact's digest (`ERR_PROV_INTEGRITY` otherwise).
   */
  digest?: string
  /** Required certificate SAN (exact). */
  certificateIdentity?: string
  /** Required OIDC issuer (exact). */
  certificateIssuer?: string
  /** PEM public key for keyed bundles. */
  publicKey?: string
  trustedRoot?: JsonSource
  npmKeys?: JsonSource
}

export interface Problem {
  /** Stable `ERR_PROV_…` code. */
  code: ErrorCode
  message: string
}

export interface Skipped {
  check: string
  reason: string
}

export interface Checks {
  resolve: CheckState
  integrity: CheckState
  registrySignature: CheckState
  publishAttestation: CheckState
  provenance: CheckState
  transparencyLog: CheckState
}

export interface Report {
  spec: string
  name: string
  version: string | null
  status: Status
  registry: string | null
  /** `dist.integrity` from the packument. */
  integrity: string | null
  /** Integrity computed over the tarball bytes. */
  tarballIntegrity: string | null
  publishedAt: string | null
  provenance: Provenance | null
  provenanceBundle: BundleFacts | null
  publishAttestation: BundleFacts | null
  registrySignature: { keyId: string; keySource: 'embedded' | 'file' | 'registry' } | null
  attestationsSource: string | null
  checks: Checks
  /** Why the package is not verified; empty only when `status` is `verified`. */
  problems: Problem[]
  /** Checks that could not run, and why. */
  skipped: Skipped[]
}

export interface IntegrityCheck {
  /** False only for a real mismatch. */
  match: boolean
  algorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512'
  /** The computed hash, as SRI. */
  actual: string
}

/** Every stable code (crates/core/src/code.rs). */
export type ErrorCode =
  | 'ERR_PROV_INVALID_ARG'
  | 'ERR_PROV_JSON'
  | 'ERR_PROV_SPEC'
  | 'ERR_PROV_CONFIG'
  | 'ERR_PROV_IO'
  | 'ERR_PROV_TOO_LARGE'
  | 'ERR_PROV_TRUST_ROOT'
  | 'ERR_PROV_KEYS'
  | 'ERR_PROV_BUNDLE_PARSE'
  | 'ERR_PROV_BUNDLE_VERSION'
  | 'ERR_PROV_SIGNATURE'
  | 'ERR_PROV_CERTIFICATE'
  | 'ERR_PROV_IDENTITY'
  | 'ERR_PROV_KEY_UNKNOWN'
  | 'ERR_PROV_KEY_EXPIRED'
  | 'ERR_PROV_TLOG_SET'
  | 'ERR_PROV_TLOG_INCLUSION'
  | 'ERR_PROV_TLOG_CHECKPOINT'
  | 'ERR_PROV_TLOG_BODY'
  | 'ERR_PROV_TLOG_UNKNOWN_LOG'
  | 'ERR_PROV_TLOG_MISSING'
  | 'ERR_PROV_TIMESTAMP'
  | 'ERR_PROV_STATEMENT'
  | 'ERR_PROV_PREDICATE_TYPE'
  | 'ERR_PROV_SUBJECT_NAME'
  | 'ERR_PROV_SUBJECT_DIGEST'
  | 'ERR_PROV_SRI'
  | 'ERR_PROV_INTEGRITY'
  | 'ERR_PROV_NOT_FOUND'
  | 'ERR_PROV_NO_MATCHING_VERSION'
  | 'ERR_PROV_MANIFEST_MISMATCH'
  | 'ERR_PROV_NETWORK'
  | 'ERR_PROV_INTERNAL'
  | 'ERR_PROV_LOAD'
  | 'ERR_PROV_REGISTRY_SIGNATURE'
  | 'ERR_PROV_REGISTRY_SIGNATURE_MISSING'
  | 'ERR_PROV_ATTESTATIONS_UNAVAILABLE'
  | 'ERR_PROV_NO_PROVENANCE'
  | 'ERR_PROV_PUBLISH_ATTESTATION_MISSING'
  | 'ERR_PROV_INTEGRITY_MISSING'
  | 'ERR_PROV_INTEGRITY_WEAK'
  | 'ERR_PROV_NOT_VERIFIED'
  | 'ERR_PROV_NOT_VERIFIABLE'

/** An error from prov-native: `code` is stable. */
export interface ProvError extends Error {
  code: ErrorCode
}

export interface VerifyAttestationsOptions {
  /** Package name, e.g. `@scope/name`. */
  name: string
  version: string
  /** The version's SRI (must include sha512), as the registry or lockfile gives it. */
  integrity?: string
  /** The tarball bytes or a path; checked against `integrity` when both are given. */
  tarball?: Buffer | Uint8Array | string
  trustedRoot?: JsonSource
  npmKeys?: JsonSource
}

export interface VerifiedAttestations {
  provenance: Provenance | null
  provenanceBundle: BundleFacts | null
  publishAttestation: BundleFacts | null
}

export interface AuditOptions {
  /** Project directory: its lockfile (or node_modules) and `.npmrc`. Default `process.cwd()`. */
  cwd?: string
  /** A lockfile (or a directory holding one) instead of the one in `cwd` (relative to `cwd`).
   *  npm's configuration (`.npmrc`) is then that project's. */
  lockfile?: string
  registry?: string
  attestationsRegistry?: string
  /** Packages verified at once. Default 32. */
  concurrency?: number
  /** Use the on-disk result cache. Default true. */
  cache?: boolean
  /** Cache directory. Default `<npm cache>/_prov-native`. */
  cacheDir?: string
  /** Make no network request: cached results only, the rest is `unverifiable`. */
  offline?: boolean
  /** Longest one HTTP request may take, in ms, as npm's `fetch-timeout` (which it overrides);
   *  it also caps the connect (10 s) and idle (20 s without a byte) timeouts. Default: npm's
   *  configuration, else 120000. */
  fetchTimeout?: number
  trustedRoot?: JsonSource
  npmKeys?: JsonSource
  /** Called as packages complete: at most every 20 ms, and once when all are done. */
  onProgress?: (done: number, total: number) => void
  /** `full` (default): every report as `verify()` gives it. `brief`: each report holds only
   *  `spec`, `name`, `version`, `status`, `problems` and `provenance` (a `BriefReport`), and
   *  `summary.skipped` only the packages not from a registry (an unverified registry package
   *  is in `packages` with its problems) — about a fifth of the memory for a large tree; the
   *  CLI's table and SARIF use it. (Ignored by `guard`.) */
  detail?: 'full' | 'brief'
}

/** A package report as `audit({ detail: 'brief' })` gives it. */
export type BriefReport = Pick<Report, 'spec' | 'name' | 'version' | 'status' | 'problems' | 'provenance'>

export interface AuditSummary {
  total: number
  verified: number
  unsigned: number
  invalid: number
  unverifiable: number
  /** Packages not verified: not from a registry (git, file, tarball URL, link), or unverifiable
   *  with a reason of their own (a reason several packages share is in `skippedReasons`). */
  skipped: Array<{ name: string; version: string; reason: string }>
  /** Reasons shared by several unverifiable registry packages (a mirror that strips signatures,
   *  a registry that is down), each once with how many packages it stopped; the packages are in
   *  `packages` with their problems. */
  skippedReasons: Array<{ reason: string; count: number }>
  /** Reports served from the cache. */
  cached: number
}

export interface AuditResult {
  lockfile: string
  format: string
  summary: AuditSummary
  /** `BriefReport`s with `detail: 'brief'`. */
  packages: Report[]
}

export interface GuardOptions extends AuditOptions {
  /** Policy file. Default: `prov-native.config.json`, else package.json `"prov-native"`, else defaults. */
  config?: string
  /** The lockfile before this change: a path, or `<rev>:<file>` read with git. Default: the
   *  lockfile at `origin/$GITHUB_BASE_REF` when that is set (a pull request in CI), else at
   *  git `HEAD`. */
  previousLockfile?: string
  /** Read every package's tarball, not only those new or changed since the previous lockfile
   *  (also `PROV_NATIVE_SCAN_ALL=1`). Default false. */
  scanAll?: boolean
}

export interface Finding {
  /** The rule, e.g. `provenanceRegression`, `typosquat`, `dependencyConfusion`. */
  rule: string
  level: 'error' | 'warn'
  name: string
  /** `*` for a finding about every version (an expired exception for a whole name). */
  version: string
  message: string
  evidence: string[]
  /** The exception that allows it (only in `allowed`). */
  allowedBy?: string
}

export interface GuardResult {
  config: string
  lockfile: string
  previousLockfile: string | null
  audit: AuditSummary
  /** Findings no exception allows, errors first. */
  findings: Finding[]
  allowed: Finding[]
  /** What could not be checked, and why. */
  skipped: string[]
  errors: number
  warnings: number
}

export interface LintOptions {
  /** Where the project is looked for: a lockfile there, else in the nearest parent directory
   *  that has one. Default `process.cwd()`. */
  cwd?: string
  /** A lockfile instead (relative to `cwd`). */
  lockfile?: string
  /** Policy file (relative to the project directory). Default as for `guard`. */
  config?: string
  registry?: string
  /** Read the audit's verdict cache. Default true (false: every registry package is `unknown`). */
  cache?: boolean
  cacheDir?: string
  /** The `key` of a result already held: while it is still the answer, `lintSync` returns
   *  `{ key, unchanged: true }` instead of the whole result. */
  ifNoneMatch?: string
}

/** One locked package, as `lintSync` knows it. */
export interface LintPackage {
  name: string
  version: string
  alias?: string
  /** `verified` / `unsigned`: a stored verdict for this exact lockfile entry; `unknown`: none
   *  (never verified here, or its last check did not pass); `notRegistry`: git, file, link,
   *  tarball URL, workspace, bundled. */
  status: 'verified' | 'unsigned' | 'unknown' | 'notRegistry'
  /** Installed at the top of the tree (npm: `node_modules/<name>`). */
  top: boolean
  reason?: string
}

export interface LintResult {
  /** Hash of everything the result depends on (lockfile and policy bytes, options, cache). */
  key: string
  /** Only with `ifNoneMatch`: the held result is still the answer (no other field is set). */
  unchanged?: true
  /** The lockfile read; null when the project has none. */
  lockfile: string | null
  config: string
  cacheDir: string | null
  counts: { total: number; verified: number; unsigned: number; unknown: number; notRegistry: number }
  packages: LintPackage[]
  /** Offline findings (typosquat, advisories, dependencyConfusion) no exception allows, errors first. */
  findings: Finding[]
  allowed: Finding[]
  /** What could not be checked, and why. */
  skipped: string[]
}

export interface InspectTarballOptions {
  /** Whose file naming decides which entry a path ends up with. Default: this process's platform. */
  platform?: 'posix' | 'darwin' | 'windows'
}

/** One file npm leaves in the package directory. */
export interface TarballFile {
  /** Path inside the package directory (`lib/index.js`). */
  path: string
  size: number
  /** `sha512-…` of its bytes. */
  integrity: string
  /** Whether its text was read for the guard's scans. */
  text: boolean
  /** Why its text was not read, when the guard wanted it. */
  unread?: 'too-large-to-read' | 'text-budget' | 'binary' | 'binary-extension'
}

export interface TarballAnomaly {
  /** Path as stored in the tarball, `@<offset>` for a header without one, empty for the archive. */
  path: string
  /** Stable reason (README, "Reading tarballs"). */
  reason: string
  /** `error`: npm's view of a judged file is uncertain; `warning`: a crafted tarball read as npm reads it. */
  severity: 'error' | 'warning' | 'info'
}

/** What npm would extract from a tarball. */
export interface TarballView {
  /** The winning `package.json`. */
  manifest: Record<string, unknown>
  /** First path component of the first file entry (normally `package`). */
  root: string
  files: TarballFile[]
  hasBindingGyp: boolean
  hasGypFile: boolean
  anomalies: TarballAnomaly[]
  /** Bytes of the tar stream. */
  unpackedSize: number
}

export interface SurveyOptions extends Omit<AuditOptions, 'detail' | 'onProgress'> {
  /** A list of names to survey instead of a tree (one per line, `name@version` pins one; a
   *  TSV's first column), each at its `latest` dist-tag. Relative to `cwd`. */
  list?: string
}

export type SurveyClass = 'provenance' | 'attestation' | 'signature' | 'none' | 'unverifiable' | 'invalid'

export interface SurveyCounts {
  total: number
  provenance: number
  attestation: number
  signature: number
  none: number
  unverifiable: number
  invalid: number
}

export interface SurveyResult {
  /** The lockfile or list read. */
  source: string
  /** Lockfile format, or `list`. */
  format: string
  groups: { all: SurveyCounts, direct: SurveyCounts, transitive: SurveyCounts, production: SurveyCounts, dev: SurveyCounts }
  notFromRegistry: number
  /** Packages without provenance whose nearest earlier version with provenance verified. */
  regressions: Array<{ name: string, version: string, lastWithProvenance: string, sourceRepository: string | null }>
  /** Source host and CI system of each verified provenance. */
  builders: Array<{ host: string, ci: string, runner: string | null, count: number }>
  /** Why packages are unverifiable, by code. */
  unverifiable: Array<{ code: ErrorCode, count: number, example: string }>
  /** Set when the registry serves no signing data (a mirror that strips it). */
  mirror: string | null
  /** What could not be checked. */
  skipped: string[]
  cached: boolean
  packages: Array<{ name: string, version: string, class: SurveyClass, direct: boolean, dev: boolean, sourceRepository?: string, reason?: string }>
}

export interface WatchOptions extends Omit<AuditOptions, 'detail' | 'onProgress'> {
  /** Policy file (its `watch.packages` and rules). Default as `guard`. */
  config?: string
  /** The state of the last round (absent: a first round, a baseline). */
  stateFile?: string
  /** Names to watch instead of the policy's `watch.packages` / the direct dependencies. */
  packages?: string[]
  /** A CouchDB-style changes feed (`<url>/_changes?since=…`) to follow instead of polling every
   *  name; default the policy's `watch.changesFeed`. */
  changesFeed?: string
  /** Changes asked per feed request (default 500). */
  changesFeedPageSize?: number
  /** Feed requests per round at most (default 20); more waiting: the rest next round. */
  changesFeedMaxPages?: number
}

export interface WatchState {
  version: 1
  packages: Record<string, { etag: string | null, versions: string[] }>
  /** The changes feed's cursor (a round with a feed). */
  feed?: {
    url: string
    since: string
    /** When this watch began following the feed: older look-alikes are not new. */
    started: string
    recheck: string[]
    suspects: string[]
    /** Look-alike decided → the watched name it imitates. */
    lookalikes: Record<string, string>
  }
}

export interface WatchEvent {
  /** `name@version#rule#n`, stable across rounds. */
  id: string
  name: string
  version: string
  rule: string
  level: 'error' | 'warn'
  message: string
  evidence: string[]
  publishedAt: string | null
  status: 'verified' | 'unsigned' | 'invalid' | 'unverifiable' | null
  /** `typosquat` events (with a changes feed): the watched package the new name imitates. */
  imitates?: string
}

export interface WatchRound {
  /** How many names were watched. */
  watched: number
  events: WatchEvent[]
  /** Store it (atomically) once the events are out. */
  state: WatchState
  errors: Array<{ name: string, code: ErrorCode, message: string }>
  newVersions: string[]
  baseline: string[]
  unchanged: number
  skipped: string[]
  /** What the changes feed did (a round with a feed). */
  feed?: {
    url: string
    since: string | null
    lastSeq: string | null
    pages: number
    changes: number
    polled: number
    more: boolean
    lookalikes: string[]
    /** Why this round polled every name instead (the feed failed); the cursor is kept. */
    fallback: string | null
  }
}

/** Options of `sbom()`: the tree as `audit()` finds it, and the document to write. */
export interface SbomOptions extends Omit<AuditOptions, 'onProgress' | 'detail'> {
  /** Default `cyclonedx` (1.6 JSON); `spdx` writes SPDX 2.3 JSON. */
  format?: 'cyclonedx' | 'spdx'
  /** No serial number and no time (SPDX: the epoch, and a namespace derived from the content). */
  reproducible?: boolean
  /** Run the audit (from its cache when it already ran) and record each package's verdict and
   *  provenance as evidence. Default true; false writes the inventory only, offline. */
  verify?: boolean
}

/** One verdict of `checkSri()`. */
export type SriVerdict =
  | 'match' | 'mismatch' | 'missing-integrity' | 'missing-crossorigin' | 'unpinned'
  | 'file-not-in-npm-tarball' | 'cdn-transformed' | 'not-npm-cdn' | 'templated'
  | 'package-not-verified' | 'unchecked' | 'invalid-importmap'

export interface CheckSriOptions extends Pick<AuditOptions, 'cwd' | 'registry' | 'attestationsRegistry' | 'concurrency' | 'cache' | 'cacheDir' | 'offline' | 'fetchTimeout' | 'trustedRoot' | 'npmKeys'> {
  /** Pages (HTML, Markdown, templates) or directories of them, relative to `cwd`. */
  paths?: string | string[]
  /** Page text given directly (e.g. stdin), reported under `name` (default `<stdin>`). */
  html?: string
  name?: string
  /** Work out the fixes: a diff per page in `fix`. */
  fix?: boolean
  /** With `fix`: write the pages (atomically; a page changed since it was read is not written). */
  write?: boolean
}

export interface SriRow {
  file: string
  line: number
  column: number
  element: 'script' | 'link' | 'importmap-import' | 'importmap-integrity'
  url: string
  integrity?: string
  crossorigin?: string
  /** Every verdict that applies, most important first. */
  verdicts: SriVerdict[]
  message: string
  cdn?: 'jsdelivr' | 'unpkg' | 'jspm' | 'cdnjs'
  /** `name@version`. */
  package?: string
  /** The file inside the npm package that was hashed. */
  npmFile?: string
  hashes?: { sha256: string; sha384: string; sha512: string }
  /** The integrity to use (the strongest algorithm declared; sha384 when none). */
  expected?: string
  /** Whether `fix` may write `expected` (the CDN serves npm's bytes verbatim at this URL). */
  fixable: boolean
}

export interface SriResult {
  rows: SriRow[]
  /** Each package version fetched: `verify()`'s status (or `unchecked`), problems, skipped. */
  packages: Array<{ name: string; version: string; status: string; integrity?: string; problems: Problem[]; skipped: Skipped[] }>
  summary: Partial<Record<SriVerdict, number>>
  files: string[]
  skipped: Array<{ file: string; reason: string }>
  /** References to the site's own files (relative URLs), not checked. */
  local: number
  fix?: {
    pages: Array<{ file: string; diff: string; edits: number; written: boolean }>
    notFixed: Array<{ file: string; line: number; url: string; reason: string }>
  }
}
