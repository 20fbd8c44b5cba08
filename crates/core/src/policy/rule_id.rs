//! The rule ids. Their strings are a contract: the policy file names rules by them, findings
//! and notes carry them, and the JSON schema (`schema/prov-native.config.schema.json`) lists
//! the same rules and options (`tests/policy.rs` checks both ways).

use super::config::Level;
use std::fmt;

/// One policy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    Verification,
    RequireProvenance,
    SourceMatch,
    ProvenanceRegression,
    ProvenanceContinuity,
    MajorUpdate,
    MinReleaseAge,
    Typosquat,
    DependencyConfusion,
    InstallScripts,
    ManifestConfusion,
    PublisherChange,
    SuspiciousCode,
    Advisories,
    ExceptionExpired,
}

impl RuleId {
    /// Every rule, in the order [`RULES`] lists them.
    pub const ALL: [RuleId; 15] = [
        RuleId::Verification,
        RuleId::RequireProvenance,
        RuleId::SourceMatch,
        RuleId::ProvenanceRegression,
        RuleId::ProvenanceContinuity,
        RuleId::MajorUpdate,
        RuleId::MinReleaseAge,
        RuleId::Typosquat,
        RuleId::DependencyConfusion,
        RuleId::InstallScripts,
        RuleId::ManifestConfusion,
        RuleId::PublisherChange,
        RuleId::SuspiciousCode,
        RuleId::Advisories,
        RuleId::ExceptionExpired,
    ];

    /// The rule's name in the policy file, findings and notes.
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleId::Verification => "verification",
            RuleId::RequireProvenance => "requireProvenance",
            RuleId::SourceMatch => "sourceMatch",
            RuleId::ProvenanceRegression => "provenanceRegression",
            RuleId::ProvenanceContinuity => "provenanceContinuity",
            RuleId::MajorUpdate => "majorUpdate",
            RuleId::MinReleaseAge => "minReleaseAge",
            RuleId::Typosquat => "typosquat",
            RuleId::DependencyConfusion => "dependencyConfusion",
            RuleId::InstallScripts => "installScripts",
            RuleId::ManifestConfusion => "manifestConfusion",
            RuleId::PublisherChange => "publisherChange",
            RuleId::SuspiciousCode => "suspiciousCode",
            RuleId::Advisories => "advisories",
            RuleId::ExceptionExpired => "exceptionExpired",
        }
    }

    /// The level when the config does not name the rule.
    pub const fn default_level(self) -> Level {
        match self {
            RuleId::Verification
            | RuleId::ProvenanceRegression
            | RuleId::Typosquat
            | RuleId::DependencyConfusion
            | RuleId::ManifestConfusion
            | RuleId::SuspiciousCode
            | RuleId::Advisories
            | RuleId::ExceptionExpired => Level::Error,
            RuleId::SourceMatch
            | RuleId::ProvenanceContinuity
            | RuleId::InstallScripts
            | RuleId::PublisherChange => Level::Warn,
            RuleId::RequireProvenance | RuleId::MajorUpdate | RuleId::MinReleaseAge => Level::Off,
        }
    }

    /// The options the rule takes besides [`COMMON_OPTIONS`] (JSON names).
    pub const fn options(self) -> &'static [&'static str] {
        match self {
            RuleId::RequireProvenance | RuleId::MajorUpdate => &["publishAttestation"],
            RuleId::SourceMatch => &[
                "repositories",
                "owners",
                "workflows",
                "refs",
                "builders",
                "denySelfHosted",
            ],
            RuleId::ProvenanceRegression => &["includePrereleases"],
            RuleId::MinReleaseAge => &["days"],
            RuleId::Typosquat | RuleId::InstallScripts => &["allow"],
            RuleId::DependencyConfusion => &["private"],
            RuleId::Advisories => &["sources"],
            RuleId::Verification
            | RuleId::ProvenanceContinuity
            | RuleId::ManifestConfusion
            | RuleId::PublisherChange
            | RuleId::SuspiciousCode
            | RuleId::ExceptionExpired => &[],
        }
    }

    /// The rule named `s`, if there is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule given by id or by name ([`super::Config::rule`] takes either; a name that is no
/// rule is a rule that is off).
pub trait AsRuleId {
    fn rule_id(&self) -> Option<RuleId>;
}

impl AsRuleId for RuleId {
    fn rule_id(&self) -> Option<RuleId> {
        Some(*self)
    }
}

impl AsRuleId for str {
    fn rule_id(&self) -> Option<RuleId> {
        RuleId::parse(self)
    }
}

impl<T: AsRuleId + ?Sized> AsRuleId for &T {
    fn rule_id(&self) -> Option<RuleId> {
        (**self).rule_id()
    }
}

/// Every rule, with its default level when the config does not name it.
pub const RULES: &[(&str, Level)] = &{
    let mut t = [("", Level::Off); RuleId::ALL.len()];
    let mut k = 0;
    while k < t.len() {
        t[k] = (RuleId::ALL[k].as_str(), RuleId::ALL[k].default_level());
        k += 1;
    }
    t
};

/// Options every rule object takes.
pub const COMMON_OPTIONS: &[&str] = &["level", "packages", "exclude"];

/// The options each rule takes besides [`COMMON_OPTIONS`] (JSON names). The schema
/// (`schema/prov-native.config.schema.json`) lists the same; a test checks both ways.
pub const RULE_OPTIONS: &[(&str, &[&str])] = &{
    let mut t: [(&str, &[&str]); RuleId::ALL.len()] = [("", &[]); RuleId::ALL.len()];
    let mut k = 0;
    while k < t.len() {
        t[k] = (RuleId::ALL[k].as_str(), RuleId::ALL[k].options());
        k += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tables_agree() {
        assert_eq!(
            RULES,
            [
                ("verification", Level::Error),
                ("requireProvenance", Level::Off),
                ("sourceMatch", Level::Warn),
                ("provenanceRegression", Level::Error),
                ("provenanceContinuity", Level::Warn),
                ("majorUpdate", Level::Off),
                ("minReleaseAge", Level::Off),
                ("typosquat", Level::Error),
                ("dependencyConfusion", Level::Error),
                ("installScripts", Level::Warn),
                ("manifestConfusion", Level::Error),
                ("publisherChange", Level::Warn),
                ("suspiciousCode", Level::Error),
                ("advisories", Level::Error),
                ("exceptionExpired", Level::Error),
            ]
        );
        for r in RuleId::ALL {
            assert_eq!(RuleId::parse(r.as_str()), Some(r));
            assert_eq!(r.to_string(), r.as_str());
        }
        assert_eq!(RuleId::parse("requireProvenanse"), None);
    }
}
