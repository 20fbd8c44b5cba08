//! In which install modes a package is present, from the dependency graph, for lockfiles that
//! do not record `dev` themselves (pnpm, bun).
//!
//! 1. Roots are the workspace projects' direct dependencies: prod, optional or dev.
//! 2. Edges are a package's `dependencies` (and peers) and `optionalDependencies`.
//! 3. One breadth-first walk per mode — everything; `--omit=dev`; `--omit=optional`; both —
//!    marks what that install contains; the four marks make the mask `dedupe` merges.

use super::{IN_FULL, IN_NO_OPT, IN_PROD, IN_PROD_NO_OPT};

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
}
