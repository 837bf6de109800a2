//! Health metrics (`profiles/health.toml`): where CPU, memory and
//! temperature live, per MIB, loaded and validated with `file:line`.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The built-in health metrics, compiled in.
pub const BUILTIN_HEALTH: &str = include_str!("../../profiles/health.toml");

/// What a health metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Cpu,
    Mem,
    Temp,
}

/// Where one health value lives (see profiles/health.toml).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthMetric {
    pub id: String,
    pub kind: MetricKind,
    pub value: Vec<u64>,
    pub total: Option<Vec<u64>>,
    pub free: Option<Vec<u64>>,
    pub filter: Option<(Vec<u64>, String)>,
    /// A column giving the value's decimal places (ENTITY-SENSOR's
    /// entPhySensorPrecision: 282 with precision 1 is 28.2).
    pub precision: Option<Vec<u64>>,
    pub average: bool,
    pub nonzero: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    #[serde(default)]
    metric: Vec<Spanned<RawMetric>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    column: String,
    equals: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    id: String,
    kind: Spanned<String>,
    value: Spanned<String>,
    total: S<String>,
    free: S<String>,
    precision: S<String>,
    filter: S<RawFilter>,
    aggregate: S<String>,
    nonzero: Option<bool>,
}

impl Profiles {
    /// Add (or replace, by id) health metrics from TOML text.
    pub fn add_health(&mut self, file: &str, text: &str) -> Result<(), ProfileError> {
        let ctx = Ctx { file, text };
        let raw: RawHealth = ctx.toml()?;
        for m in raw.metric {
            let r = m.get_ref();
            let id = r.id.as_str();
            let kind = match r.kind.get_ref().as_str() {
                "cpu" => MetricKind::Cpu,
                "mem" => MetricKind::Mem,
                "temp" => MetricKind::Temp,
                other => {
                    return Err(ctx.err(
                        r.kind.span(),
                        format!("metric '{id}': kind: '{other}' is not cpu, mem or temp"),
                    ))
                }
            };
            let opt_oid = |v: &S<String>, field: &str| -> Result<Option<Vec<u64>>, ProfileError> {
                v.as_ref()
                    .map(|v| oid(&ctx, id, field, v.get_ref(), v.span()))
                    .transpose()
            };
            let average = match r.aggregate.as_ref().map(|a| a.get_ref().as_str()) {
                None | Some("max") => false,
                Some("avg") => true,
                Some(other) => {
                    let span = r.aggregate.as_ref().map_or(0..0, |a| a.span());
                    return Err(ctx.err(
                        span,
                        format!("metric '{id}': aggregate: '{other}' is not max or avg"),
                    ));
                }
            };
            let filter = match &r.filter {
                None => None,
                Some(f) => Some((
                    oid(&ctx, id, "filter", &f.get_ref().column, f.span())?,
                    f.get_ref().equals.clone(),
                )),
            };
            let metric = HealthMetric {
                id: id.to_string(),
                kind,
                value: oid(&ctx, id, "value", r.value.get_ref(), r.value.span())?,
                total: opt_oid(&r.total, "total")?,
                free: opt_oid(&r.free, "free")?,
                precision: opt_oid(&r.precision, "precision")?,
                filter,
                average,
                nonzero: r.nonzero.unwrap_or(false),
            };
            self.health.retain(|h| h.id != metric.id);
            self.health.push(metric);
        }
        self.sources.push(file.to_string());
        Ok(())
    }
}
