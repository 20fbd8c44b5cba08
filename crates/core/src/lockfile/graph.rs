//! In which install modes a package is present, from the dependency graph, for lockfiles that
//! do not record `dev` themselves (pnpm, bun).
//!
//! 1. Roots are the workspace projects' direct dependencies: prod, optional or dev.
//! 2. Edges are a package's `dependencies` (and peers) and `optionalDependencies`.
//! 3. One breadth-first walk per mode — everything; `--omit=dev`; `--omit=optional`; both —
//!    marks what that install contains; the four marks make the mask `dedupe` merges.
//!
//! Also the dependency edges every format keeps for the SBOM ([`Dependencies`]): parsers record
//! them between their entries (indices, never names), and `dedupe` turns those into
//! [`Node`]s — a package and one of its install locations.

use super::{IN_FULL, IN_NO_OPT, IN_PROD, IN_PROD_NO_OPT};

/// What kind of dependency an edge is: the field of the dependent's manifest it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepKind {
    Prod,
    Optional,
    Peer,
    /// Only the root project's (and workspace projects') `devDependencies` are installed.
    Dev,
}

impl DepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Prod => "prod",
            DepKind::Optional => "optional",
            DepKind::Peer => "peer",
            DepKind::Dev => "dev",
        }
    }
}

/// One install location: `packages[package].paths[path]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Node {
    pub package: u32,
    pub path: u32,
}

/// The dependency graph between install locations, each edge resolved to the entry the
/// package manager installs for it (npm and node_modules: Node's lookup from the dependent's
/// directory upwards; pnpm: the snapshot key with its peer suffix; yarn: descriptor →
/// resolution; bun: its own lookup over the `packages` keys). Indices only: 20 bytes an edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// The format's edges were read (false: no graph, e.g. a tree built from a list).
    pub recorded: bool,
    /// The root project's direct dependencies, when the lockfile records them (npm v2/v3,
    /// pnpm, yarn berry, bun, node_modules with a package.json); npm v1 and yarn classic do
    /// not, and a caller resolves the manifest's through [`super::Lockfile::direct`].
    pub roots: Option<Vec<(Node, DepKind)>>,
    /// Sorted by source, target; one edge per pair (the first kind in [`DepKind`] order).
    pub edges: Vec<(Node, Node, DepKind)>,
}

impl Dependencies {
    /// The edges out of `from` (a slice of the sorted list).
    pub fn of(&self, from: Node) -> &[(Node, Node, DepKind)] {
        let lo = self.edges.partition_point(|e| e.0 < from);
        let hi = self.edges.partition_point(|e| e.0 <= from);
        self.edges.get(lo..hi).unwrap_or_default()
    }
}

/// What a parser records, between its own entries (indices into its `packages`, each entry
/// with one path, before `dedupe`).
#[derive(Debug, Default)]
pub(super) struct RawDeps {
    pub recorded: bool,
    pub roots: Option<Vec<(u32, DepKind)>>,
    pub edges: Vec<(u32, u32, DepKind)>,
}

impl RawDeps {
    pub(super) fn new(with_roots: bool) -> Self {
        Self {
            recorded: true,
            roots: with_roots.then(Vec::new),
            edges: Vec::new(),
        }
    }

    pub(super) fn edge(&mut self, from: usize, to: usize, kind: DepKind) {
        if from != to {
            self.edges.push((from as u32, to as u32, kind));
        }
    }

    pub(super) fn root(&mut self, to: usize, kind: DepKind) {
        if let Some(r) = &mut self.roots {
            r.push((to as u32, kind));
        }
    }

    /// Into [`Dependencies`] through `map` (entry index → node); dropped when out of range.
    pub(super) fn resolve(self, map: &[Node]) -> Dependencies {
        let at = |i: u32| {
            map.get(i as usize)
                .copied()
                .filter(|n| n.package != u32::MAX)
        };
        let mut edges: Vec<(Node, Node, DepKind)> = self
            .edges
            .into_iter()
            .filter_map(|(f, t, k)| Some((at(f)?, at(t)?, k)))
            .filter(|(f, t, _)| f != t)
            .collect();
        edges.sort();
        edges.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        edges.shrink_to_fit();
        let roots = self.roots.map(|r| {
            let mut r: Vec<(Node, DepKind)> = r
                .into_iter()
                .filter_map(|(t, k)| Some((at(t)?, k)))
                .collect();
            r.sort();
            r.dedup_by(|b, a| a.0 == b.0);
            r
        });
        Dependencies {
            recorded: self.recorded,
            roots,
            edges,
        }
    }
}

/// Node's module lookup: `dep` from the package at `from` (`node_modules/a/node_modules/b`,
/// `""` for the root, a workspace directory), trying `<dir>/node_modules/<dep>` from `from`
/// upwards; `lookup` maps an install path to an entry.
pub(super) fn node_resolve(
    from: &str,
    dep: &str,
    mut lookup: impl FnMut(&str) -> Option<usize>,
) -> Option<usize> {
    let mut base = from;
    let mut cand = String::with_capacity(from.len() + dep.len() + 14);
    loop {
        cand.clear();
        if !base.is_empty() {
            cand.push_str(base);
            cand.push('/');
        }
        cand.push_str("node_modules/");
        cand.push_str(dep);
        if let Some(i) = lookup(&cand) {
            return Some(i);
        }
        if base.is_empty() {
            return None;
        }
        // Up one package: `x/node_modules/a` → `x`; `node_modules/a` or a workspace → root.
        base = match base.rfind("/node_modules/") {
            Some(i) => &base[..i],
            None => "",
        };
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
    Prod,
    Optional,
    Dev,
}

pub(super) struct Graph {
    roots: Vec<(usize, Root)>,
    /// `(to, optional)` per node.
    edges: Vec<Vec<(usize, bool)>>,
}

impl Graph {
    pub(super) fn new(nodes: usize) -> Self {
        Self {
            roots: Vec::new(),
            edges: vec![Vec::new(); nodes],
        }
    }

    pub(super) fn root(&mut self, to: usize, kind: Root) {
        if to < self.edges.len() {
            self.roots.push((to, kind));
        }
    }

    pub(super) fn edge(&mut self, from: usize, to: usize, optional: bool) {
        if to < self.edges.len() {
            if let Some(e) = self.edges.get_mut(from) {
                e.push((to, optional));
            }
        }
    }

    /// The presence mask of every node (0: not reachable at all).
    pub(super) fn masks(&self) -> Vec<u8> {
        let n = self.edges.len();
        let mut masks = vec![0u8; n];
        for (bit, dev, opt) in [
            (IN_FULL, true, true),
            (IN_PROD, false, true),
            (IN_NO_OPT, true, false),
            (IN_PROD_NO_OPT, false, false),
        ] {
            let mut seen = vec![false; n];
            let mut queue: Vec<usize> = self
                .roots
                .iter()
                .filter(|(_, k)| match k {
                    Root::Prod => true,
                    Root::Dev => dev,
                    Root::Optional => opt,
                })
                .map(|(t, _)| *t)
                .collect();
            while let Some(i) = queue.pop() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                masks[i] |= bit;
                for &(t, optional) in &self.edges[i] {
                    if (opt || !optional) && !seen[t] {
                        queue.push(t);
                    }
                }
            }
        }
        masks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::{LockedPackage, Source};

    #[test]
    fn modes() {
        // 0 prod, 1 dev, 2 optional of prod, 3 optional of dev, 4 reached by dev and by an
        // optional edge (npm's devOptional), 5 unreachable.
        let mut g = Graph::new(6);
        g.root(0, Root::Prod);
        g.root(1, Root::Dev);
        g.edge(0, 2, true);
        g.edge(1, 3, true);
        g.edge(1, 4, false);
        g.edge(0, 4, true);
        let m = g.masks();
        let flags: Vec<_> = m
            .iter()
            .map(|&m| {
                let mut p = LockedPackage::new("a", "1", Source::Registry);
                crate::lockfile::set_flags(&mut p, m);
                (p.dev, p.optional, p.dev_optional)
            })
            .collect();
        assert_eq!(
            flags,
            [
                (false, false, false),
                (true, false, false),
                (false, true, false),
                (true, true, false),
                (false, false, true),
                (false, false, false)
            ]
        );
        assert_eq!(m[5], 0);
    }

    #[test]
    fn node_lookup_walks_up() {
        let have = [
            "node_modules/a",
            "node_modules/a/node_modules/b",
            "node_modules/@s/c",
        ];
        let find = |k: &str| have.iter().position(|h| *h == k);
        let from = "node_modules/a/node_modules/b";
        assert_eq!(node_resolve(from, "a", find), Some(0));
        assert_eq!(node_resolve("node_modules/a", "b", find), Some(1));
        assert_eq!(node_resolve("", "b", find), None);
        assert_eq!(node_resolve("packages/w", "@s/c", find), Some(2));
        assert_eq!(node_resolve(from, "zz", find), None);
    }

    #[test]
    fn edges_survive_dedupe_per_location() {
        // b@1 installed twice: two entries that dedupe merges into one package, two paths;
        // each edge keeps its own location.
        let mut v = Vec::new();
        for (n, path) in [
            ("a", "node_modules/a"),
            ("b", "node_modules/b"),
            ("b", "node_modules/a/node_modules/b"),
        ] {
            let mut p = LockedPackage::new(n, "1.0.0", Source::Registry);
            p.paths.push(path.into());
            v.push(p);
        }
        let mut raw = RawDeps::new(true);
        raw.edge(0, 2, DepKind::Prod);
        raw.edge(0, 2, DepKind::Peer);
        raw.edge(0, 0, DepKind::Prod);
        raw.root(0, DepKind::Dev);
        raw.root(1, DepKind::Prod);
        let (pkgs, map) = crate::lockfile::dedupe_mapped(v);
        assert_eq!(pkgs.len(), 2);
        let d = raw.resolve(&map);
        let b = Node {
            package: 1,
            path: 1,
        };
        assert_eq!(pkgs[1].paths[1], "node_modules/a/node_modules/b");
        let a = Node {
            package: 0,
            path: 0,
        };
        assert_eq!(
            d.edges,
            [(a, b, DepKind::Prod)],
            "one edge a pair, no self edge"
        );
        assert_eq!(d.of(a).len(), 1);
        assert!(d.of(b).is_empty());
        assert_eq!(
            d.roots,
            Some(vec![
                (a, DepKind::Dev),
                (
                    Node {
                        package: 1,
                        path: 0
                    },
                    DepKind::Prod
                )
            ])
        );
    }

    /// npm v3: a workspace is not a node; a `file:` link has its target's dependencies; dev
    /// dependencies count only for projects.
    #[test]
    fn npm_links_and_workspaces() {
        let text = r#"{"lockfileVersion": 3, "packages": {
            "": {"workspaces": ["packages/*"], "dependencies": {"x": "file:libs/x"}, "devDependencies": {"y": "^1"}},
            "packages/w": {"name": "w", "dependencies": {"y": "^1"}},
            "node_modules/w": {"resolved": "packages/w", "link": true},
            "libs/x": {"name": "x", "version": "1.0.0", "dependencies": {"y": "^1"}},
            "node_modules/x": {"resolved": "libs/x", "link": true},
            "node_modules/y": {"version": "1.0.0", "devDependencies": {"x": "1"}}
        }}"#;
        let l = crate::lockfile::parse_str("package-lock.json", text).unwrap();
        let at = |path: &str| {
            let (i, p) = l
                .packages
                .iter()
                .enumerate()
                .find(|(_, p)| p.paths.iter().any(|x| x == path))
                .unwrap();
            Node {
                package: i as u32,
                path: p.paths.iter().position(|x| x == path).unwrap() as u32,
            }
        };
        let (x, y) = (at("node_modules/x"), at("node_modules/y"));
        assert_eq!(l.dependencies.edges, [(x, y, DepKind::Prod)]);
        let mut roots = vec![(x, DepKind::Prod), (y, DepKind::Dev)];
        roots.sort();
        assert_eq!(l.dependencies.roots, Some(roots));
    }
}
