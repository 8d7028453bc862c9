//! Splitting text into words, shared by the word functions and the `has_*word*` tests.
//!
//! A word is a maximal run of letters, combining marks, numbers (any script), `_` and the
//! ASCII apostrophe `'` (so `O'Grady`, `can't` and `foo_bar` are single words); every
//! symbol character (emoji, currency, maths signs, skin-tone modifiers…) is a word of
//! its own; everything else (spaces, punctuation such as `.`, `,`, `!`, `“`) separates
//! words and is dropped.

use std::sync::OnceLock;

use regex::Regex;

fn word_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[\pM\pL\pN_']+|\pS").expect("valid word regex"))
}

/// The words of `text`, in order: `"one.two😄three"` → `["one", "two", "😄", "three"]`.
pub fn tokenize(text: &str) -> Vec<&str> {
    word_regex().find_iter(text).map(|m| m.as_str()).collect()
}

/// The words of `text` and their byte ranges, in order.
pub fn tokenize_spans(text: &str) -> Vec<(usize, usize)> {
    word_regex()
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// The words of `text` split by any of the characters in `delimiters` (empty words
/// dropped): `tokenize_by_chars("bee.*cat,dog", ".*=|")` → `["bee", "cat,dog"]`.
pub fn tokenize_by_chars<'a>(text: &'a str, delimiters: &str) -> Vec<&'a str> {
    text.split(|c: char| delimiters.contains(c))
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (" ", &[]),
            (".", &[]),
            (" one ", &["one"]),
            ("one   two three", &["one", "two", "three"]),
            ("one.two.three", &["one", "two", "three"]),
            ("this.is.my.βήτα", &["this", "is", "my", "βήτα"]),
            ("O'Grady can't foo_bar", &["O'Grady", "can't", "foo_bar"]),
            ("öne.βήταa.thé", &["öne", "βήταa", "thé"]),
            ("واحد اثنين ثلاثة", &["واحد", "اثنين", "ثلاثة"]),
            ("  \t\none(two!*@three ", &["one", "two", "three"]),
            ("spend$£€₠₣₪", &["spend", "$", "£", "€", "₠", "₣", "₪"]),
            ("math+=×÷√∊", &["math", "+", "=", "×", "÷", "√", "∊"]),
            (
                "emoji😄🏥👪👰😟🧟",
                &["emoji", "😄", "🏥", "👪", "👰", "😟", "🧟"],
            ),
            ("👍🏿 👨🏼", &["👍", "🏿", "👨", "🏼"]),
            ("ℹ ℹ\u{fe0f}", &["ℹ", "ℹ\u{fe0f}"]),
            ("ยกเลิก sasa", &["ยกเลิก", "sasa"]),
            ("বাতিল sasa", &["বাতিল", "sasa"]),
            ("ထွက်သွား sasa", &["ထွက်သွား", "sasa"]),
            ("😁😁", &["😁", "😁"]),
            ("I say to you📴", &["I", "say", "to", "you", "📴"]),
            ("“SIGN ABCDEF”", &["SIGN", "ABCDEF"]),
            ("ጥሩ ፍሰቶች", &["ጥሩ", "ፍሰቶች"]),
            ("21.35", &["21", "35"]),
        ];
        for (text, expected) in cases {
            assert_eq!(tokenize(text), *expected, "tokenizing {text:?}");
        }
    }

    #[test]
    fn spans() {
        assert_eq!(tokenize_spans("Hi there."), vec![(0, 2), (3, 8)]);
    }

    #[test]
    fn by_chars() {
        assert_eq!(
            tokenize_by_chars("one   two three", " "),
            ["one", "two", "three"]
        );
        assert_eq!(tokenize_by_chars("Jim O'Grady", " "), ["Jim", "O'Grady"]);
        assert_eq!(
            tokenize_by_chars("one.βήταa/three", "./"),
            ["one", "βήταa", "three"]
        );
        assert_eq!(tokenize_by_chars("one😄three", "😄"), ["one", "three"]);
        assert_eq!(
            tokenize_by_chars("  one.two.*@three ", " .*@"),
            ["one", "two", "three"]
        );
        assert_eq!(
            tokenize_by_chars("bee.*cat,dog", ".*=|"),
            ["bee", "cat,dog"]
        );
        assert_eq!(tokenize_by_chars("abc", ""), ["abc"]);
    }
}
