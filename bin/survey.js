'use strict'

// `prov-native survey`: how much of a tree (or of a list of packages) publishes with provenance.
// Table (default), --json, --svg FILE (stacked bars, each segment named in its own colour, so
// the chart reads without a legend).

const path = require('node:path')

const { UsageError, parse, abs, writeAtomic, TREE_INPUT_FLAGS, treeOptions } = require('./cli')

const usage = `Usage: prov-native survey [dir|lockfile] [--list FILE] [--json] [--svg FILE] [options]

What share of the packages publish with verified SLSA provenance, with a publish attestation
only, with a registry signature only, or with nothing; direct vs transitive and production vs
dev; the packages that used to publish with provenance and no longer do; where the provenance
says they were built. Uses audit's verification and cache.

  --list FILE                    names to survey (one per line, name@version pins one; a TSV's
                                 first column) at their latest versions, instead of a tree
  --json                         the whole result as JSON
  --svg FILE                     write a stacked-bar chart of the shares
  --registry URL, --attestations-registry URL, --trusted-root FILE, --npm-keys FILE,
  --concurrency N, --no-cache, --cache-dir DIR, --offline, --fetch-timeout MS (as audit)

Behind a mirror that strips signatures and attestations every package is "unverifiable" and the
result's "mirror" says so: pass --attestations-registry to take signing data from a registry
that has it.

Exit codes: 0 surveyed; 2 usage or configuration error.`

const CLASSES = ['provenance', 'attestation', 'signature', 'none', 'unverifiable', 'invalid']
const LABEL = {
  provenance: 'provenance',
  attestation: 'attestation only',
  signature: 'signature only',
  none: 'nothing',
  unverifiable: 'unverifiable',
  invalid: 'invalid'
}
// Colour-blind-safe (Okabe–Ito), dark enough for white text where a label fits inside.
const COLOR = {
  provenance: '#009E73',
  attestation: '#0072B2',
  signature: '#56B4E9',
  none: '#E69F00',
  unverifiable: '#999999',
  invalid: '#D55E00'
}
const GROUPS = [['all', 'all packages'], ['direct', 'direct'], ['transitive', 'transitive'], ['production', 'production'], ['dev', 'dev']]

const pct = (n, t) => (t ? `${((100 * n) / t).toFixed(1)}%` : '-')

function table (r) {
  const lines = []
  lines.push(`${r.source} (${r.format})${r.cached ? ' [cached]' : ''}`)
  const head = ['', ...CLASSES.map((c) => LABEL[c]), 'total']
  const rows = GROUPS.map(([k, label]) => {
    const c = r.groups[k]
    return [label, ...CLASSES.map((cl) => c[cl] ? `${c[cl]} ${pct(c[cl], c.total)}` : '0'), String(c.total)]
  })
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
  const fmt = (row) => row.map((s, i) => (i === 0 ? s.padEnd(w[i]) : s.padStart(w[i]))).join('  ')
  lines.push(fmt(head), ...rows.map(fmt))
  if (r.notFromRegistry) lines.push(`${r.notFromRegistry} not from a registry (git, file, links, bundled): not surveyed`)
  if (r.mirror) lines.push('', `MIRROR: ${r.mirror}`)
  const invalid = r.packages.filter((p) => p.class === 'invalid')
  if (invalid.length) {
    lines.push('', 'INVALID (a check ran and failed):')
    for (const p of invalid) lines.push(`  ${p.name}@${p.version}  ${p.reason || ''}`)
  }
  if (r.unverifiable.length) {
    lines.push('', 'unverifiable, by reason:')
    for (const u of r.unverifiable) lines.push(`  ${String(u.count).padStart(6)}  ${u.code} (e.g. ${u.example})`)
  }
  lines.push('', `used to publish with provenance, no longer do: ${r.regressions.length}`)
  for (const g of r.regressions) lines.push(`  ${g.name}@${g.version} (last with provenance: ${g.lastWithProvenance}${g.sourceRepository ? `, ${g.sourceRepository}` : ''})`)
  if (r.builders.length) {
    lines.push('', 'built on (verified provenance):')
    for (const b of r.builders) lines.push(`  ${String(b.count).padStart(6)}  ${b.host} · ${b.ci}${b.runner ? ` (${b.runner})` : ''}`)
  }
  if (r.skipped.length) {
    lines.push('', 'not checked:')
    for (const s of r.skipped) lines.push(`  ${s}`)
  }
  return lines.join('\n')
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

// One bar per group; each segment is a <rect> with data-class/data-count and a <title>; the
// segment's name and share are written inside it when they fit, else in the line of labels
// under the bar in the segment's colour. No legend needed.
function svg (r, { title } = {}) {
  const W = 760
  const X = 110
  const BW = W - X - 20
  const BH = 26
  const ROW = 64
  const top = 48
  const H = top + GROUPS.length * ROW + 20
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  const t = title || `Provenance survey: ${path.basename(path.dirname(r.source)) || r.source} (${r.groups.all.total} packages)`
  out.push(`<text x="10" y="22" font-size="15" font-weight="bold" fill="#222">${esc(t)}</text>`)
  if (r.mirror) out.push(`<text x="10" y="38" fill="#D55E00">registry serves no signing data (mirror): every package unverifiable</text>`)
  GROUPS.forEach(([k, label], i) => {
    const c = r.groups[k]
    const y = top + i * ROW
    out.push(`<g class="bar" data-group="${k}" data-total="${c.total}">`)
    out.push(`<text x="10" y="${y + 17}" fill="#222">${esc(label)}</text>`)
    out.push(`<text x="10" y="${y + 31}" fill="#666" font-size="10">${c.total} pkgs</text>`)
    let x = X
    const outside = []
    for (const cl of CLASSES) {
      const n = c[cl]
      if (!n) continue
      const w = (BW * n) / c.total
      out.push(`<rect class="seg" data-class="${cl}" data-count="${n}" x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${BH}" fill="${COLOR[cl]}"><title>${esc(`${label}: ${LABEL[cl]} ${n} (${pct(n, c.total)})`)}</title></rect>`)
      const text = `${LABEL[cl]} ${pct(n, c.total)}`
      if (w > text.length * 6.6 + 8) {
        out.push(`<text x="${(x + 4).toFixed(2)}" y="${y + 17}" fill="#ffffff">${esc(text)}</text>`)
      } else outside.push([cl, `${LABEL[cl]} ${n} (${pct(n, c.total)})`])
      x += w
    }
    if (c.total === 0) out.push(`<rect x="${X}" y="${y}" width="${BW}" height="${BH}" fill="none" stroke="#ccc"/><text x="${X + 4}" y="${y + 17}" fill="#666">no packages</text>`)
    let lx = X
    for (const [cl, text] of outside) {
      out.push(`<text class="label" data-class="${cl}" x="${lx.toFixed(2)}" y="${y + BH + 14}" fill="${COLOR[cl]}" font-weight="bold">${esc(text)}</text>`)
      lx += text.length * 6.6 + 14
    }
    out.push('</g>')
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

const options = {
  ...TREE_INPUT_FLAGS,
  list: { type: 'string' },
  json: { type: 'boolean' },
  svg: { type: 'string' }
}

async function run (argv, io) {
  const { values, positionals } = parse(argv, options)
  if (values.help) {
    io.out(usage)
    return 0
  }
  if (positionals.length && values.list) throw new UsageError('--list replaces the tree: give one or the other')
  const { survey } = require('..')
  const result = await survey({
    ...treeOptions(values, positionals, 'survey'),
    cwd: process.cwd(),
    list: abs(values.list)
  })
  if (values.svg) writeAtomic(path.resolve(values.svg), svg(result))
  io.out(values.json ? JSON.stringify(result, null, 2) : table(result))
  return 0
}

module.exports = { usage, options, run, svg, table }
