//! Walk overrides (`profiles/walk.toml`): firmware that needs smaller
//! GETBULK repetitions or GETNEXT only, matched by sysObjectID or sysDescr.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The built-in walk overrides, compiled in.
pub const BUILTIN_WALK: &str = include_str!("../../profiles/walk.toml");

/// How to walk the tables of matching agents.
#[derive(Debug, Clone)]
pub struct WalkOverride {
    pub id: String,
    pub sys_object_id: Vec<Vec<u64>>,
    pub sys_descr: Option<Regex>,
    pub max_repetitions: Option<u32>,
    pub bulk: Option<bool>,
}

impl WalkOverride {
    /// Whether the override applies to an agent with this system group.
    pub fn applies(&self, sys_object_id: Option<&str>, sys_descr: Option<&str>) -> bool {
        let oid_ok = self.sys_object_id.is_empty()
            || sys_object_id
                .and_then(parse_oid)
                .is_some_and(|o| self.sys_object_id.iter().any(|p| o.starts_with(p)));
        let descr_ok = self
            .sys_descr
            .as_ref()
            .is_none_or(|re| sys_descr.is_some_and(|d| re.is_match(d)));
        oid_ok && descr_ok
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWalk {
    #[serde(default, rename = "override")]
    overrides: Vec<Spanned<RawOverride>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    id: Spanned<String>,
    /// Says why, for the reader of the file; accepted and not used.
    #[allow(dead_code)]
    description: Option<String>,
    sys_object_id: S<OneOrMany>,
    sys_descr: S<String>,
    max_repetitions: S<u32>,
    bulk: Option<bool>,
}

impl Profiles {
    /// Add (or replace, by id) walk overrides from TOML text.
    pub fn add_walk(&mut self, file: &str, text: &str) -> Result<(), ProfileError> {
        let ctx = Ctx { file, text };
        let raw: RawWalk = ctx.toml()?;
        for o in raw.overrides {
            let r = o.get_ref();
            let id = r.id.get_ref().clone();
            let sys_object_id = match &r.sys_object_id {
                None => Vec::new(),
                Some(v) => v
                    .get_ref()
                    .items()
                    .into_iter()
                    .map(|s| oid(&ctx, &id, "sys_object_id", s, v.span()))
                    .collect::<Result<_, _>>()?,
            };
            let sys_descr = r
                .sys_descr
                .as_ref()
                .map(|v| regex(&ctx, &id, "sys_descr", v))
                .transpose()?;
            if sys_object_id.is_empty() && sys_descr.is_none() {
                return Err(ctx.err(
                    r.id.span(),
                    format!("override '{id}': has no condition (sys_object_id, sys_descr)"),
                ));
            }
            let max_repetitions = match &r.max_repetitions {
                Some(m) if *m.get_ref() == 0 => {
                    return Err(ctx.err(
                        m.span(),
                        format!("override '{id}': max_repetitions: must be at least 1"),
                    ))
                }
                m => m.as_ref().map(|m| *m.get_ref()),
            };
            self.walk.retain(|w| w.id != id);
            self.walk.push(WalkOverride {
                id,
                sys_object_id,
                sys_descr,
                max_repetitions,
                bulk: r.bulk,
            });
        }
        self.sources.push(file.to_string());
        Ok(())
    }

    /// The first walk override for an agent with this system group.
    pub fn walk_override(
        &self,
        sys_object_id: Option<&str>,
        sys_descr: Option<&str>,
    ) -> Option<&WalkOverride> {
        self.walk
            .iter()
            .find(|w| w.applies(sys_object_id, sys_descr))
    }
}
