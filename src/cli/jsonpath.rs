//! kubectl's JSONPath template language (`-o jsonpath=...`), parsed and rendered as client-go does.

mod eval;
mod parser;

#[cfg(test)]
mod tests;

use serde_json::Value;

use eval::Executor;
use parser::Node;

/// A template that failed to parse or to run. The messages are client-go's;
/// kubectl wraps parse errors as `error parsing jsonpath TEMPLATE, MESSAGE`
/// and run errors as `error executing jsonpath "TEMPLATE": Error executing
/// template: MESSAGE. ...`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An action (`{...}`) without its closing brace.
    #[error("unclosed action")]
    UnclosedAction,
    /// A character that cannot start a step inside an action, as Go's `%#U`.
    #[error("unrecognized character in action: {0}")]
    UnrecognizedCharacter(String),
    /// `[` without `]`.
    #[error("unterminated array")]
    UnterminatedArray,
    /// `[?(` without `)`.
    #[error("unterminated filter")]
    UnterminatedFilter,
    /// A filter's `)` not followed by `]`.
    #[error("unclosed array expect ]")]
    UnclosedFilter,
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A quoted string with an invalid escape (the text includes the quotes).
    #[error("unquote string {0} error invalid syntax")]
    BadQuotedString(String),
    /// Brackets holding neither an index, a slice, a union nor a quoted key.
    #[error("invalid array index {0}")]
    InvalidArrayIndex(String),
    /// An index or slice bound that is not a 64-bit number.
    #[error("array index {0} is not a number")]
    IndexNotNumber(String),
    /// A number literal that is neither an integer nor a float.
    #[error("cannot parse number {0}")]
    BadNumber(String),
    /// `....`: two recursive descents in a row.
    #[error("invalid multiple recursive descent")]
    MultipleRecursiveDescent,
    /// A field missing everywhere (only when missing keys are not allowed).
    #[error("{0} is not found")]
    NotFound(String),
    /// An index or slice applied to something else than a list (Go type name).
    #[error("{0} is not array or slice")]
    NotArray(String),
    /// An index outside the list.
    #[error("array index out of bounds: index {index}, length {length}")]
    IndexOutOfBounds { index: i64, length: i64 },
    /// A slice whose start is after its end.
    #[error("starting index {start} is greater than ending index {end}")]
    StartAfterEnd { start: i64, end: i64 },
    /// A slice step of zero or less.
    #[error("step must be > 0")]
    StepNotPositive,
    /// A filter applied to something else than a list (the value as Go prints it).
    #[error("{0} is not array or slice and cannot be filtered")]
    NotFilterable(String),
    /// A filter operand that yields several values.
    #[error("can only compare one element at a time")]
    CompareOneAtATime,
    /// A filter operator other than `== != < > <= >=`.
    #[error("unrecognized filter operator {0}")]
    UnrecognizedOperator(String),
    /// A comparison of values of different kinds (e.g. an integer and a float).
    #[error("incompatible types for comparison")]
    IncompatibleTypes,
    /// A comparison involving null, a list, a map, or `<` on booleans.
    #[error("invalid type for comparison")]
    InvalidComparisonType,
    /// A word other than `range` and `end` inside an action.
    #[error("unrecognized identifier {0}")]
    UnrecognizedIdentifier(String),
    /// `{end}` outside a range.
    #[error("not in range, nothing to end")]
    NotInRange,
    /// A custom-columns path that is not `a.b`, `.a.b`, `{a.b}` or `{.a.b}`.
    #[error("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{{name1.name2}}' or '{{.name1.name2}}'")]
    UnexpectedPathString,
}

/// A parsed JSONPath template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
    allow_missing_keys: bool,
}

/// Parses a template. Text outside braces is printed literally; kubectl's
/// `-o jsonpath` does not add braces (see [`relaxed_expression`] for
/// custom columns).
pub fn parse(template: &str) -> Result<Template, Error> {
    Ok(Template {
        nodes: parser::parse_template(template)?,
        allow_missing_keys: true,
    })
}

/// kubectl's `RelaxedJSONPathExpression` for `-o custom-columns` and
/// `--sort-by`: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all become `{.a.b}`.
pub fn relaxed_expression(path: &str) -> Result<String, Error> {
    if path.is_empty() {
        return Ok(String::new());
    }
    // `^\{\.?([^{}]+)\}$|^\.?([^{}]+)$`: the optional dot is dropped only when
    // something is left after it.
    let no_braces = |s: &str| !s.is_empty() && !s.contains(['{', '}']);
    let drop_dot = |s: &'_ str| -> String {
        match s.strip_prefix('.') {
            Some(rest) if !rest.is_empty() => rest.to_string(),
            _ => s.to_string(),
        }
    };
    let braced = path
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .map(drop_dot);
    let spec = match braced {
        Some(spec) if no_braces(&spec) => spec,
        _ => {
            let spec = drop_dot(path);
            if !no_braces(&spec) {
                return Err(Error::UnexpectedPathString);
            }
            spec
        }
    };
    Ok(format!("{{.{spec}}}"))
}

// === impl Template ===

impl Template {
    /// Whether a missing field yields nothing (kubectl's default,
    /// `--allow-missing-template-keys=true`) or an error.
    pub fn allow_missing_keys(mut self, allow: bool) -> Self {
        self.allow_missing_keys = allow;
        self
    }

    /// Renders the template: each action prints its results separated by
    /// single spaces; strings raw, numbers as Go prints them, null as `null`,
    /// maps and lists as compact JSON.
    pub fn render(&self, data: &Value) -> Result<String, Error> {
        let results = self.results(data)?;
        Ok(results
            .iter()
            .map(|values| {
                values
                    .iter()
                    .map(eval::text_of)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect())
    }

    /// Renders for `-o jsonpath-as-json`: each action's results as one
    /// indented JSON array followed by a newline.
    pub fn render_json(&self, data: &Value) -> Result<String, Error> {
        let results = self.results(data)?;
        Ok(results
            .iter()
            .map(|values| {
                crate::cli::printer::to_json(&Value::Array(
                    values.iter().map(eval::json_of).collect(),
                ))
            })
            .collect())
    }

    fn results<'a>(&'a self, data: &'a Value) -> Result<Vec<Vec<eval::Item<'a>>>, Error> {
        let mut executor = Executor::new(&self.nodes, self.allow_missing_keys);
        executor
            .find_results(0, eval::Item::Data(data))
            .map_err(|f| f.error)
    }
}
