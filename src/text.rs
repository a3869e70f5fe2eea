//! Text normalisation of what OCR read in a zone (design brief, "Text"): NFC, one line,
//! hyphenated words re-joined, whitespace collapsed, apostrophes and quotes folded, control
//! characters dropped. Nothing here corrects spelling: normalisation never invents a word.

use unicode_normalization::UnicodeNormalization;

/// Characters folded to the ASCII apostrophe (typographic, modifier letter, primes, backtick).
const APOSTROPHES: &[char] = &[
    '\u{2019}', '\u{2018}', '\u{02BC}', '\u{02BB}', '\u{2032}', '\u{00B4}', '\u{0060}', '\u{201B}',
    '\u{FF07}',
];
/// Characters folded to the ASCII double quote (French guillemets, curly and low quotes).
const QUOTES: &[char] = &[
    '\u{00AB}', '\u{00BB}', '\u{2039}', '\u{203A}', '\u{201C}', '\u{201D}', '\u{201E}', '\u{201F}',
    '\u{2033}', '\u{FF02}',
];
/// Hyphen-like characters that end a line when a word is split across lines.
const LINE_HYPHENS: &[char] = &['-', '\u{2010}', '\u{00AD}'];

/// Bidirectional controls and zero-width characters: invisible, and a way to make a cell
/// display differently from what it holds.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A soft hyphen kept at a line's end that did not re-join a word is dropped, with the
/// word it leaves empty if any.
fn drop_soft_hyphen(out: &mut String) {
    if out.ends_with('\u{00AD}') {
        out.pop();
        if out.ends_with(' ') {
            out.pop();
        }
    }
}

/// Normalises the text of one zone (lines separated by `\n` as Tesseract returns them).
pub fn normalise(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    let mut lines: Vec<String> = Vec::new();
    for line in nfc.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        // A soft hyphen only means something where a line breaks.
        let line = line.trim_end();
        let last = line.chars().count().saturating_sub(1);
        let cleaned: String = line
            .chars()
            .enumerate()
            .filter_map(|(i, c)| {
                if c == '\u{00AD}' {
                    (i == last).then_some(c)
                } else if APOSTROPHES.contains(&c) {
                    Some('\'')
                } else if QUOTES.contains(&c) {
                    Some('"')
                } else if c.is_whitespace() {
                    Some(' ')
                } else if c.is_control() || is_invisible_format(c) {
                    None
                } else {
                    Some(c)
                }
            })
            .collect();
        let words: Vec<&str> = cleaned.split(' ').filter(|w| !w.is_empty()).collect();
        if !words.is_empty() {
            lines.push(words.join(" "));
        }
    }
    let mut out = String::new();
    for line in lines {
        if out.is_empty() {
            out = line;
            continue;
        }
        // A word split across lines ("soli-" / "darité") is re-joined; a lone dash at the end
        // of a line (an enumeration) is kept as a word.
        let ends_split_word = out.ends_with(LINE_HYPHENS)
            && out.chars().rev().nth(1).is_some_and(|c| c.is_alphabetic())
            && line.chars().next().is_some_and(|c| c.is_lowercase());
        if ends_split_word {
            out.pop();
            out.push_str(&line);
        } else {
            drop_soft_hyphen(&mut out);
            out.push(' ');
            out.push_str(&line);
        }
    }
    drop_soft_hyphen(&mut out);
    let out = out.trim().to_string();
    // Again, because dropping a control character can bring a letter and its accent together.
    out.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::normalise;
    use proptest::prelude::*;

    #[test]
    fn joins_lines_with_single_spaces() {
        assert_eq!(
            normalise("  Plus de liens\n\n entre  voisins \n"),
            "Plus de liens entre voisins"
        );
    }

    #[test]
    fn rejoins_words_hyphenated_at_line_end() {
        assert_eq!(
            normalise("la soli-\ndarité de quartier"),
            "la solidarité de quartier"
        );
        // A capital after the break is a new word (a list, a name): keep both.
        assert_eq!(normalise("Saint-\nHerblain"), "Saint- Herblain");
        assert_eq!(normalise("idées -\nplus"), "idées - plus");
    }

    #[test]
    fn composes_to_nfc() {
        assert_eq!(normalise("e\u{0301}te\u{0301}"), "été");
        assert_eq!(normalise("été").len(), "été".len());
    }

    #[test]
    fn folds_apostrophes_and_quotes() {
        assert_eq!(
            normalise("l’isolement, « vraiment » “dur”"),
            "l'isolement, \" vraiment \" \"dur\""
        );
    }

    #[test]
    fn drops_controls_and_bidi_marks() {
        assert_eq!(normalise("a\u{0007}b\u{202E}c\u{200B}d\te"), "abcd e");
        assert_eq!(normalise("non\u{00A0}!\u{202F}?"), "non ! ?");
        assert_eq!(
            normalise("soli\u{00AD}darité\nsoli\u{00AD}\ndarité"),
            "solidarité solidarité"
        );
        assert_eq!(normalise("‹ ＂oui＂ › l＇eau"), "\" \"oui\" \" l'eau");
    }

    #[test]
    fn never_changes_words() {
        assert_eq!(
            normalise("Il faut + de bancs = de rencontres"),
            "Il faut + de bancs = de rencontres"
        );
    }

    proptest! {
        #[test]
        fn output_is_trimmed_single_spaced_and_stable(
            s in "\\PC{0,120}|[a-zé \\n\\-\\x00-\\x1f\\u{7f}-\\u{9f}\\u{200b}-\\u{200f}\\u{202a}-\\u{202e}\\u{ad}]{0,80}"
        ) {
            let n = normalise(&s);
            prop_assert_eq!(n.trim(), n.as_str());
            prop_assert!(!n.contains("  "));
            prop_assert!(!n.chars().any(|c| c.is_control()));
            prop_assert_eq!(normalise(&n), n.clone());
        }
    }
}
