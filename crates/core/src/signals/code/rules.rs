//! The rules: what one file's [`Facts`] add up to, one function per rule, each with a severity
//! that depends on the file's context (the table in the module docs of [`super`]). Each rule
//! reports at most once per file.

use super::atoms::{near, Cat, Facts};
use super::reach::Ctx;

/// Distance (bytes) within which a sink and a decoder make `code.eval-decoded`.
const PROXIMITY: usize = 2048;

/// Severity one step lower.
fn lower(s: &'static str) -> &'static str {
    match s {
        "error" => "warning",
        _ => "info",
    }
}

/// What a rule found in one file: the position is where its excerpt is taken.
pub(super) struct Ruled {
    pub rule: &'static str,
    pub severity: &'static str,
    pub evidence: String,
    pub pos: usize,
}

fn list(v: &[&str]) -> String {
    v.join(", ")
}

/// One file's facts in its context, with what several rules read.
struct File<'a> {
    f: &'a Facts,
    ctx: Ctx,
    /// Process execution (`child_process`, `Bun.spawn`, …, or the file is a shell script).
    cp: bool,
    net: bool,
    cred_env: Vec<&'static str>,
    cred_kinds: Vec<&'static str>,
    web_strong: bool,
    web_weak: bool,
}

impl File<'_> {
    /// The severity for an install target, an entry point, and one step lower for other files.
    fn by_ctx(&self, install: &'static str, entry: &'static str) -> &'static str {
        match self.ctx {
            Ctx::Install => install,
            Ctx::Entry => entry,
            Ctx::Other => lower(entry),
        }
    }

    fn first(&self, c: Cat) -> usize {
        self.f.first(c).unwrap_or(0)
    }
}

/// Rules over one file's facts, in report order.
pub(super) fn rules(f: &Facts, ctx: Ctx, shell: bool) -> Vec<Ruled> {
    let file = File {
        f,
        ctx,
        cp: shell || f.has(Cat::Cp),
        net: f.has(Cat::Net),
        cred_env: f.labels(Cat::CredEnv),
        cred_kinds: f.labels(Cat::CredFile),
        web_strong: f.has(Cat::WebStrong),
        web_weak: f.has(Cat::WebWeak),
    };
    let strong = strong_obfuscation(f);
    [
        shai_hulud(&file),
        webhook_exfiltration(&file),
        credential_read(&file),
        child_process_network_env(&file),
        eval_decoded(&file),
        obfuscation(&file, strong),
        wallet_drainer(&file, strong),
        geo_sabotage(&file),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `code.shai-hulud`: a marker; TruffleHog with a way out; the worm's self-propagation; or
/// writing workflows through the GitHub API with a token.
fn shai_hulud(x: &File) -> Option<Ruled> {
    let (f, cred_env) = (x.f, &x.cred_env);
    let rule = "code.shai-hulud";
    if f.has(Cat::Marker) {
        Some(Ruled {
            rule,
            severity: "error",
            evidence: format!("Shai-Hulud marker: {}", list(&f.labels(Cat::Marker))),
            pos: x.first(Cat::Marker),
        })
    } else if f.has(Cat::Truffle)
        && (f.has(Cat::GhApi)
            || f.has(Cat::NpmPublish)
            || x.web_strong
            || x.web_weak
            || !cred_env.is_empty())
    {
        let mut with = f.labels(Cat::GhApi);
        with.extend(f.labels(Cat::NpmPublish));
        with.extend(f.labels(Cat::WebStrong));
        with.extend(f.labels(Cat::WebWeak));
        with.extend(cred_env.iter().copied());
        Some(Ruled {
            rule,
            severity: "error",
            evidence: format!("runs TruffleHog secret scanning with {}", list(&with)),
            pos: x.first(Cat::Truffle),
        })
    } else if f.has(Cat::NpmPublish)
        && f.has(Cat::NpmSearch)
        && (cred_env.contains(&"NPM_TOKEN") || x.cred_kinds.contains(&"npmrc"))
    {
        Some(Ruled {
            rule,
            severity: "error",
            evidence: format!(
                "self-propagation: {} + {} with npm credentials",
                list(&f.labels(Cat::NpmPublish)),
                list(&f.labels(Cat::NpmSearch))
            ),
            pos: x.first(Cat::NpmPublish),
        })
    } else if f.has(Cat::GhWorkflow)
        && f.has(Cat::GhApi)
        && (cred_env.contains(&"GITHUB_TOKEN") || cred_env.contains(&"GH_TOKEN"))
    {
        Some(Ruled {
            rule,
            severity: if x.ctx == Ctx::Install {
                "error"
            } else {
                "warning"
            },
            evidence: "writes .github/workflows through api.github.com with a GitHub token".into(),
            pos: x.first(Cat::GhWorkflow),
        })
    } else {
        None
    }
}

/// `code.webhook-exfiltration`: a request-capture host, or a chat/tunnel webhook with network
/// access and credentials (or in an install target).
fn webhook_exfiltration(x: &File) -> Option<Ruled> {
    let f = x.f;
    let rule = "code.webhook-exfiltration";
    let (net, cp) = (x.net, x.cp);
    if x.web_strong {
        let sev = if net || cp { "error" } else { "warning" };
        Some(Ruled {
            rule,
            severity: sev,
            evidence: format!(
                "request-capture host {}{}",
                list(&f.labels(Cat::WebStrong)),
                if net || cp {
                    " with network access"
                } else {
                    ""
                }
            ),
            pos: x.first(Cat::WebStrong),
        })
    } else if x.web_weak && (net || cp) && (!x.cred_env.is_empty() || !x.cred_kinds.is_empty()) {
        Some(Ruled {
            rule,
            severity: x.by_ctx("error", "warning"),
            evidence: format!(
                "{} with credential access ({})",
                list(&f.labels(Cat::WebWeak)),
                list(&[x.cred_env.clone(), x.cred_kinds.clone()].concat())
            ),
            pos: x.first(Cat::WebWeak),
        })
    } else if x.web_weak && x.ctx == Ctx::Install {
        Some(Ruled {
            rule,
            severity: "warning",
            evidence: format!(
                "{} in an install-script target",
                list(&f.labels(Cat::WebWeak))
            ),
            pos: x.first(Cat::WebWeak),
        })
    } else {
        None
    }
}

/// `code.credential-read`: credential locations with a way out; more severe when they are
/// read, or when there are many kinds.
fn credential_read(x: &File) -> Option<Ruled> {
    let f = x.f;
    let (cred_env, cred_kinds) = (&x.cred_env, &x.cred_kinds);
    let exfil = x.net || x.cp || x.web_strong || x.web_weak;
    let mut kinds = cred_kinds.clone();
    if !cred_env.is_empty() {
        kinds.push("token variables");
    }
    // Token variables alone are the child-process rule's business.
    if kinds.is_empty() || !exfil || cred_kinds.is_empty() {
        return None;
    }
    let reads = f.pos.get(&Cat::FsRead).map(Vec::as_slice).unwrap_or(&[]);
    let read_kinds: Vec<&str> = f
        .cred_pos
        .iter()
        .filter(|(_, p)| near(p, reads, 256).is_some())
        .map(|(k, _)| *k)
        .collect();
    let sev = if read_kinds.len() >= 2 || kinds.len() >= 3 {
        x.by_ctx("error", "error")
    } else if !read_kinds.is_empty() {
        x.by_ctx("error", "warning")
    } else {
        x.by_ctx("error", "info")
    };
    Some(Ruled {
        rule: "code.credential-read",
        severity: sev,
        evidence: format!(
            "credential locations {}{}{} with {}",
            list(cred_kinds),
            if cred_env.is_empty() {
                String::new()
            } else {
                format!(", token variables {}", list(cred_env))
            },
            if read_kinds.is_empty() {
                String::new()
            } else {
                format!(" (read: {})", list(&read_kinds))
            },
            if x.net {
                "network access"
            } else {
                "process execution"
            }
        ),
        pos: f.first(Cat::CredFile).unwrap_or(0),
    })
}

/// `code.child-process-network-env`: process execution + network + token variables (or
/// `process.env`, outside other files).
fn child_process_network_env(x: &File) -> Option<Ruled> {
    let f = x.f;
    if !(x.cp && x.net) {
        return None;
    }
    let rule = "code.child-process-network-env";
    if !x.cred_env.is_empty() {
        Some(Ruled {
            rule,
            severity: x.by_ctx("error", "warning"),
            evidence: format!(
                "child process + network ({}) + token variables {}",
                list(&f.labels(Cat::Net)),
                list(&x.cred_env)
            ),
            pos: x.first(Cat::CredEnv),
        })
    } else if f.has(Cat::Env) && x.ctx != Ctx::Other {
        Some(Ruled {
            rule,
            severity: if x.ctx == Ctx::Install {
                "warning"
            } else {
                "info"
            },
            evidence: format!(
                "child process + network ({}) + process.env",
                list(&f.labels(Cat::Net))
            ),
            pos: f.first(Cat::Cp).unwrap_or(0),
        })
    } else {
        None
    }
}

/// `code.eval-decoded`: dynamic code near decoding, nested in a decoder, or `_compile` /
/// `module.constructor` with `createDecipher`.
fn eval_decoded(x: &File) -> Option<Ruled> {
    let f = x.f;
    let sinks: Vec<usize> = [Cat::Sink, Cat::StrongSink]
        .iter()
        .flat_map(|c| f.pos.get(c).cloned().unwrap_or_default())
        .collect();
    let decodes: Vec<usize> = [Cat::Decode, Cat::Decipher]
        .iter()
        .flat_map(|c| f.pos.get(c).cloned().unwrap_or_default())
        .collect();
    let pos = f
        .nested
        .or_else(|| near(&sinks, &decodes, PROXIMITY))
        .or_else(|| {
            (f.has(Cat::StrongSink) && f.has(Cat::Decipher)).then(|| x.first(Cat::StrongSink))
        })?;
    let mut what = f.labels(Cat::Sink);
    what.extend(f.labels(Cat::StrongSink));
    let mut from = f.labels(Cat::Decipher);
    if f.has(Cat::Decode) {
        from.push("base64/hex decoding");
    }
    Some(Ruled {
        rule: "code.eval-decoded",
        severity: x.by_ctx("error", "error"),
        evidence: format!(
            "dynamic code ({}) from decoded data ({})",
            list(&what),
            list(&from)
        ),
        pos,
    })
}

/// Strong obfuscation: many `_0x…` identifiers, or string-array rotation with some.
fn strong_obfuscation(f: &Facts) -> bool {
    (f.hex_ids >= 30 && f.hex_ids_distinct >= 5) || (f.has(Cat::Rotation) && f.hex_ids >= 5)
}

/// `code.obfuscation`: strong obfuscation, or two weak signs.
fn obfuscation(x: &File, strong: bool) -> Option<Ruled> {
    let f = x.f;
    let mut weak = Vec::new();
    if f.x_escapes >= 200 {
        weak.push(format!("{} \\x escapes", f.x_escapes));
    }
    if let Some((_, len)) = f.long_line {
        weak.push(format!("a {len}-character line with almost no blanks"));
    }
    if let Some((_, h)) = f.entropy_token {
        weak.push(format!("a high-entropy token ({h:.2} bits/char)"));
    }
    if strong {
        let mut ev = format!(
            "{} _0x identifiers ({} distinct)",
            f.hex_ids, f.hex_ids_distinct
        );
        if f.has(Cat::Rotation) {
            ev.push_str(", string-array rotation");
        }
        for w in &weak {
            ev.push_str(", ");
            ev.push_str(w);
        }
        Some(Ruled {
            rule: "code.obfuscation",
            severity: x.by_ctx("error", "error"),
            evidence: ev,
            pos: f.long_line.map(|(p, _)| p).unwrap_or(0),
        })
    } else if weak.len() >= 2 {
        Some(Ruled {
            rule: "code.obfuscation",
            severity: x.by_ctx("warning", "info"),
            evidence: weak.join(", "),
            pos: f
                .long_line
                .map(|(p, _)| p)
                .or(f.entropy_token.map(|(p, _)| p))
                .unwrap_or(0),
        })
    } else {
        None
    }
}

/// `code.wallet-drainer`: wallet access with `fetch`/`XMLHttpRequest` hooks or strong
/// obfuscation.
fn wallet_drainer(x: &File, strong: bool) -> Option<Ruled> {
    let f = x.f;
    if !(f.has(Cat::Wallet) && (f.has(Cat::Hook) || strong)) {
        return None;
    }
    Some(Ruled {
        rule: "code.wallet-drainer",
        severity: x.by_ctx("error", "error"),
        evidence: format!(
            "wallet access ({}) with {}",
            list(&f.labels(Cat::Wallet)),
            if f.has(Cat::Hook) {
                list(&f.labels(Cat::Hook))
            } else {
                "obfuscation".into()
            }
        ),
        pos: x.first(Cat::Wallet),
    })
}

/// `code.geo-sabotage`: a geo-IP lookup with directory walking and file writes or deletes.
fn geo_sabotage(x: &File) -> Option<Ruled> {
    let f = x.f;
    if !(f.has(Cat::Geo) && f.has(Cat::FsWrite) && f.has(Cat::DirWalk)) {
        return None;
    }
    Some(Ruled {
        rule: "code.geo-sabotage",
        severity: x.by_ctx("error", "error"),
        evidence: format!(
            "geo-IP lookup ({}) + directory walk + file writes/deletes ({})",
            list(&f.labels(Cat::Geo)),
            list(&f.labels(Cat::FsWrite))
        ),
        pos: x.first(Cat::Geo),
    })
}
