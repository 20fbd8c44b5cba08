//! `installScripts`: install hooks (the tarball's own when it was read, with `binding.gyp`)
//! that the version to compare with did not have: the previous lockfile's version when it
//! differs, else the version published just before (for a stable version, the stable one
//! before it). Packages in `allow` may have any. For a remote tarball dependency there is no
//! history: every hook is reported ([`non_registry`]).

use super::Package;
use crate::lockfile::LockedPackage;
use crate::policy::history::manifest;
use crate::policy::{glob_allow, Config, Finding, Level, Outcome, RuleId, RuleOptions};
use serde_json::Value;

const RULE: RuleId = RuleId::InstallScripts;

/// The rule's options.
pub struct Options<'a> {
    /// Packages allowed to have install scripts (names, scopes, globs).
    pub allow: &'a [String],
}

impl<'a> From<&'a RuleOptions> for Options<'a> {
    fn from(o: &'a RuleOptions) -> Self {
        Self {
            allow: o.allow.as_deref().unwrap_or_default(),
        }
    }
}

impl Options<'_> {
    fn allows(&self, name: &str) -> bool {
        self.allow.iter().any(|p| glob_allow(p, name))
    }
}

/// The version the hooks are compared with, and how it was chosen.
type Baseline = Option<(String, &'static str)>;

/// Install commands that run a well-known build tool rather than a file of the package. A new
/// one is still reported by `installScripts` (node-gyp runs whatever `binding.gyp` says); the
/// finding says it is one of these.
pub const WELL_KNOWN_BUILD_COMMANDS: &[&str] = &[
    "node-gyp rebuild",
    "node-gyp-build",
    "node-gyp-build-optional-packages",
    "prebuild-install",
    "prebuild-install || node-gyp rebuild",
    "prebuild-install --runtime napi || node-gyp rebuild",
    "node-pre-gyp install --fallback-to-build",
    "node-pre-gyp install --fallback-to-build --update-binary",
    "opencollective-postinstall",
    "opencollective-postinstall || true",
    "opencollective-postinstall || exit 0",
];

/// The install hooks of a tarball as npm runs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarballHooks {
    /// `(hook, command)`, from the tarball's package.json plus npm's implied
    /// `install: node-gyp rebuild` for a `binding.gyp` (only without `install`/`preinstall`).
    pub hooks: Vec<(String, String)>,
    /// The `install` hook is the one `binding.gyp` implies.
    pub binding_gyp_implied: bool,
}

impl TarballHooks {
    /// The hooks of a read tarball (`signals::manifest::install_scripts` with its `binding.gyp`).
    pub fn of(pkg: &crate::npm::tarball::Package) -> Self {
        let hooks = crate::signals::manifest::install_scripts(&pkg.manifest, pkg.has_binding_gyp);
        let explicit = crate::signals::manifest::install_scripts(&pkg.manifest, false);
        Self {
            binding_gyp_implied: hooks.len() > explicit.len(),
            hooks,
        }
    }
}

fn hooks_text(h: &[(String, String)]) -> String {
    h.iter()
        .map(|(h, c)| format!("{h}: {c}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn squash_blanks(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The install hooks a packument version manifest declares; `None` when they are unknown (an
/// abbreviated manifest that says `hasInstallScript`). With `gypfile: true` and neither
/// `install` nor `preinstall`, npm's implied `install: node-gyp rebuild` is one of them.
fn manifest_hooks(m: &Value) -> Option<Vec<(String, String)>> {
    if crate::signals::manifest::is_abbreviated(m) {
        return (m.get("hasInstallScript") != Some(&Value::Bool(true))).then(Vec::new);
    }
    let gyp = m.get("gypfile") == Some(&Value::Bool(true));
    Some(crate::signals::manifest::install_scripts(m, gyp))
}

pub fn check(cfg: &Config, p: &Package, out: &mut Outcome) {
    let (lvl, o) = cfg.rule(RULE, p.name);
    if lvl == Level::Off || Options::from(o).allows(p.name) {
        return;
    }
    let (i, m, version) = (p.i, p.manifest, p.version);
    let (cur, cur_from) = match (i.tarball_hooks, m) {
        (Some(t), _) => (
            Some(t.hooks.clone()),
            if t.binding_gyp_implied {
                "the tarball (install: node-gyp rebuild implied by its binding.gyp)"
            } else {
                "the tarball's package.json"
            },
        ),
        (None, Some(m)) => (manifest_hooks(m), "the registry manifest"),
        (None, None) => (None, ""),
    };
    // Without the previous lockfile: the release published before. For a stable version
    // that is the previous stable one, so a decoy prerelease with the same hook published
    // just before cannot make the hook look old.
    let prerelease =
        nodejs_semver::Version::parse(version).map_or(true, |v| !v.pre_release.is_empty());
    let baseline = match i.previous_version {
        Some(pv) if pv != version => Some((pv.to_string(), "in the previous lockfile")),
        _ => p
            .previous_by_time(prerelease)
            .map(|v| (v, "published before")),
    };
    if i.packument.is_none() {
        out.note(p, RULE, p.no_packument());
    } else if i.tarball_hooks.is_none() && m.is_none() {
        // Nothing says which hooks this version has: not "new", not "none".
        out.note(
            p,
            RULE,
            "this version is not in the packument and its tarball was not read".into(),
        );
    } else if let Some(cur) = cur {
        known(p, lvl, &cur, cur_from, &baseline, out);
    } else {
        unknown(p, lvl, &baseline, out);
    }
}

/// The current hooks are known (`cur`, read from `cur_from`): report those the baseline did
/// not have.
fn known(
    p: &Package,
    lvl: Level,
    cur: &[(String, String)],
    cur_from: &str,
    baseline: &Baseline,
    out: &mut Outcome,
) {
    let prev = match baseline {
        None => Some(Some(Vec::new())),
        Some((v, _)) => manifest(p.i.packument, v).map(manifest_hooks),
    };
    let prev = match prev {
        None => {
            return out.note(
                p,
                RULE,
                "the version to compare with is not in the packument".into(),
            )
        }
        Some(None) if !cur.is_empty() => {
            return out.note(
                p,
                RULE,
                "the previous version's hooks are unknown (abbreviated manifest)".into(),
            )
        }
        Some(None) => return,
        Some(Some(prev)) => prev,
    };
    let new: Vec<(String, String)> = cur
        .iter()
        .filter(|(h, c)| {
            !prev
                .iter()
                .any(|(ph, pc)| ph == h && squash_blanks(pc) == squash_blanks(c))
        })
        .cloned()
        .collect();
    if new.is_empty() {
        return;
    }
    let name = p.name;
    let before = match baseline {
        Some((v, how)) if prev.is_empty() => {
            format!("{name}@{v} ({how}) had no install scripts")
        }
        Some((v, how)) => format!("{name}@{v} ({how}) had: {}", hooks_text(&prev)),
        None => "first published version".into(),
    };
    let mut ev = vec![before, format!("hooks read from {cur_from}")];
    for (h, c) in &new {
        if WELL_KNOWN_BUILD_COMMANDS.contains(&squash_blanks(c).as_str()) {
            ev.push(format!(
                "{h}: {c} is a well-known build command (it still runs what the package's build files say)"
            ));
        }
    }
    out.finding(
        p,
        RULE,
        lvl,
        format!("new install script: {}", hooks_text(&new)),
        ev,
    );
}

/// The current hooks are unknown: the manifest is abbreviated and says `hasInstallScript`.
/// New when the baseline had none (or there is no baseline); else not known.
fn unknown(p: &Package, lvl: Level, baseline: &Baseline, out: &mut Outcome) {
    let prev_none = baseline
        .as_ref()
        .and_then(|(v, _)| manifest(p.i.packument, v))
        .and_then(manifest_hooks)
        .is_some_and(|h| h.is_empty());
    if prev_none || baseline.is_none() {
        out.finding(
            p,
            RULE,
            lvl,
            "new install script (the registry's abbreviated manifest says hasInstallScript)".into(),
            vec![match baseline {
                Some((v, how)) => format!("{}@{v} ({how}) had no install scripts", p.name),
                None => "first published version".into(),
            }],
        );
    } else {
        out.note(
            p,
            RULE,
            "hooks unknown (abbreviated manifest, tarball not read)".into(),
        );
    }
}

/// A dependency from `location` (a `what`) that is not from a registry: every hook of its
/// tarball (when it was read) is reported.
pub fn non_registry(
    cfg: &Config,
    p: &LockedPackage,
    (what, location): (&str, &str),
    tarball_hooks: Option<&TarballHooks>,
    out: &mut Vec<Finding>,
) {
    let (lvl, o) = cfg.rule(RULE, &p.name);
    let allowed = Options::from(o).allows(&p.name);
    if let (false, false, Some(t)) = (lvl == Level::Off, allowed, tarball_hooks) {
        if !t.hooks.is_empty() {
            out.push(Finding {
                rule: RULE.as_str().into(),
                level: lvl,
                name: p.name.clone(),
                version: p.version.clone(),
                message: format!("install script in a {what}: {}", hooks_text(&t.hooks)),
                evidence: vec![
                    format!("source: {location}"),
                    "no registry history to compare with: every hook is reported".into(),
                ],
                allowed_by: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::testing::*;
    use crate::policy::*;
    use serde_json::json;

    #[test]
    fn install_scripts_from_the_tarball_and_the_previous_lockfile() {
        let mut doc = packument();
        // 1.0.0 had a postinstall; 2.0.0-rc.1 had none; 2.0.0's registry manifest has none.
        doc["versions"]["1.0.0"]["scripts"] = json!({"postinstall": "node setup.js"});
        let l = locked("pkg", "2.0.0");
        let r = report(None);
        let c = Config::default();
        // From the registry manifest: nothing new.
        assert!(!run(&c, &inputs(&l, &r, Some(&doc)))
            .findings
            .iter()
            .any(|f| f.rule == "installScripts"));
        // The tarball has a binding.gyp (npm runs node-gyp rebuild): new against 1.0.0, the
        // stable version published before.
        let t = TarballHooks {
            hooks: vec![("install".into(), "node-gyp rebuild".into())],
            binding_gyp_implied: true,
        };
        let mut i = inputs(&l, &r, Some(&doc));
        i.tarball_hooks = Some(&t);
        let o = run(&c, &i);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "installScripts")
            .unwrap();
        assert_eq!(f.message, "new install script: install: node-gyp rebuild");
        assert!(
            f.evidence[0].contains("pkg@1.0.0 (published before) had: postinstall: node setup.js"),
            "{:?}",
            f.evidence
        );
        assert!(f.evidence[1].contains("binding.gyp"));
        // Compared with the previous lockfile's version instead (1.0.0 had a postinstall).
        let t = TarballHooks {
            hooks: vec![("postinstall".into(), "node  setup.js".into())],
            binding_gyp_implied: false,
        };
        let mut i = inputs(&l, &r, Some(&doc));
        i.tarball_hooks = Some(&t);
        i.previous_version = Some("1.0.0");
        assert!(!run(&c, &i)
            .findings
            .iter()
            .any(|f| f.rule == "installScripts"));
        // ... with 2.0.0-rc.1 (no hooks) in the previous lockfile: new.
        i.previous_version = Some("2.0.0-rc.1");
        let o = run(&c, &i);
        assert!(o.findings.iter().any(|f| f.rule == "installScripts"));
        // Without a previous lockfile a stable version is compared with the stable version
        // before it: a decoy prerelease that carries the hook does not make it look old.
        let mut decoy = doc.clone();
        decoy["versions"]["2.0.0-rc.1"]["scripts"] = json!({"postinstall": "node evil.js"});
        let t2 = TarballHooks {
            hooks: vec![("postinstall".into(), "node evil.js".into())],
            binding_gyp_implied: false,
        };
        let mut j = inputs(&l, &r, Some(&decoy));
        j.tarball_hooks = Some(&t2);
        let o = run(&c, &j);
        let f = o
            .findings
            .iter()
            .find(|f| f.rule == "installScripts")
            .expect("new against 1.0.0");
        assert!(f.evidence[0].contains("pkg@1.0.0"), "{:?}", f.evidence);
        // The allow list.
        let c = cfg(json!({"rules": {"installScripts": {"level": "error", "allow": ["pkg"]}}}));
        assert!(!run(&c, &i)
            .findings
            .iter()
            .any(|f| f.rule == "installScripts"));
    }

    #[test]
    fn binding_gyp_only_without_install_or_preinstall() {
        let m = json!({"_id": "x", "gypfile": true, "scripts": {"preinstall": "node p.js"}});
        assert_eq!(
            manifest_hooks(&m),
            Some(vec![("preinstall".into(), "node p.js".into())])
        );
        let m = json!({"_id": "x", "gypfile": true});
        assert_eq!(
            manifest_hooks(&m),
            Some(vec![("install".into(), "node-gyp rebuild".into())])
        );
        // Abbreviated: unknown when it says hasInstallScript, none otherwise.
        assert_eq!(
            manifest_hooks(&json!({"name": "x", "hasInstallScript": true})),
            None
        );
        assert_eq!(manifest_hooks(&json!({"name": "x"})), Some(vec![]));
    }
}
