//! Escaping text for HTML and SVG (XML).
//!
//! Its own module because both the page ([`super::html`]) and the charts in it
//! ([`super::svg`]) escape text, and the page uses the charts: with the function in
//! either of them the two would use each other. Kept below both, it is one rule for the
//! whole report (the same five characters are escaped in HTML and XML text and attribute
//! values).

/// Escapes text for HTML and XML: `&`, `<`, `>`, `"` and `'`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
