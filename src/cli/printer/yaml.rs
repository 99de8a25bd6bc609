//! YAML text as `kubectl -o yaml` writes it.
//!
//! kubectl marshals through sigs.k8s.io/yaml: the object goes to JSON, is read
//! back by go-yaml v2 into generic maps and emitted by go-yaml's block
//! emitter. The visible consequences reproduced here: keys in go-yaml's
//! natural order, two-space indentation with sequences at their parent key's
//! column, YAML 1.1 quoting (`"yes"`, `"8080"`, timestamps), literal blocks
//! for multi-line strings, and long plain or quoted lines folded after column
//! 80.

mod resolve;
mod scalar;

use serde_json::Value;

use crate::api::gojson::number::{self as gofmt, GoNumber};
use scalar::{analyze, is_break, is_printable, Analysis};

/// Indentation step of the emitter.
const BEST_INDENT: i32 = 2;
/// Folding column of the emitter.
const BEST_WIDTH: usize = 80;
/// go-yaml writes longer keys in the explicit `? key` form.
const MAX_SIMPLE_KEY_LEN: usize = 128;

/// Renders `v` as one YAML document, ending with a newline.
pub(crate) fn render(v: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
    };
    e.node(v, -1, Context::Root);
    // Document end: finish the last line unless a block scalar already did.
    e.write_indent(-1);
    e.out
}

/// Where a node sits; it changes indentation and which styles are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Root,
    /// A mapping key written in the short `key: value` form.
    SimpleKey,
    /// A mapping key written in the explicit `? key` form.
    ComplexKey,
    MappingValue,
    SequenceItem,
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// The emitter's output position, mirroring go-yaml's bookkeeping.
struct Emitter {
    out: String,
    column: usize,
    /// The last character written was whitespace (no separating space needed).
    whitespace: bool,
    /// Only indentation has been written on the current line.
    indention: bool,
}

// === impl Emitter ===

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Writes a line break of the scalar: LF as a newline, other breaks as themselves.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self, indent: i32) {
        let indent = indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, v: &Value, parent_indent: i32, ctx: Context) {
        match v {
            Value::Object(map) if map.is_empty() => self.empty_collection("{", "}"),
            Value::Array(items) if items.is_empty() => self.empty_collection("[", "]"),
            Value::Object(map) => {
                let mut entries: Vec<(&str, &Value)> =
                    map.iter().map(|(k, v)| (k.as_str(), v)).collect();
                scalar::sort_keys(&mut entries);
                self.mapping(&entries, parent_indent);
            }
            Value::Array(items) => self.sequence(items, parent_indent, ctx),
            Value::String(s) => self.string(s, parent_indent, ctx),
            Value::Null => self.scalar("null", Style::Plain, parent_indent, ctx),
            Value::Bool(b) => self.scalar(
                if *b { "true" } else { "false" },
                Style::Plain,
                parent_indent,
                ctx,
            ),
            Value::Number(n) => self.scalar(&number_text(n), Style::Plain, parent_indent, ctx),
        }
    }

    fn empty_collection(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn mapping(&mut self, entries: &[(&str, &Value)], parent_indent: i32) {
        let indent = block_indent(parent_indent, false);
        for (key, value) in entries {
            self.write_indent(indent);
            let a = analyze(key);
            if !a.multiline && key.len() <= MAX_SIMPLE_KEY_LEN {
                self.string(key, indent, Context::SimpleKey);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.string(key, indent, Context::ComplexKey);
                self.write_indent(indent);
                self.write_indicator(":", true, false, true);
            }
            self.node(value, indent, Context::MappingValue);
        }
    }

    fn sequence(&mut self, items: &[Value], parent_indent: i32, ctx: Context) {
        // A sequence that is a mapping value starts at the key's column.
        let in_mapping = matches!(
            ctx,
            Context::SimpleKey | Context::ComplexKey | Context::MappingValue
        );
        let indent = if in_mapping && !self.indention {
            parent_indent.max(0)
        } else {
            block_indent(parent_indent, false)
        };
        for item in items {
            self.write_indent(indent);
            self.write_indicator("-", true, false, true);
            self.node(item, indent, Context::SequenceItem);
        }
    }

    /// A string scalar: plain when it reads back as the same string, a literal
    /// block when it spans lines, double quotes otherwise; then narrowed by
    /// what its characters allow.
    fn string(&mut self, s: &str, parent_indent: i32, ctx: Context) {
        let style = if s.contains('\n') {
            Style::Literal
        } else if resolve::plain_is_string(s) {
            Style::Plain
        } else {
            Style::DoubleQuoted
        };
        self.scalar(s, style, parent_indent, ctx);
    }

    fn scalar(&mut self, value: &str, requested: Style, parent_indent: i32, ctx: Context) {
        let a = analyze(value);
        let simple_key = ctx == Context::SimpleKey;
        let style = select_style(requested, &a, value, simple_key);
        // Scalars are indented one step past their parent, like flow nodes.
        let indent = if parent_indent < 0 {
            BEST_INDENT
        } else {
            parent_indent + BEST_INDENT
        };
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.plain(value, indent, allow_breaks),
            Style::SingleQuoted => self.single_quoted(value, indent, allow_breaks),
            Style::DoubleQuoted => self.double_quoted(value, indent, allow_breaks),
            Style::Literal => self.literal(value, indent),
        }
    }

    fn plain(&mut self, value: &str, indent: i32, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, value: &str, indent: i32, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        let last = chars.len().saturating_sub(1);
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < last
                    && !next_is_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, value: &str, indent: i32, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // go-yaml tests for a byte order mark at the start of the whole value
        // rather than at each position, so such a value is escaped throughout.
        let starts_with_bom = value.starts_with('\u{feff}');
        let chars: Vec<char> = value.chars().collect();
        let last = chars.len().saturating_sub(1);
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.escape(c);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != last {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            i += 1;
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn escape(&mut self, c: char) {
        self.put('\\');
        let short = match c {
            '\0' => Some('0'),
            '\u{7}' => Some('a'),
            '\u{8}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{b}' => Some('v'),
            '\u{c}' => Some('f'),
            '\r' => Some('r'),
            '\u{1b}' => Some('e'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{85}' => Some('N'),
            '\u{a0}' => Some('_'),
            '\u{2028}' => Some('L'),
            '\u{2029}' => Some('P'),
            _ => None,
        };
        if let Some(s) = short {
            self.put(s);
            return;
        }
        let u = c as u32;
        let (marker, width) = if u <= 0xff {
            ('x', 2)
        } else if u <= 0xffff {
            ('u', 4)
        } else {
            ('U', 8)
        };
        self.put(marker);
        for k in (0..width).rev() {
            let digit = (u >> (k * 4)) & 0xf;
            self.put(
                char::from_digit(digit, 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase(),
            );
        }
    }

    fn literal(&mut self, value: &str, indent: i32) {
        self.write_indicator("|", true, false, false);
        self.block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// The indentation hint (`2` when the text starts with a space or break)
    /// and the chomping indicator: `-` without a final break, none for one,
    /// `+` for more.
    fn block_scalar_hints(&mut self, value: &str) {
        let mut chars = value.chars();
        if chars
            .clone()
            .next()
            .is_some_and(|c| c == ' ' || is_break(c))
        {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let mut rev = chars.by_ref().rev();
        let chomp = match (rev.next(), rev.next()) {
            (None, _) => Some("-"),
            (Some(last), _) if !is_break(last) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(before)) if is_break(before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }
}

/// go-yaml's `increase_indent` for block collections: the root starts at 0,
/// nested ones one step in.
fn block_indent(parent_indent: i32, indentless: bool) -> i32 {
    if parent_indent < 0 {
        0
    } else if indentless {
        parent_indent
    } else {
        parent_indent + BEST_INDENT
    }
}

/// Narrows the requested style to one the text allows.
fn select_style(requested: Style, a: &Analysis, value: &str, simple_key: bool) -> Style {
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (value.is_empty() && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// A number as it appears after kubectl's JSON → YAML round trip: integers
/// as is; floats in Go's JSON text, which go-yaml reads back as an integer
/// when it has no fraction, or else prints with `%g`.
fn number_text(n: &serde_json::Number) -> String {
    match gofmt::classify(n) {
        GoNumber::Int(i) => i.to_string(),
        GoNumber::Float(f) => {
            let text = gofmt::float_json(f);
            if let Ok(i) = text.parse::<i64>() {
                i.to_string()
            } else if let Ok(u) = text.parse::<u64>() {
                u.to_string()
            } else {
                gofmt::float_g(text.parse::<f64>().unwrap_or(f))
            }
        }
    }
}
