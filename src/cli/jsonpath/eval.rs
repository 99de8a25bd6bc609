//! Evaluation of parsed JSONPath templates against JSON data.
//!
//! Ranges, filters, missing keys and printing follow client-go's semantics.

use serde_json::{Number, Value};

use super::parser::{Node, Param};
use super::Error;
use crate::cli::printer::{self, go_sprint};

/// A value reached during evaluation: part of the data, or a literal of the
/// template (which Go holds with its own type, e.g. `int` for `1`).
#[derive(Debug, Clone)]
pub(crate) enum Item<'a> {
    Data(&'a Value),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A byte of a string reached through `*` or `..`.
    Byte(u8),
}

/// An evaluation error with the values the failing step returned alongside
/// it; a `[?(@.x)]` existence filter still looks at those.
#[derive(Debug)]
pub(crate) struct Failure<'a> {
    partial: Vec<Item<'a>>,
    pub(crate) error: Error,
}

type Step<'a> = Result<Vec<Item<'a>>, Failure<'a>>;

fn fail<'a>(partial: Vec<Item<'a>>, error: Error) -> Step<'a> {
    Err(Failure { partial, error })
}

/// Walks the top-level nodes of a template, tracking `range`/`end`.
pub(crate) struct Executor<'t> {
    nodes: &'t [Node],
    allow_missing_keys: bool,
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    /// Index of the last `end` action that closed a range.
    last_end: Option<usize>,
}

// === impl Executor ===

impl<'t> Executor<'t> {
    pub(crate) fn new(nodes: &'t [Node], allow_missing_keys: bool) -> Self {
        Executor {
            nodes,
            allow_missing_keys,
            begin_range: 0,
            in_range: 0,
            end_range: 0,
            last_end: None,
        }
    }

    /// The results of each top-level node from `start` on, each evaluated
    /// against `data`. A `range` action evaluates the nodes after it once per
    /// result, up to its `end`.
    pub(crate) fn find_results<'a>(
        &mut self,
        start: usize,
        data: Item<'a>,
    ) -> Result<Vec<Vec<Item<'a>>>, Failure<'a>>
    where
        't: 'a,
    {
        let mut full = Vec::new();
        let mut i = start;
        while i < self.nodes.len() {
            let node = &self.nodes[i];
            let results = self.walk(vec![data.clone()], node)?;

            if self.end_range > 0 && self.end_range <= self.in_range {
                self.end_range -= 1;
                self.last_end = Some(i);
                break;
            }
            if self.begin_range > 0 {
                self.begin_range -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    // Still walk the body so that its `end` is found.
                    self.find_results(i + 1, Item::Data(&Value::Null))?;
                } else {
                    for value in results {
                        full.extend(self.find_results(i + 1, value)?);
                    }
                }
                self.in_range -= 1;
                if let Some(end) = self.last_end.filter(|end| *end > i) {
                    i = end;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk<'a>(&mut self, input: Vec<Item<'a>>, node: &'t Node) -> Step<'a>
    where
        't: 'a,
    {
        match node {
            Node::List(nodes) => self.eval_list(input, nodes),
            Node::Text(text) => Ok(vec![Item::Str(text.clone())]),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(input, left, right, op),
            Node::Int(i) => Ok(input.iter().map(|_| Item::Int(*i)).collect()),
            Node::Float(f) => Ok(input.iter().map(|_| Item::Float(*f)).collect()),
            Node::Bool(b) => Ok(input.iter().map(|_| Item::Bool(*b)).collect()),
            Node::Wildcard => Ok(eval_wildcard(input)),
            Node::Recursive => Ok(eval_recursive(input)),
            Node::Union(lists) => {
                let mut result = Vec::new();
                for list in lists {
                    match self.eval_list(input.clone(), list) {
                        Ok(values) => result.extend(values),
                        Err(f) => return fail(input, f.error),
                    }
                }
                Ok(result)
            }
            Node::Identifier(name) => self.eval_identifier(input, name),
        }
    }

    fn eval_list<'a>(&mut self, input: Vec<Item<'a>>, nodes: &'t [Node]) -> Step<'a>
    where
        't: 'a,
    {
        let mut current = input;
        for node in nodes {
            current = self.walk(current, node)?;
        }
        Ok(current)
    }

    fn eval_identifier<'a>(&mut self, input: Vec<Item<'a>>, name: &str) -> Step<'a> {
        match name {
            "range" => {
                self.begin_range += 1;
                Ok(input)
            }
            "end" if self.in_range > 0 => {
                self.end_range += 1;
                Ok(Vec::new())
            }
            "end" => fail(Vec::new(), Error::NotInRange),
            _ => fail(input, Error::UnrecognizedIdentifier(name.to_string())),
        }
    }

    fn eval_field<'a>(&self, input: Vec<Item<'a>>, name: &str) -> Step<'a> {
        if input.is_empty() {
            return Ok(input);
        }
        let results: Vec<Item<'a>> = input
            .iter()
            .filter_map(|item| match item {
                Item::Data(Value::Object(map)) => map.get(name).map(Item::Data),
                _ => None,
            })
            .collect();
        if results.is_empty() && !self.allow_missing_keys {
            return fail(results, Error::NotFound(name.to_string()));
        }
        Ok(results)
    }

    fn eval_filter<'a>(
        &mut self,
        input: Vec<Item<'a>>,
        left: &'t [Node],
        right: &'t [Node],
        op: &str,
    ) -> Step<'a>
    where
        't: 'a,
    {
        let mut results = Vec::new();
        for item in &input {
            let Item::Data(Value::Array(elements)) = item else {
                let shown = match item {
                    Item::Data(v) => go_sprint(v),
                    other => text_of(other),
                };
                return fail(input.clone(), Error::NotFilterable(shown));
            };
            for element in elements {
                let temp = vec![Item::Data(element)];
                let lefts = self.eval_list(temp.clone(), left);
                if op == "exists" {
                    let found = match &lefts {
                        Ok(values) => !values.is_empty(),
                        Err(f) => !f.partial.is_empty(),
                    };
                    if found {
                        results.push(Item::Data(element));
                    }
                    continue;
                }
                let lefts = match lefts {
                    Ok(values) => values,
                    Err(f) => return fail(input.clone(), f.error),
                };
                let left_value = match lefts.as_slice() {
                    [] => continue,
                    [one] => one.clone(),
                    _ => return fail(input.clone(), Error::CompareOneAtATime),
                };
                let rights = self.eval_list(temp, right).map_err(|f| Failure {
                    partial: input.clone(),
                    error: f.error,
                })?;
                let right_value = match rights.as_slice() {
                    [] => continue,
                    [one] => one.clone(),
                    _ => return fail(input.clone(), Error::CompareOneAtATime),
                };
                match compare(op, &left_value, &right_value) {
                    Ok(true) => results.push(Item::Data(element)),
                    Ok(false) => {}
                    Err(error) => return fail(results, error),
                }
            }
        }
        Ok(results)
    }
}

/// Go's type name of a value, as array errors print it.
fn type_name(item: &Item<'_>) -> &'static str {
    match item {
        Item::Data(Value::Object(_)) => "map[string]interface {}",
        Item::Data(Value::Array(_)) => "[]interface {}",
        Item::Data(Value::String(_)) | Item::Str(_) => "string",
        Item::Data(Value::Number(n)) if n.is_i64() => "int64",
        Item::Data(Value::Number(_)) | Item::Float(_) => "float64",
        Item::Data(Value::Bool(_)) | Item::Bool(_) => "bool",
        Item::Data(Value::Null) => "interface {}",
        Item::Int(_) => "int",
        Item::Byte(_) => "uint8",
    }
}

fn eval_array<'a>(input: Vec<Item<'a>>, template: &[Param; 3]) -> Step<'a> {
    let mut result = Vec::new();
    for item in &input {
        let elements = match item {
            Item::Data(Value::Null) => continue,
            Item::Data(Value::Array(elements)) => elements,
            other => return fail(input.clone(), Error::NotArray(type_name(other).to_string())),
        };
        let length = elements.len() as i64;
        let mut p = *template;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value = p[0].value.wrapping_add(length);
        }
        if !p[1].known {
            p[1].value = length;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value = p[1].value.wrapping_add(length);
        }
        let (start, end) = (p[0].value, p[1].value);
        if start == end {
            // An empty selection ends the whole step, as in client-go.
            return Ok(result);
        }
        if start >= length || start < 0 {
            return fail(
                input.clone(),
                Error::IndexOutOfBounds {
                    index: start,
                    length,
                },
            );
        }
        if end > length || end < 0 {
            return fail(
                input.clone(),
                Error::IndexOutOfBounds {
                    index: end.wrapping_sub(1),
                    length,
                },
            );
        }
        if start > end {
            return fail(input.clone(), Error::StartAfterEnd { start, end });
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return fail(input.clone(), Error::StepNotPositive);
            }
            usize::try_from(p[2].value).unwrap_or(usize::MAX)
        } else {
            1
        };
        let (start, end) = (start as usize, end as usize);
        result.extend(elements[start..end].iter().step_by(step).map(Item::Data));
    }
    Ok(result)
}

/// The children of a value for `*` and `..`: map values by key order (Go's
/// order is random), elements, or the bytes of a string.
fn children<'a>(item: &Item<'a>) -> Vec<Item<'a>> {
    match item {
        Item::Data(Value::Object(map)) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            entries.into_iter().map(|(_, v)| Item::Data(v)).collect()
        }
        Item::Data(Value::Array(items)) => items.iter().map(Item::Data).collect(),
        Item::Data(Value::String(s)) => s.bytes().map(Item::Byte).collect(),
        Item::Str(s) => s.bytes().map(Item::Byte).collect(),
        _ => Vec::new(),
    }
}

fn eval_wildcard(input: Vec<Item<'_>>) -> Vec<Item<'_>> {
    input.iter().flat_map(children).collect()
}

/// Every value with children, each followed by its descendants.
fn eval_recursive(input: Vec<Item<'_>>) -> Vec<Item<'_>> {
    let mut result = Vec::new();
    for item in input {
        let below = children(&item);
        if !below.is_empty() {
            result.push(item);
            result.extend(eval_recursive(below));
        }
    }
    result
}

/// A comparable scalar, by Go's "basic kind".
enum Basic<'x> {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'x str),
}

fn basic<'x>(item: &'x Item<'_>) -> Result<Basic<'x>, Error> {
    Ok(match item {
        Item::Data(Value::Bool(b)) | Item::Bool(b) => Basic::Bool(*b),
        Item::Data(Value::Number(n)) => number_basic(n),
        Item::Data(Value::String(s)) => Basic::Str(s),
        Item::Str(s) => Basic::Str(s),
        Item::Int(i) => Basic::Int(*i),
        Item::Float(f) => Basic::Float(*f),
        Item::Byte(b) => Basic::Uint(u64::from(*b)),
        Item::Data(Value::Null | Value::Array(_) | Value::Object(_)) => {
            return Err(Error::InvalidComparisonType)
        }
    })
}

fn number_basic(n: &Number) -> Basic<'static> {
    match n.as_i64() {
        Some(i) => Basic::Int(i),
        None => Basic::Float(n.as_f64().unwrap_or(0.0)),
    }
}

fn equal(a: &Item<'_>, b: &Item<'_>) -> Result<bool, Error> {
    Ok(match (basic(a)?, basic(b)?) {
        (Basic::Bool(x), Basic::Bool(y)) => x == y,
        (Basic::Int(x), Basic::Int(y)) => x == y,
        (Basic::Uint(x), Basic::Uint(y)) => x == y,
        (Basic::Float(x), Basic::Float(y)) => x == y,
        (Basic::Str(x), Basic::Str(y)) => x == y,
        (Basic::Int(x), Basic::Uint(y)) | (Basic::Uint(y), Basic::Int(x)) => {
            u64::try_from(x).is_ok_and(|x| x == y)
        }
        _ => return Err(Error::IncompatibleTypes),
    })
}

fn less(a: &Item<'_>, b: &Item<'_>) -> Result<bool, Error> {
    Ok(match (basic(a)?, basic(b)?) {
        (Basic::Bool(_), Basic::Bool(_)) => return Err(Error::InvalidComparisonType),
        (Basic::Int(x), Basic::Int(y)) => x < y,
        (Basic::Uint(x), Basic::Uint(y)) => x < y,
        (Basic::Float(x), Basic::Float(y)) => x < y,
        (Basic::Str(x), Basic::Str(y)) => x < y,
        (Basic::Int(x), Basic::Uint(y)) => u64::try_from(x).map_or(true, |x| x < y),
        (Basic::Uint(x), Basic::Int(y)) => u64::try_from(y).is_ok_and(|y| x < y),
        _ => return Err(Error::IncompatibleTypes),
    })
}

/// The filter operators, built from `<` and `==` as Go's template functions are.
fn compare(op: &str, a: &Item<'_>, b: &Item<'_>) -> Result<bool, Error> {
    let less_equal = || -> Result<bool, Error> { Ok(less(a, b)? || equal(a, b)?) };
    match op {
        "==" => equal(a, b),
        "!=" => equal(a, b).map(|e| !e),
        "<" => less(a, b),
        "<=" => less_equal(),
        ">" => less_equal().map(|le| !le),
        ">=" => less(a, b).map(|l| !l),
        _ => Err(Error::UnrecognizedOperator(op.to_string())),
    }
}

/// How one result prints: objects and arrays as compact JSON, strings raw,
/// null as `null`, numbers as Go prints them.
pub(crate) fn text_of(item: &Item<'_>) -> String {
    match item {
        Item::Data(v @ (Value::Object(_) | Value::Array(_))) => printer::to_json_compact(v),
        Item::Data(Value::Null) => "null".into(),
        Item::Data(v) => go_sprint(v),
        Item::Str(s) => s.clone(),
        Item::Int(i) => i.to_string(),
        Item::Float(f) => go_sprint(&Number::from_f64(*f).map_or(Value::Null, Value::Number)),
        Item::Bool(b) => b.to_string(),
        Item::Byte(b) => b.to_string(),
    }
}

/// One result as a JSON value, for the JSON output mode.
pub(crate) fn json_of(item: &Item<'_>) -> Value {
    match item {
        Item::Data(v) => (*v).clone(),
        Item::Str(s) => Value::String(s.clone()),
        Item::Int(i) => Value::from(*i),
        Item::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Item::Bool(b) => Value::Bool(*b),
        Item::Byte(b) => Value::from(*b),
    }
}
