//! The human-readable `report.html`: a minijinja template loaded at run time.

use std::path::Path;

use serde::Serialize;

use crate::{Error, Result};

/// The default report template (English and Traditional Chinese headings, no external resources).
pub const DEFAULT_REPORT_TEMPLATE: &str = include_str!("../templates/report.html");

/// The name every report template is registered under. It ends in `.html`, so HTML
/// auto-escaping is always on, whatever template a user supplies.
const TEMPLATE_NAME: &str = "report.html";

/// A report template: the embedded default, or one supplied at run time to rebrand or translate the
/// report.
///
/// The template receives `lang` (`en` or `zh-Hant`, the language of the request), `request`,
/// `generated_at`, `snapshot_at`, `subject_entity`, `entities` (each with `records`, each with
/// `fields`: `name`, `text`, `categories`, `purposes`, `redacted`, `meaning`, `exported_as`),
/// `events`, `attachments`, `redacted_count` and `notes`; see `templates/report.html`. Every value is
/// HTML-escaped on output; `|safe` is the only way to bypass that, so do not use it on data.
///
/// ```
/// use pdpo_export::ReportTemplate;
/// let t = ReportTemplate::from_source("<h1>{{ subject_entity }}</h1>")?;
/// # let _ = t;
/// # Ok::<(), pdpo_export::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReportTemplate {
    source: String,
    name: String,
}

impl Default for ReportTemplate {
    fn default() -> Self {
        Self { source: DEFAULT_REPORT_TEMPLATE.to_owned(), name: "default".to_owned() }
    }
}

impl ReportTemplate {
    /// A template from its source text; checked for syntax now.
    pub fn from_source(source: impl Into<String>) -> Result<Self> {
        let t = Self { source: source.into(), name: "custom".to_owned() };
        t.environment()?;
        Ok(t)
    }

    /// A template read from a file; checked for syntax now.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let source = std::fs::read_to_string(path)
            .map_err(|e| Error::Template { name: name.clone(), message: format!("cannot read: {e}") })?;
        let t = Self { source, name };
        t.environment()?;
        Ok(t)
    }

    fn environment(&self) -> Result<minijinja::Environment<'static>> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template_owned(TEMPLATE_NAME, self.source.clone()).map_err(|e| self.err(&e))?;
        Ok(env)
    }

    fn err(&self, e: &minijinja::Error) -> Error {
        // The kind and line only: minijinja's full display can quote the rendered context.
        let message = match e.line() {
            Some(line) => format!("{} at line {line}", e.kind()),
            None => e.kind().to_string(),
        };
        Error::Template { name: self.name.clone(), message }
    }

    /// Renders with `context` into `out`.
    pub(crate) fn render_to<C: Serialize, W: std::io::Write>(&self, context: &C, out: W) -> Result<()> {
        let env = self.environment()?;
        let t = env.get_template(TEMPLATE_NAME).map_err(|e| self.err(&e))?;
        t.render_captured_to(minijinja::value::Serde(context), out).map(|_| ()).map_err(|e| self.err(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_templates_are_always_escaped() {
        let t = ReportTemplate::from_source("<p>{{ x }}</p>").unwrap();
        let mut out = Vec::new();
        t.render_to(&serde_json::json!({ "x": "<script>alert(1)</script>" }), &mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert_eq!(html, "<p>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</p>");
    }

    #[test]
    fn syntax_and_undefined_errors_name_the_template() {
        assert!(matches!(ReportTemplate::from_source("{% if %}"), Err(Error::Template { .. })));
        let t = ReportTemplate::from_source("{{ missing.x }}").unwrap();
        let err = t.render_to(&serde_json::json!({}), Vec::new()).unwrap_err();
        assert!(err.to_string().starts_with("report template `custom`"), "{err}");
    }
}
