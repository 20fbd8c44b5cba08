//! package-lock.json / npm-shrinkwrap.json / node_modules/.package-lock.json, lockfileVersion
//! 1, 2 and 3.
//!
//! v2/v3 read the flat `packages` map keyed by install path:
//! 1. `""` is the root; its `workspaces` globs say which other keys without `node_modules/`
//!    are workspace projects (listed in `workspaces`, not as packages);
//! 2. a key without `node_modules/` that is not a workspace is a local directory (`file:` with
//!    `install-links=false`): it is reported through the `link: true` entry that points at it,
//!    as `Source::Link`;
//! 3. every other key is an install location; `name` (an alias's real name), `version`,
//!    `resolved`, `integrity`, `dev`/`optional`/`devOptional`, `inBundle`, `hasInstallScript`
//!    are taken as npm wrote them; `resolved` decides the source (absent: the registry, as
//!    npm writes it with `omit-lockfile-registry-resolved`).
//!
//! v1 walks the nested `dependencies` tree, where `version` may hold an alias
//! (`npm:real@1.0.0`), a git URL, a `file:` path or a tarball URL.

use super::graph::{node_resolve, DepKind, RawDeps};
use super::{
    check_entries, is_version, last_name, registry_tarball_version, source_of, Format,
    LockedPackage, Parsed, Source,
};
use crate::error::{Error, Result};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashSet;

/// Deepest v1 `dependencies` nesting (serde_json stops at 128 JSON levels anyway).
const MAX_V1_DEPTH: usize = 64;

/// The top level, its two trees left unparsed until `lockfileVersion` says which is read (a
/// v2 lockfile carries both; the v1 tree is never built for it).
#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<Value>,
    #[serde(borrow)]
    packages: Option<&'a RawValue>,
    #[serde(borrow)]
    dependencies: Option<&'a RawValue>,
}

pub(super) fn parse(text: &str, what: &str) -> Result<Parsed> {
    if !text.trim_start().starts_with('{') {
        return Err(Error::json(what, "a package-lock is a JSON object"));
    }
    let doc: Doc = serde_json::from_str(text).map_err(|e| Error::json(what, e))?;
    let version = match &doc.lockfile_version {
        Some(v) => v.as_u64().ok_or_else(|| {
            Error::json(
                what,
                format!("lockfileVersion {v} is not a number npm writes"),
            )
        })?,
        None => return Err(Error::json(what, "no lockfileVersion")),
    };
    let format = match version {
        1 => Format::NpmV1,
        2 => Format::NpmV2,
        3 => Format::NpmV3,
        n => {
            return Err(Error::json(
                what,
                format!("lockfileVersion {n} is not one prov-native reads (npm writes 1, 2 and 3)"),
            ))
        }
    };
    let (packages, workspaces, deps) = match doc.packages {
        Some(p) if version >= 2 => {
            let p: Packages = serde_json::from_str(p.get()).map_err(|e| Error::json(what, e))?;
            v2(p, what)?
        }
        None if version == 3 => {
            return Err(Error::json(what, "lockfileVersion 3 without \"packages\""))
        }
        _ => {
            let mut out = Vec::new();
            let mut deps = RawDeps::new(false);
            if let Some(d) = doc.dependencies {
                let d: Value = serde_json::from_str(d.get()).map_err(|e| Error::json(what, e))?;
                let d = d
                    .as_object()
                    .ok_or_else(|| Error::json(what, "\"dependencies\" is not an object"))?;
                let mut requires = Vec::new();
                v1(d, "node_modules", &mut out, &mut requires, 0, what)?;
                // `requires` names resolved as Node does from the dependent's directory.
                let index: std::collections::HashMap<&str, usize> = out
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| Some((p.paths.first()?.as_str(), i)))
                    .collect();
                for (from, name) in requires {
                    let Some(key) = out.get(from).and_then(|p| p.paths.first()) else {
                        continue;
                    };
                    if let Some(t) = node_resolve(key, name, |k| index.get(k).copied()) {
                        deps.edge(from, t, DepKind::Prod);
                    }
                }
            }
            (out, Vec::new(), deps)
        }
    };
    Ok(Parsed {
        format,
        lockfile_version: version.to_string(),
        packages,
        workspaces,
        deps,
    })
}

fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// The root's `workspaces`: an array of globs or `{ "packages": [...] }`.
fn workspace_globs(w: Option<&Value>) -> Vec<String> {
    let arr = w
        .and_then(Value::as_array)
        .or_else(|| w.and_then(|w| w.get("packages")).and_then(Value::as_array));
    arr.map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// A v2/v3 `packages` entry: only the fields read here, strings borrowed from the text where
/// they have no escapes. As with a `Value` read, a field of another type than expected counts
/// as absent; every other field is skipped without being built.
#[derive(Default)]
struct Entry<'a> {
    /// The value is a JSON object (anything else is an error, reported with its key).
    object: bool,
    name: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    resolved: Option<Cow<'a, str>>,
    integrity: Option<Cow<'a, str>>,
    link: bool,
    dev: bool,
    optional: bool,
    dev_optional: bool,
    in_bundle: bool,
    has_install_script: Option<bool>,
    workspaces: Option<Value>,
    /// The names in `dependencies`, `optionalDependencies`, `peerDependencies` and
    /// `devDependencies`, borrowed from the text where they have no escapes.
    deps: Vec<(Cow<'a, str>, DepKind)>,
}

/// The keys of a dependency map (anything but an object: none).
struct Keys<'a>(Vec<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Keys<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keys<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a dependency map")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key::<Loose>()? {
                    a.next_value::<IgnoredAny>()?;
                    if let Loose::Str(k) = k {
                        v.push(k);
                    }
                }
                Ok(Keys(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Keys(Vec::new()))
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                _: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(Keys(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Entry<'a> {
    fn name(&self) -> Option<String> {
        self.name.as_deref().map(str::to_string)
    }
}

/// A field value whose type decides whether it is used.
enum Loose<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Other,
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Loose<'a> {
    fn str(self) -> Option<Cow<'a, str>> {
        match self {
            Loose::Str(s) => Some(s),
            _ => None,
        }
    }

    fn bool(self) -> Option<bool> {
        match self {
            Loose::Bool(b) => Some(b),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a package entry")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut e = Entry {
                    object: true,
                    ..Entry::default()
                };
                // Duplicate fields: the last one counts, as in a `Value`.
                while let Some(k) = a.next_key::<Loose>()? {
                    let Loose::Str(k) = k else {
                        a.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    match k.as_ref() {
                        "name" => e.name = a.next_value::<Loose>()?.str(),
                        "version" => e.version = a.next_value::<Loose>()?.str(),
                        "resolved" => e.resolved = a.next_value::<Loose>()?.str(),
                        "integrity" => e.integrity = a.next_value::<Loose>()?.str(),
                        "link" => e.link = a.next_value::<Loose>()?.bool().unwrap_or(false),
                        "dev" => e.dev = a.next_value::<Loose>()?.bool().unwrap_or(false),
                        "optional" => e.optional = a.next_value::<Loose>()?.bool().unwrap_or(false),
                        "devOptional" => {
                            e.dev_optional = a.next_value::<Loose>()?.bool().unwrap_or(false)
                        }
                        "inBundle" => {
                            e.in_bundle = a.next_value::<Loose>()?.bool().unwrap_or(false)
                        }
                        "hasInstallScript" => {
                            e.has_install_script = a.next_value::<Loose>()?.bool()
                        }
                        "workspaces" => e.workspaces = Some(a.next_value::<Value>()?),
                        "dependencies"
                        | "optionalDependencies"
                        | "peerDependencies"
                        | "devDependencies" => {
                            let kind = match k.as_ref() {
                                "dependencies" => DepKind::Prod,
                                "optionalDependencies" => DepKind::Optional,
                                "peerDependencies" => DepKind::Peer,
                                _ => DepKind::Dev,
                            };
                            // A repeated field: the last one counts.
                            e.deps.retain(|(_, k)| *k != kind);
                            let keys = a.next_value::<Keys>()?.0;
                            e.deps.extend(keys.into_iter().map(|n| (n, kind)));
                        }
                        _ => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Entry::default())
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                _: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(Entry::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// The `packages` map, in key order (as a `serde_json::Map` iterates), the last of duplicate
/// keys kept. At most [`super::MAX_ENTRIES`] entries are read.
struct Packages<'a>(Vec<(Cow<'a, str>, Entry<'a>)>);

impl<'de> Deserialize<'de> for Packages<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Packages<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"packages\" to be an object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key::<Loose>()? {
                    let Loose::Str(k) = k else {
                        return Err(de::Error::custom("a package key that is not a string"));
                    };
                    if v.len() >= super::MAX_ENTRIES {
                        return Err(de::Error::custom(format_args!(
                            "more than {} package entries",
                            super::MAX_ENTRIES
                        )));
                    }
                    v.push((k, a.next_value::<Entry>()?));
                }
                // Stable: of equal keys, the last read is last; keep that one.
                v.sort_by(|x, y| x.0.cmp(&y.0));
                let mut out: Vec<(Cow<'de, str>, Entry<'de>)> = Vec::with_capacity(v.len());
                for (k, e) in v {
                    match out.last_mut() {
                        Some(last) if last.0 == k => *last = (k, e),
                        _ => out.push((k, e)),
                    }
                }
                Ok(Packages(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn v2(packages: Packages, what: &str) -> Result<(Vec<LockedPackage>, Vec<String>, RawDeps)> {
    let packages = packages.0;
    check_entries(packages.len(), what)?;
    let get = |key: &str| -> Option<&Entry> {
        packages
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .and_then(|i| packages.get(i))
            .map(|(_, e)| e)
    };
    let globs = workspace_globs(get("").and_then(|r| r.workspaces.as_ref()));
    let is_workspace = |key: &str| {
        let mut hit = false;
        for g in &globs {
            if let Some(neg) = g.strip_prefix('!') {
                if glob_match(neg, key) {
                    hit = false;
                }
            } else if glob_match(g, key) {
                hit = true;
            }
        }
        hit
    };
    let link_targets: HashSet<&str> = packages
        .iter()
        .filter(|(_, e)| e.link)
        .filter_map(|(_, e)| e.resolved.as_deref())
        .collect();
    let mut out = Vec::with_capacity(packages.len());
    let mut workspaces = Vec::new();
    // Links: the entry and the key whose dependencies it has.
    let mut links: Vec<(u32, &str)> = Vec::new();
    for (key, e) in &packages {
        let key: &str = key;
        if key.is_empty() {
            continue;
        }
        if !e.object {
            return Err(Error::json(
                what,
                format!("packages[{key:?}] is not an object"),
            ));
        }
        let installed_at = key
            .rfind("node_modules/")
            .filter(|&i| i == 0 || key[..i].ends_with('/'))
            .map(|i| &key[i + "node_modules/".len()..]);
        let Some(install_name) = installed_at else {
            if is_workspace(key) {
                workspaces.push(key.to_string());
            } else if !link_targets.contains(key) {
                // A local directory nothing links to: report it where it is.
                let name = e.name().unwrap_or_else(|| last_name(key).to_string());
                let mut p = LockedPackage::new(
                    &name,
                    e.version.as_deref().unwrap_or_default(),
                    Source::Link {
                        path: key.to_string(),
                    },
                );
                p.paths.push(key.to_string());
                out.push(p);
            }
            continue;
        };
        let install_name = last_name(install_name);
        if e.link {
            let target = e.resolved.as_deref().unwrap_or_default();
            if is_workspace(target) && !target.contains("node_modules/") {
                continue;
            }
            let t = get(target);
            let name = t
                .and_then(Entry::name)
                .unwrap_or_else(|| install_name.to_string());
            let version = t.and_then(|t| t.version.as_deref()).unwrap_or_default();
            let mut p = LockedPackage::new(
                &name,
                version,
                Source::Link {
                    path: target.to_string(),
                },
            );
            if name != install_name {
                p.alias = Some(install_name.to_string());
            }
            flags(&mut p, e);
            p.paths.push(key.to_string());
            links.push((out.len() as u32, target));
            out.push(p);
            continue;
        }
        let name = e.name().unwrap_or_else(|| install_name.to_string());
        let mut version = e.version.as_deref().unwrap_or_default().to_string();
        let resolved = e.resolved.as_deref().map(str::to_string);
        let source = match &resolved {
            Some(r) => source_of(r, &name),
            None => Source::Registry,
        };
        if source == Source::Registry && !is_version(&version) {
            if let Some(v) = resolved
                .as_deref()
                .and_then(|r| registry_tarball_version(r, &name))
            {
                version = v;
            }
        }
        let mut p = LockedPackage::new(&name, &version, source);
        if name != install_name {
            p.alias = Some(install_name.to_string());
        }
        p.integrity = e.integrity.as_deref().map(str::to_string);
        p.resolved = resolved;
        flags(&mut p, e);
        p.bundled = e.in_bundle;
        p.has_install_script = e.has_install_script;
        p.paths.push(key.to_string());
        out.push(p);
    }
    // The entry each key became (u32::MAX: none, as workspaces and the root). `out` follows
    // the keys' order, one path each, the key itself.
    let mut entry_of = vec![u32::MAX; packages.len()];
    let mut o = 0usize;
    for ((key, _), slot) in packages.iter().zip(entry_of.iter_mut()) {
        if out.get(o).and_then(|p| p.paths.first()).map(String::as_str) == Some(key.as_ref()) {
            *slot = o as u32;
            o += 1;
        }
    }
    // The edges: each dependency name resolved as Node does from the dependent's directory
    // (a link's dependencies are its target's, resolved from the target).
    let mut deps = RawDeps::new(true);
    let lookup = |k: &str| -> Option<usize> {
        let i = packages.binary_search_by(|(x, _)| x.as_ref().cmp(k)).ok()?;
        entry_of
            .get(i)
            .filter(|&&e| e != u32::MAX)
            .map(|&e| e as usize)
    };
    let mut link_of: Vec<(u32, usize)> = Vec::with_capacity(links.len());
    for (from, target) in &links {
        if let Ok(i) = packages.binary_search_by(|(x, _)| x.as_ref().cmp(target)) {
            link_of.push((*from, i));
        }
    }
    let sources = packages
        .iter()
        .enumerate()
        .filter_map(|(ki, _)| {
            let from = *entry_of.get(ki)?;
            (from != u32::MAX).then_some((from, ki))
        })
        .chain(link_of.iter().copied());
    for (from, ki) in sources {
        let Some((key, e)) = packages.get(ki) else {
            continue;
        };
        for (name, kind) in &e.deps {
            // Only a project's own devDependencies are installed.
            if *kind == DepKind::Dev && key.contains("node_modules/") {
                continue;
            }
            if let Some(t) = node_resolve(key, name, lookup) {
                deps.edge(from as usize, t, *kind);
            }
        }
    }
    if let Some(root) = get("") {
        for (name, kind) in &root.deps {
            if let Some(t) = node_resolve("", name, lookup) {
                deps.root(t, *kind);
            }
        }
    }
    Ok((out, workspaces, deps))
}

fn flags(p: &mut LockedPackage, e: &Entry) {
    p.dev = e.dev;
    p.optional = e.optional;
    p.dev_optional = e.dev_optional;
}

fn v1<'a>(
    deps: &'a Map<String, Value>,
    prefix: &str,
    out: &mut Vec<LockedPackage>,
    requires: &mut Vec<(usize, &'a str)>,
    depth: usize,
    what: &str,
) -> Result<()> {
    if depth > MAX_V1_DEPTH {
        return Err(Error::TooLarge(format!(
            "{what}: dependencies nest deeper than {MAX_V1_DEPTH}"
        )));
    }
    check_entries(out.len() + deps.len(), what)?;
    for (install_name, e) in deps {
        if !e.is_object() {
            return Err(Error::json(
                what,
                format!("dependencies[{install_name:?}] is not an object"),
            ));
        }
        let path = format!("{prefix}/{install_name}");
        let version = s(e, "version").unwrap_or_default();
        let resolved = s(e, "resolved");
        let integrity = s(e, "integrity");
        let (name, mut version, source) = if let Some(alias) = version.strip_prefix("npm:") {
            match super::split_at_version(alias) {
                Some((n, v)) => {
                    let src = resolved
                        .as_deref()
                        .map_or(Source::Registry, |r| source_of(r, n));
                    (n.to_string(), v.to_string(), src)
                }
                None => (install_name.clone(), version.clone(), Source::Registry),
            }
        } else if is_version(&version) {
            let src = resolved
                .as_deref()
                .map_or(Source::Registry, |r| source_of(r, install_name));
            (install_name.clone(), version.clone(), src)
        } else if let Some(p) = version.strip_prefix("file:") {
            // npm 6 symlinks `file:` directories and unpacks `file:` tarballs.
            let tarball =
                integrity.is_some() || [".tgz", ".tar.gz", ".tar"].iter().any(|x| p.ends_with(x));
            let src = if tarball {
                Source::File { path: p.into() }
            } else {
                Source::Link { path: p.into() }
            };
            (install_name.clone(), version.clone(), src)
        } else {
            // A git URL or a tarball URL in `version`.
            let src = source_of(&version, install_name);
            (install_name.clone(), version.clone(), src)
        };
        if source == Source::Registry && !is_version(&version) {
            let url = resolved.as_deref().unwrap_or(&version);
            if let Some(v) = registry_tarball_version(url, &name) {
                version = v;
            }
        }
        let mut p = LockedPackage::new(&name, &version, source);
        if name != *install_name {
            p.alias = Some(install_name.clone());
        }
        p.integrity = integrity;
        p.resolved = resolved;
        p.dev = flag(e, "dev");
        p.optional = flag(e, "optional");
        p.bundled = flag(e, "bundled");
        p.paths.push(path.clone());
        if let Some(Value::Object(r)) = e.get("requires") {
            requires.extend(r.keys().map(|k| (out.len(), k.as_str())));
        }
        out.push(p);
        if let Some(nested) = e.get("dependencies") {
            let nested = nested.as_object().ok_or_else(|| {
                Error::json(what, format!("{path}: \"dependencies\" is not an object"))
            })?;
            v1(
                nested,
                &format!("{path}/node_modules"),
                out,
                requires,
                depth + 1,
                what,
            )?;
        }
    }
    Ok(())
}

/// npm workspace globs: `*` and `?` within a path segment, `**` for any number of segments;
/// a leading `./` and trailing `/` are ignored.
pub(super) fn glob_match(pattern: &str, path: &str) -> bool {
    let norm = |s: &str| -> String {
        let s = s.trim();
        let s = s.strip_prefix("./").unwrap_or(s);
        s.trim_end_matches('/').to_string()
    };
    let (pattern, path) = (norm(pattern), norm(path));
    if pattern.len() > 1024 || path.len() > 4096 {
        return false;
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    // dp[j]: pat[..i] matches segs[..j].
    let mut dp = vec![false; segs.len() + 1];
    dp[0] = true;
    for p in &pat {
        let mut next = vec![false; segs.len() + 1];
        if *p == "**" {
            let mut any = false;
            for j in 0..=segs.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=segs.len() {
                next[j] = dp[j - 1] && segment_match(p, segs[j - 1]);
            }
        }
        dp = next;
    }
    dp[segs.len()]
}

fn segment_match(p: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
    let mut dp = vec![false; s.len() + 1];
    dp[0] = true;
    for &c in &p {
        let mut next = vec![false; s.len() + 1];
        if c == '*' {
            let mut any = false;
            for j in 0..=s.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=s.len() {
                next[j] = dp[j - 1] && (c == '?' || c == s[j - 1]);
            }
        }
        dp = next;
    }
    dp[s.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("packages/*", "packages/a"));
        assert!(glob_match("./packages/*/", "packages/a"));
        assert!(!glob_match("packages/*", "packages/a/b"));
        assert!(glob_match("packages/**", "packages/a/b"));
        assert!(glob_match("apps/**/web", "apps/web"));
        assert!(glob_match("docs", "docs"));
        assert!(glob_match("pkg-?", "pkg-1"));
        assert!(!glob_match("packages/*", "other/a"));
        assert!(glob_match("packages/a*z", "packages/abcz"));
    }

    #[test]
    fn entries_read_as_a_json_value_reads_them() {
        // SYNTHETIC: duplicate keys (the last counts), fields of unexpected types (absent),
        // escapes, nested fields that are skipped, a workspace glob with a negation.
        let text = r#"{"lockfileVersion": 3, "packages": {
            "": {"workspaces": {"packages": ["pk/*", "!pk/x"]}},
            "pk/a": {"name": "a", "version": "1.0.0"},
            "node_modules/a": {"link": true, "resolved": "pk/a"},
            "node_modules/b": {"version": "9.9.9"},
            "node_modules/b": {"version": "1.0.1", "name": 5, "dev": true, "dev": false,
                "optional": "yes", "hasInstallScript": true, "inBundle": 1,
                "resolved": "https://registry.npm.example/b/-/b-1.0.1.tgz",
                "integrity": "sha512-\u0041A==", "engines": {"node": [">=1", {"x": null}]}},
            "node_modules/@s/c": {"name": "real", "version": "npm:x",
                "resolved": "https://registry.npm.example/real/-/real-3.0.0.tgz"}
        }}"#;
        let p = parse(text, "t").unwrap();
        assert_eq!(p.workspaces, vec!["pk/a".to_string()]);
        let by = |n: &str| p.packages.iter().find(|x| x.name == n).unwrap();
        let b = by("b");
        assert_eq!(b.version, "1.0.1");
        assert!(!b.dev && !b.optional && !b.bundled);
        assert_eq!(b.has_install_script, Some(true));
        assert_eq!(b.integrity.as_deref(), Some("sha512-AA=="));
        assert_eq!(p.packages.iter().filter(|x| x.name == "b").count(), 1);
        let c = by("real");
        assert_eq!(
            (c.version.as_str(), c.alias.as_deref()),
            ("3.0.0", Some("@s/c"))
        );
        // A workspace link is the project's own code, not a package.
        assert!(p.packages.iter().all(|x| x.name != "a"));
    }

    #[test]
    fn unknown_versions_and_shapes() {
        for (text, want) in [
            (
                r#"{"lockfileVersion": 4, "packages": {}}"#,
                "lockfileVersion 4",
            ),
            (r#"{"lockfileVersion": "3"}"#, "not a number"),
            (r#"{"packages": {}}"#, "no lockfileVersion"),
            (r#"{"lockfileVersion": 3}"#, "without"),
            (
                r#"{"lockfileVersion": 3, "packages": {"node_modules/a": 1}}"#,
                "not an object",
            ),
            (
                r#"{"lockfileVersion": 3, "packages": {"node_modules/a": [{}]}}"#,
                "not an object",
            ),
            (r#"{"lockfileVersion": 3, "packages": []}"#, "object"),
            (r#"[{"lockfileVersion": 3}]"#, "JSON object"),
            (
                r#"{"lockfileVersion": 1, "dependencies": {"a": {"dependencies": 5}}}"#,
                "not an object",
            ),
        ] {
            let e = parse(text, "t").err().unwrap();
            assert_eq!(e.code(), "ERR_PROV_JSON");
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
