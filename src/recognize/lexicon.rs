//! A French character model for the network's decoding: how likely each letter is after the
//! letters before it, learnt from the words of a French word list (Debian's `wfrench`,
//! /usr/share/dict/french) and the campaign's own words. CTC's beam search (`htr`) weighs
//! the network's readings with it, so that of two shapes the network finds alike, the one
//! that spells French wins, and a reading that ends a word of the list earns a little more;
//! it never adds a letter the network did not see.
//!
//! Beside it, `WordPairs`: how often the training writers write two words one after the
//! other, so that a word likelier after the word before it ("la" after "de") earns a little.
//!
//! Letters are compared in lower case; digits and punctuation are left to the network alone
//! (a word list says nothing of them) and a space ends a word.

use std::hash::{Hash, Hasher};
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

/// Letters of context: 4 (a 5-gram) separates French spellings well and keeps the table
/// small (a few hundred thousand contexts from 346 000 words).
const ORDER: usize = 4;

/// Shorter words say little of a reading: misread letters often make another short word
/// ("le", "en", "se", "un").
const MIN_KNOWN_WORD_LETTERS: usize = 4;

/// Where Debian's wfrench puts its list.
pub const DEBIAN_WORD_LIST: &str = "/usr/share/dict/french";

/// Counts of the letter (or word end) that follows each context of up to `ORDER` letters.
pub struct CharModel {
    /// A letter's index (0: word end), in lower case.
    index: FxHashMap<char, u8>,
    /// (context key << 8 | next letter's index) -> count
    counts: FxHashMap<u64, u32>,
    /// context key -> (letters seen after it, their total count)
    contexts: FxHashMap<u64, (u32, u32)>,
    /// The list's words (and the parts of those joined by a hyphen or an apostrophe), in
    /// lower case, as hashes: 346 000 of them take 4 MB so, against 20 as strings.
    words: FxHashSet<u64>,
}

/// A word's hash, in lower case.
fn word_hash(word: impl Iterator<Item = char>) -> u64 {
    let mut h = FxHasher::default();
    for c in word.flat_map(char::to_lowercase) {
        c.hash(&mut h);
    }
    h.finish()
}

/// A context of up to `ORDER` letter indices, most recent last, as one number.
fn key(context: &[u8]) -> u64 {
    context
        .iter()
        .fold(context.len() as u64, |k, &c| (k << 8) | c as u64)
}

impl CharModel {
    /// Learns from words (each counted once, framed by word boundaries).
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> CharModel {
        CharModel::from_words_and_counts(words, std::iter::empty())
    }

    /// Learns from a word list (each word counted once, and known) and from word counts of
    /// running text (`(word, n)`: counted n times more, so that the words people use most
    /// weigh as often as they are written; not added to the known words, which stay the
    /// list's).
    pub fn from_words_and_counts<'a>(
        words: impl IntoIterator<Item = &'a str>,
        counted: impl IntoIterator<Item = (&'a str, u32)>,
    ) -> CharModel {
        let mut index: FxHashMap<char, u8> = FxHashMap::default();
        let mut counts: FxHashMap<u64, u32> = FxHashMap::default();
        let mut coded: Vec<u8> = Vec::new();
        let mut known: FxHashSet<u64> = FxHashSet::default();
        let listed = words.into_iter().map(|w| (w, 1, true));
        let running = counted.into_iter().map(|(w, n)| (w, n, false));
        'words: for (word, times, listed) in listed.chain(running) {
            coded.clear();
            for c in word.trim().chars().flat_map(char::to_lowercase) {
                if !(c.is_alphabetic() || c == '-' || c == '\'') {
                    continue 'words;
                }
                let next = index.len() + 1;
                let i = match index.get(&c) {
                    Some(&i) => i,
                    None if next < 256 => *index.entry(c).or_insert(next as u8),
                    None => continue 'words,
                };
                coded.push(i);
            }
            if coded.is_empty() {
                continue;
            }
            if listed {
                let word = word.trim();
                known.insert(word_hash(word.chars()));
                for part in word.split(['-', '\'']).filter(|p| !p.is_empty()) {
                    known.insert(word_hash(part.chars()));
                }
            }
            coded.push(0);
            for n in 0..coded.len() {
                for k in 0..=n.min(ORDER) {
                    *counts
                        .entry(key(&coded[n - k..n]) << 8 | coded[n] as u64)
                        .or_default() += times;
                }
            }
        }
        let mut contexts: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
        for (&k, &n) in &counts {
            let entry = contexts.entry(k >> 8).or_default();
            entry.0 += 1;
            entry.1 += n;
        }
        CharModel {
            index,
            counts,
            contexts,
            words: known,
        }
    }

    /// Reads a word list (one word a line), adding `extra` words (the campaign's) and the
    /// word counts of `counted` (`word<TAB>count` lines, as models/htr-words.tsv).
    pub fn load(list: &Path, extra: &[String], counted: &str) -> std::io::Result<CharModel> {
        let text = std::fs::read_to_string(list)?;
        Ok(CharModel::from_words_and_counts(
            text.lines().chain(extra.iter().map(String::as_str)),
            word_counts(counted),
        ))
    }

    /// Whether the list holds `word` (compared in lower case).
    pub fn knows(&self, word: &[char]) -> bool {
        self.words.contains(&word_hash(word.iter().copied()))
    }

    /// The share of the words of four letters or more in `text` that the list knows, or
    /// None when there is no such word. A badly read line is rarely made of words: read
    /// with CER > 0.25, about half of them are; read with CER ≤ 0.1, four in five.
    pub fn known_share(&self, text: &str) -> Option<f32> {
        let mut words = 0;
        let mut known = 0;
        for word in text.split(|c: char| !c.is_alphabetic()) {
            let letters: Vec<char> = word.chars().collect();
            if letters.len() >= MIN_KNOWN_WORD_LETTERS {
                words += 1;
                known += usize::from(self.knows(&letters));
            }
        }
        (words > 0).then(|| known as f32 / words as f32)
    }

    /// The index of a letter (lower-cased), or None for a letter the list never holds.
    fn code(&self, c: char) -> Option<u8> {
        let c = c.to_lowercase().next().unwrap_or(c);
        self.index.get(&c).copied()
    }

    /// ln P(next | the letters of the current word before it), interpolated from no
    /// context up to the longest one seen (Witten-Bell), with 1 / (alphabet size) at the
    /// bottom. `next` is a letter or `' '` (end of word).
    pub fn ln_prob(&self, word_so_far: &[char], next: char) -> f32 {
        let next = if next == ' ' {
            Some(0)
        } else {
            self.code(next)
        };
        let mut p = 1.0 / (self.index.len() + 1) as f64;
        let n = word_so_far.len();
        let mut context: Vec<u8> = Vec::with_capacity(ORDER);
        for &c in &word_so_far[n.saturating_sub(ORDER)..] {
            match self.code(c) {
                Some(i) => context.push(i),
                None => context.clear(),
            }
        }
        for k in 0..=context.len() {
            let ctx = key(&context[context.len() - k..]);
            let Some(&(types, total)) = self.contexts.get(&ctx) else {
                break;
            };
            let seen = next
                .and_then(|i| self.counts.get(&(ctx << 8 | i as u64)))
                .copied()
                .unwrap_or(0);
            p = (seen as f64 + types as f64 * p) / (total as f64 + types as f64);
        }
        p.ln() as f32
    }
}

/// A pair needs to have been written this often before it lifts a reading: a pair seen once
/// is as often chance as French.
const MIN_PAIR_COUNT: u32 = 2;

/// How often words are written one after the other in running text (the training writers'
/// transcriptions: `first second<TAB>count`, scripts/train/words.py), and so how much
/// likelier a word is after the word before it than on its own: "la" after "de", "est"
/// after "c'". Words are runs of letters, in lower case, as the beam search sees them.
#[derive(Default)]
pub struct WordPairs {
    /// (first's hash, second's hash) -> the pair's lift, for the pairs that have one:
    /// worked out once when the table is read, since the search asks at every word end.
    lifts: FxHashMap<(u64, u64), f32>,
}

impl WordPairs {
    /// Reads a `first second<TAB>count` table (every pair, those seen once included: they
    /// count in how often each word is written); lines of another shape are skipped.
    pub fn from_table(table: &str) -> WordPairs {
        let mut pairs: FxHashMap<(u64, u64), u32> = FxHashMap::default();
        let mut firsts: FxHashMap<u64, u32> = FxHashMap::default();
        let mut seconds: FxHashMap<u64, u32> = FxHashMap::default();
        let mut total = 0u64;
        for (pair, n) in word_counts(table) {
            let Some((first, second)) = pair.split_once(' ') else {
                continue;
            };
            let (a, b) = (word_hash(first.chars()), word_hash(second.chars()));
            *pairs.entry((a, b)).or_default() += n;
            *firsts.entry(a).or_default() += n;
            *seconds.entry(b).or_default() += n;
            total += n as u64;
        }
        let lifts = pairs
            .into_iter()
            .filter(|&(_, n)| n >= MIN_PAIR_COUNT)
            .filter_map(|((a, b), n)| {
                // ln(P(second | first) / P(second)); the counts are those just summed.
                let chance = firsts[&a] as f64 * seconds[&b] as f64;
                let lift = (n as f64 * total as f64 / chance).ln() as f32;
                (lift > 0.0).then_some(((a, b), lift))
            })
            .collect();
        WordPairs { lifts }
    }

    /// ln(P(second | first) / P(second)) for a pair written at least `MIN_PAIR_COUNT`
    /// times, and 0 otherwise (an unseen pair is not made less likely: most pairs of
    /// anything a citizen writes were never written by the training writers).
    pub fn lift(&self, first: &[char], second: &[char]) -> f32 {
        let key = (
            word_hash(first.iter().copied()),
            word_hash(second.iter().copied()),
        );
        self.lifts.get(&key).copied().unwrap_or(0.0)
    }
}

/// The `(word, count)` pairs of a `word<TAB>count` table; lines of another shape are
/// skipped.
pub fn word_counts(table: &str) -> impl Iterator<Item = (&str, u32)> {
    table.lines().filter_map(|line| {
        let (word, n) = line.split_once('\t')?;
        Some((word, n.trim().parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_the_list_are_likelier_than_their_misreadings() {
        let lm = CharModel::from_words(["solitude", "solidarité", "isolement", "seul", "seule"]);
        let word: Vec<char> = "solid".chars().collect();
        assert!(lm.ln_prob(&word, 'a') > lm.ln_prob(&word, 'o'));
        let seul: Vec<char> = "seul".chars().collect();
        assert!(lm.ln_prob(&seul, ' ') > lm.ln_prob(&seul, 'x'));
        // Case does not matter; an unknown letter is unlikely, not impossible.
        assert_eq!(lm.ln_prob(&word, 'A'), lm.ln_prob(&word, 'a'));
        assert!(lm.ln_prob(&word, 'z').is_finite());
    }

    #[test]
    fn counted_words_weigh_by_their_count_but_only_listed_words_are_known() {
        let list = ["des", "dès"];
        let plain = CharModel::from_words(list);
        let counted = CharModel::from_words_and_counts(list, word_counts("des\t50\nzzz\t3\n"));
        let d: Vec<char> = "d".chars().collect();
        // Alike in the list; "des" is the one running text writes.
        assert_eq!(plain.ln_prob(&d, 'e'), plain.ln_prob(&d, 'è'));
        assert!(counted.ln_prob(&d, 'e') > counted.ln_prob(&d, 'è'));
        assert!(counted.knows(&"dès".chars().collect::<Vec<_>>()));
        assert!(!counted.knows(&"zzz".chars().collect::<Vec<_>>()));
    }

    #[test]
    fn pairs_written_together_lift_their_second_word_and_others_are_left_alone() {
        let pairs = WordPairs::from_table("de la\t40\nde le\t2\nà la\t2\nen le\t30\nun x\t1\n");
        let w = |s: &str| s.chars().collect::<Vec<_>>();
        // "la" follows "de" more often than it is written at all: lifted.
        assert!(pairs.lift(&w("de"), &w("la")) > 0.0);
        assert_eq!(
            pairs.lift(&w("De"), &w("LA")),
            pairs.lift(&w("de"), &w("la"))
        );
        // Seen less often than chance ("le" is mostly after "en"), once, or never: no lift,
        // and never a penalty.
        assert_eq!(pairs.lift(&w("de"), &w("le")), 0.0);
        assert_eq!(pairs.lift(&w("un"), &w("x")), 0.0);
        assert_eq!(pairs.lift(&w("la"), &w("de")), 0.0);
        assert_eq!(WordPairs::from_table("").lift(&w("de"), &w("la")), 0.0);
    }

    #[test]
    fn the_list_knows_its_words_and_their_parts_in_any_case() {
        let lm = CharModel::from_words(["aujourd'hui", "peut-être", "solitude"]);
        let knows = |w: &str| lm.knows(&w.chars().collect::<Vec<_>>());
        assert!(knows("solitude") && knows("Solitude") && knows("SOLITUDE"));
        assert!(knows("peut-être") && knows("être") && knows("hui"));
        assert!(!knows("solitudes") && !knows("solitnde") && !knows(""));
    }

    #[test]
    fn the_known_share_counts_words_of_four_letters_or_more() {
        let lm = CharModel::from_words(["solitude", "peut-être", "seul"]);
        // "un" and "se" are too short to count; "seul" and "Solitude" are known, "sohtnde" not.
        assert_eq!(
            lm.known_share("un seul, se Solitude sohtnde"),
            Some(2.0 / 3.0)
        );
        assert_eq!(lm.known_share("peut-être"), Some(1.0));
        assert_eq!(lm.known_share("un 12 se"), None);
    }
}
