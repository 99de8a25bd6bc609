//! Parsing of kubectl's JSONPath template language into a node tree.
//!
//! The grammar and its quirks follow client-go's `util/jsonpath` parser:
//! text outside `{}` is literal; inside, `.field`, `[index]`, `[start:end:step]`,
//! `[*]`, `['key']`, `[a,b]` unions, `..` recursive descent, `[?(...)]`
//! filters, quoted strings, numbers and the identifiers `range` and `end`.

mod literals;

use super::Error;
use literals::{go_atoi, go_parse_float, parse_slice, unquote};

/// One element of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Literal text, outside braces or from a quoted string.
    Text(String),
    /// The steps of one `{...}` action, applied in turn.
    List(Vec<Node>),
    /// `.name`: a map lookup.
    Field(String),
    /// `[i]`, `[start:end:step]`, `[*]`.
    Array([Param; 3]),
    /// `[?(left op right)]`, or `[?(left)]` with operator "exists".
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `.*`: every element, map value or string byte.
    Wildcard,
    /// `..`: every container below, depth first.
    Recursive,
    /// `[a,b]`: the results of each list, concatenated.
    Union(Vec<Vec<Node>>),
    /// `range`, `end`, or any other word (an error when evaluated).
    Identifier(String),
}

/// One of the three numbers of an array step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Param {
    pub(crate) value: i64,
    /// Given in the template (otherwise a default applies).
    pub(crate) known: bool,
    /// The end of a single index `[i]`, stored as `i + 1`.
    pub(crate) derived: bool,
}

/// Parses a whole template into its top-level nodes (text and actions).
pub(crate) fn parse_template(text: &str) -> Result<Vec<Node>, Error> {
    let mut p = Parser::new(text);
    p.parse_text()?;
    Ok(p.root)
}

/// Parses `text` as the inside of one action (`{text}`), as the parser does
/// for filter operands, union members and `['key']`.
fn parse_action(text: &str) -> Result<Vec<Node>, Error> {
    let nodes = parse_template(&format!("{{{text}}}"))?;
    match nodes.into_iter().next() {
        Some(Node::List(list)) => Ok(list),
        _ => Ok(Vec::new()),
    }
}

struct Parser {
    input: Vec<char>,
    /// Start of the text not yet consumed.
    start: usize,
    pos: usize,
    /// Width of the last `next` (0 at the end), for `backup`.
    width: usize,
    root: Vec<Node>,
}

// === impl Parser ===

impl Parser {
    fn new(text: &str) -> Self {
        Parser {
            input: text.chars().collect(),
            start: 0,
            pos: 0,
            width: 0,
            root: Vec::new(),
        }
    }

    fn next(&mut self) -> Option<char> {
        match self.input.get(self.pos) {
            Some(&c) => {
                self.width = 1;
                self.pos += 1;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn peek(&self) -> Option<char> {
        self.input.get(self.pos).copied()
    }

    fn starts_with(&self, prefix: &str) -> bool {
        let rest = &self.input[self.pos.min(self.input.len())..];
        prefix.chars().count() <= rest.len() && prefix.chars().zip(rest).all(|(a, b)| a == *b)
    }

    fn consume_text(&mut self) -> String {
        let text: String = self.input[self.start..self.pos].iter().collect();
        self.start = self.pos;
        text
    }

    /// Literal text up to each `{`, then the action it opens.
    fn parse_text(&mut self) -> Result<(), Error> {
        loop {
            if self.starts_with("{") {
                if self.pos > self.start {
                    let text = self.consume_text();
                    self.root.push(Node::Text(text));
                }
                self.pos += 1;
                self.consume_text();
                let mut list = Vec::new();
                let result = self.parse_inside_action(&mut list);
                self.root.push(Node::List(list));
                result?;
                continue;
            }
            if self.next().is_none() {
                break;
            }
        }
        if self.pos > self.start {
            let text = self.consume_text();
            self.root.push(Node::Text(text));
        }
        Ok(())
    }

    /// The steps of one action, up to and including its `}`.
    fn parse_inside_action(&mut self, cur: &mut Vec<Node>) -> Result<(), Error> {
        loop {
            if self.starts_with("}") {
                self.pos += 1;
                self.consume_text();
                return Ok(());
            }
            if self.starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if self.starts_with("..") {
                self.parse_recursive(cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err(Error::UnclosedAction),
                Some(' ' | '@' | '$') => {
                    self.consume_text();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur),
                Some(c) if c == '+' || c == '-' || is_digit(c) => {
                    self.backup();
                    self.parse_number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(cur);
                }
                Some(c) => return Err(Error::UnrecognizedCharacter(describe_char(c))),
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) {
        loop {
            let c = self.next();
            if is_terminator(c) {
                self.backup();
                break;
            }
        }
        let value = self.consume_text();
        cur.push(match value.as_str() {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            _ => Node::Identifier(value),
        });
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), Error> {
        if cur.last() == Some(&Node::Recursive) {
            return Err(Error::MultipleRecursiveDescent);
        }
        self.pos += 2;
        self.consume_text();
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), Error> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || is_digit(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let value = self.consume_text();
        if let Some(i) = go_atoi(&value) {
            cur.push(Node::Int(i));
        } else if let Some(f) = go_parse_float(&value) {
            cur.push(Node::Float(f));
        } else {
            return Err(Error::BadNumber(value));
        }
        Ok(())
    }

    /// `[...]`: a union, a quoted key or an index/slice.
    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), Error> {
        loop {
            match self.next() {
                None | Some('\n') => return Err(Error::UnterminatedArray),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let text = self.consume_text();
        let inner: String = {
            let chars: Vec<char> = text.chars().collect();
            chars[1..chars.len() - 1].iter().collect()
        };
        let inner = if inner == "*" { ":".to_string() } else { inner };

        let members: Vec<&str> = inner.split(',').collect();
        if members.len() > 1 {
            let mut union = Vec::new();
            for member in members {
                union.push(parse_action(&format!("[{}]", member.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }

        // ['key'] reads as .key, so dots inside still split the path.
        if let Some(key) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            if !key.contains('\'') && inner.len() >= 2 {
                cur.extend(parse_action(&format!(".{key}"))?);
                return Ok(());
            }
        }

        cur.push(Node::Array(parse_slice(&inner)?));
        Ok(())
    }

    /// `[?(...)]`: scans to the `)` that is outside quotes, then splits
    /// `left op right` on the first run of `!<>=`.
    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), Error> {
        self.pos += 3;
        self.consume_text();
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            let c = self.next();
            match c {
                None | Some('\n') => return Err(Error::UnterminatedFilter),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    let escaped = self.pos >= 2 && self.input[self.pos - 2] == '\\';
                    if !escaped && q == pair {
                        end = true;
                    }
                }
                Some(')') => {
                    if begin == end {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err(Error::UnclosedFilter);
        }
        let text = self.consume_text();
        let chars: Vec<char> = text.chars().collect();
        let expr: String = chars[..chars.len().saturating_sub(2)].iter().collect();
        match split_comparison(&expr) {
            None => cur.push(Node::Filter {
                left: parse_action(&expr)?,
                right: Vec::new(),
                op: "exists".into(),
            }),
            Some((left, op, right)) => cur.push(Node::Filter {
                left: parse_action(&left)?,
                right: parse_action(&right)?,
                op,
            }),
        }
        Ok(())
    }

    /// A quoted string: its unescaped text becomes a text node.
    fn parse_quote(&mut self, cur: &mut Vec<Node>, quote: char) -> Result<(), Error> {
        loop {
            match self.next() {
                None | Some('\n') => return Err(Error::UnterminatedQuote),
                Some('\\') => {
                    if matches!(self.next(), None | Some('\n')) {
                        break;
                    }
                }
                Some(c) if c == quote => break,
                Some(_) => {}
            }
        }
        let value = self.consume_text();
        match unquote(&value) {
            Some(s) => cur.push(Node::Text(s)),
            None => return Err(Error::BadQuotedString(value)),
        }
        Ok(())
    }

    /// `.name` (a backslash escapes the next character, so `\.` stays in
    /// the name); `.*` is a wildcard.
    fn parse_field(&mut self, cur: &mut Vec<Node>) {
        self.consume_text();
        loop {
            let c = self.next();
            if c == Some('\\') {
                self.next();
            } else if is_terminator(c) {
                self.backup();
                break;
            }
        }
        let value = self.consume_text();
        if value == "*" {
            cur.push(Node::Wildcard);
        } else {
            cur.push(Node::Field(value.replace('\\', "")));
        }
    }
}

/// Go's `unicode.IsDigit`, approximated outside ASCII.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn is_terminator(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

/// Go's `%#U`: `U+0027 '''`, without the quoted glyph for unprintable runes.
fn describe_char(c: char) -> String {
    let printable = c == ' '
        || !(c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{feff}'));
    if printable {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Splits a filter body as `^([^!<>=]+)([!<>=]+)(.+?)$` does.
fn split_comparison(expr: &str) -> Option<(String, String, String)> {
    let chars: Vec<char> = expr.chars().collect();
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let k = chars.iter().position(|c| is_op(*c))?;
    if k == 0 {
        return None;
    }
    let run = chars[k..].iter().take_while(|c| is_op(**c)).count();
    // The right side needs at least one character, even an operator one.
    let op_len = run.min(chars.len() - k - 1);
    if op_len == 0 {
        return None;
    }
    let left = chars[..k].iter().collect();
    let op = chars[k..k + op_len].iter().collect();
    let right = chars[k + op_len..].iter().collect();
    Some((left, op, right))
}
