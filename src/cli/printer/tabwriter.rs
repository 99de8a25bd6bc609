//! Column alignment of kubectl's human-readable output.
//!
//! kubectl pipes every table through a tab writer built on Go's
//! `text/tabwriter` (elastic tabstops) with minimum cell width 6, padding 3,
//! space padding and the `RememberWidths` extension. Cells end at `\t` or
//! `\v`; the text after a line's last tab is not aligned (nor padded). A
//! column is aligned over a block of consecutive lines that all have a cell in
//! it, and a line with a single cell flushes the writer; with
//! `RememberWidths`, a column never gets narrower than it was in an earlier
//! block.

/// Minimum width of a cell, padding included.
const MIN_WIDTH: usize = 6;
/// Spaces added to the widest cell of a column.
const PADDING: usize = 3;

/// A tab writer that remembers column widths across calls, as kubectl's does
/// across the tables it prints during `get --watch`.
#[derive(Debug, Clone)]
pub struct TabWriter {
    min_width: usize,
    padding: usize,
    /// Keep `max_widths` across blocks and calls (kubectl's `RememberWidths`).
    remember: bool,
    /// The widest width seen so far per column index.
    max_widths: Vec<usize>,
}

impl Default for TabWriter {
    fn default() -> Self {
        TabWriter {
            min_width: MIN_WIDTH,
            padding: PADDING,
            remember: true,
            max_widths: Vec::new(),
        }
    }
}

/// One tab-terminated piece of a line.
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    /// Width in characters (Go counts runes).
    width: usize,
}

// === impl Cell ===

impl Cell {
    fn new(text: String) -> Self {
        let width = text.chars().count();
        Cell { text, width }
    }
}

// === impl TabWriter ===

impl TabWriter {
    /// kubectl's table writer (`get`): minimum width 6, padding 3, widths
    /// remembered.
    pub fn new() -> Self {
        Self::default()
    }

    /// A plain Go `text/tabwriter` with space padding and no width memory;
    /// `kubectl describe` lays out its text with `with_layout(0, 2)`.
    pub fn with_layout(min_width: usize, padding: usize) -> Self {
        TabWriter {
            min_width,
            padding,
            remember: false,
            max_widths: Vec::new(),
        }
    }

    /// Aligns `text` (lines of tab-separated cells) and returns it.
    pub fn format(&mut self, text: &str) -> String {
        let mut out = String::new();
        let mut lines: Vec<Vec<Cell>> = vec![Vec::new()];
        let mut cell = String::new();
        for c in text.chars() {
            match c {
                '\t' | '\u{b}' | '\n' | '\u{c}' => {
                    let line = lines.last_mut();
                    let cells = match line {
                        Some(line) => {
                            line.push(Cell::new(std::mem::take(&mut cell)));
                            line.len()
                        }
                        None => 0,
                    };
                    if c == '\n' || c == '\u{c}' {
                        lines.push(Vec::new());
                        // A line with one cell does not affect later alignment,
                        // so the writer flushes there (and always at a form feed).
                        if c == '\u{c}' || cells == 1 {
                            self.flush(&lines, &mut out);
                            lines = vec![Vec::new()];
                        }
                    }
                }
                c => cell.push(c),
            }
        }
        if !cell.is_empty() {
            if let Some(line) = lines.last_mut() {
                line.push(Cell::new(cell));
            }
        }
        self.flush(&lines, &mut out);
        out
    }

    fn flush(&mut self, lines: &[Vec<Cell>], out: &mut String) {
        let mut widths = Vec::new();
        self.format_block(lines, &mut widths, 0, lines.len(), out);
    }

    /// Aligns column `widths.len()` over lines `line0..line1`, recursing into
    /// the columns to its right once its width in each block is known.
    fn format_block(
        &mut self,
        lines: &[Vec<Cell>],
        widths: &mut Vec<usize>,
        mut line0: usize,
        line1: usize,
        out: &mut String,
    ) {
        let column = widths.len();
        let has_column = |line: &Vec<Cell>| column + 1 < line.len();
        let mut this = line0;
        while this < line1 {
            if !has_column(&lines[this]) {
                this += 1;
                continue;
            }
            write_lines(lines, widths, line0, this, out);
            line0 = this;

            let mut width = self.min_width;
            while this < line1 && has_column(&lines[this]) {
                width = width.max(lines[this][column].width + self.padding);
                this += 1;
            }

            if self.remember {
                self.remember_width(widths, column, &mut width);
            }

            widths.push(width);
            self.format_block(lines, widths, line0, this, out);
            widths.pop();
            line0 = this;
        }
        write_lines(lines, widths, line0, line1, out);
    }
}

// === impl TabWriter (width memory) ===

impl TabWriter {
    /// Widens `width` to the widest seen for `column` before, or records it.
    fn remember_width(&mut self, widths: &[usize], column: usize, width: &mut usize) {
        if self.max_widths.len() < widths.len() {
            let missing = widths[self.max_widths.len()..].to_vec();
            self.max_widths.extend(missing);
        }
        match self.max_widths.get_mut(column) {
            None => self.max_widths.push(*width),
            Some(remembered) if *remembered > *width => *width = *remembered,
            Some(remembered) => *remembered = *width,
        }
    }
}

/// Writes lines `line0..line1`, padding each cell that has a known column width.
fn write_lines(
    lines: &[Vec<Cell>],
    widths: &[usize],
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(&cell.text);
            if let Some(w) = widths.get(j) {
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.width)));
            }
        }
        // The last buffered line has no newline of its own.
        if i + 1 != lines.len() {
            out.push('\n');
        }
    }
}
