//! urnscan's own line recognizer: a convolutional network trained on handwritten French lines
//! (`scripts/train-htr`, PyTorch), exported to ONNX and run here by `rten`, a pure-Rust
//! runtime; its output is read by CTC (best path). The weights (`models/htr.onnx`) and the
//! description of their input and alphabet (`models/htr.json`) are built into the binary.
//!
//! Its input is a prepared line brought to exactly `LINE_HEIGHT` pixels: `model_input` is
//! the one place that does it, for reading and for `urnscan ocr --lines-out`, which writes
//! the training lines, so that the network is trained on exactly what it is given.

use std::sync::{Arc, OnceLock};

use image::GrayImage;
use rten::{Model, RunOptions, ThreadPool};
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, NdTensorView};

use super::lexicon::{CharModel, WordPairs, DEBIAN_WORD_LIST};
use super::{mean_confidence, OcrError, OcrText};

/// The name that `--ocr-model` and a layout's `model` give this recognizer.
pub const MODEL_NAME: &str = "htr";
/// The same network read without the French character model (best path only): for
/// measuring what the character model buys.
pub const GREEDY_MODEL_NAME: &str = "htr-greedy";

/// Beam search: hypotheses kept per step, and what a step considers (classes above this
/// probability, the blank always). 20 rather than 10 keeps a word of the list alive until
/// it ends and earns `WORD_BONUS` (on the val writers, the two together: mean CER 0.149 →
/// 0.145; 30 read no better, for 1.8 ms more a line).
const BEAM_WIDTH: usize = 20;
const MIN_CLASS_PROB: f32 = 1e-3;
/// A step whose blank is at least this likely (ln 0.999) only carries the hypotheses on.
const SURE_BLANK_LN: f32 = -0.0010005;
/// Weight of the character model against the network's own probabilities, and the bonus
/// per character that offsets its cost (else the search prefers fewer characters); tuned
/// on the `val` writers, never on `dev`.
const LM_WEIGHT: f32 = 0.3;
const CHAR_BONUS: f32 = 1.0;
/// What a word that ends as a word of the list earns (before `LM_WEIGHT`), over what its
/// letters already earned: the character model alone rates a misspelling one letter off
/// nearly as high. It chooses between readings the network gives; tuned on `val` (1, 2, 4,
/// 8 read alike at ±0.002; 3 with the wider beam).
const WORD_BONUS: f32 = 3.0;
/// What a pair of words written one after the other earns per unit of its lift (ln of how
/// much likelier the second word is after the first; before `LM_WEIGHT`). Tuned on `val`
/// (0.5-10 read within 0.004 of each other; 3 best).
const PAIR_WEIGHT: f32 = 3.0;
/// What a digit or punctuation mark costs in the search, where the character model (a word
/// list) has nothing to say: about what an average letter costs.
const NON_LETTER_LN_PROB: f32 = -2.0;

/// The network's input height in pixels (its convolutions pool it to 5 rows).
pub const LINE_HEIGHT: u32 = 40;

static WEIGHTS: &[u8] = include_bytes!("../../models/htr.onnx");
static DESCRIPTION: &str = include_str!("../../models/htr.json");

/// What `models/htr.json` says of the weights.
#[derive(serde::Deserialize)]
struct Description {
    height: u32,
    width_stride: usize,
    /// The characters of the output classes 1.. (class 0 is CTC's blank).
    charset: Vec<String>,
}

struct Loaded {
    model: Model,
    description: Description,
}

/// The model, loaded once per process and shared by every worker (`Model::run` takes
/// `&self`); each worker runs it on its own one-thread pool.
fn loaded() -> Result<&'static Loaded, OcrError> {
    static LOADED: OnceLock<Result<Loaded, String>> = OnceLock::new();
    LOADED
        .get_or_init(|| load(WEIGHTS, DESCRIPTION))
        .as_ref()
        .map_err(|why| OcrError::InitFailed {
            model: format!("{MODEL_NAME} (built in): {why}"),
        })
}

fn load(weights: &'static [u8], description: &str) -> Result<Loaded, String> {
    let description: Description =
        serde_json::from_str(description).map_err(|e| format!("htr.json: {e}"))?;
    if description.height != LINE_HEIGHT {
        return Err(format!(
            "the weights read lines {} px high, urnscan prepares {LINE_HEIGHT}",
            description.height
        ));
    }
    let model = Model::load_static_slice(weights).map_err(|e| e.to_string())?;
    Ok(Loaded { model, description })
}

/// A prepared line at the network's height, its width scaled in proportion.
pub fn model_input(line: &GrayImage) -> GrayImage {
    let (w, h) = line.dimensions();
    if h == LINE_HEIGHT || w == 0 || h == 0 {
        return line.clone();
    }
    let nw = ((w as f64 * LINE_HEIGHT as f64 / h as f64).round() as u32).max(4);
    crate::geometry::resize_gray_triangle(line, nw, LINE_HEIGHT)
}

/// How often each word is written in the training writers' transcriptions (`word<TAB>count`,
/// scripts/train/words.py): running text's word frequencies, which a word list, each word
/// once, does not have. Built in; CC BY 4.0 like the lines it comes from (models/NOTICE).
const WORD_COUNTS: &str = include_str!("../../models/htr-words.tsv");

/// How often the training writers write two words one after the other (`first
/// second<TAB>count`, scripts/train/words.py). Built in; CC BY 4.0 like the lines.
const WORD_PAIRS: &str = include_str!("../../models/htr-pairs.tsv");

/// A built-in table, or for measuring the file an environment variable names (an empty
/// file: none); a path that cannot be read must not pass silently for "none".
fn table(var: &str, built_in: &'static str) -> std::borrow::Cow<'static, str> {
    match std::env::var(var) {
        Ok(path) => std::borrow::Cow::Owned(std::fs::read_to_string(&path).unwrap_or_else(|e| {
            eprintln!("urnscan: {var} {path}: {e}; reading without it");
            String::new()
        })),
        Err(_) => std::borrow::Cow::Borrowed(built_in),
    }
}

/// The word pairs, read once per process.
fn word_pairs() -> &'static WordPairs {
    static PAIRS: OnceLock<WordPairs> = OnceLock::new();
    PAIRS.get_or_init(|| WordPairs::from_table(&table("URNSCAN_HTR_WORD_PAIRS", WORD_PAIRS)))
}

/// The French character model, read once per process from Debian's word list and the
/// built-in word counts; None (the network's best path alone) where the list is not
/// installed.
fn char_model() -> Option<&'static CharModel> {
    static MODEL: OnceLock<Option<CharModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let counts = table("URNSCAN_HTR_WORD_COUNTS", WORD_COUNTS);
            CharModel::load(std::path::Path::new(DEBIAN_WORD_LIST), &[], &counts).ok()
        })
        .as_ref()
}

/// The share of `text`'s words (four letters or more) that Debian's word list knows; None
/// where there is no such word or the list is not installed.
pub fn known_word_share(text: &str) -> Option<f32> {
    char_model().and_then(|m| m.known_share(text))
}

/// Whether the French character model can be built (Debian's word list is installed).
pub fn has_word_list() -> bool {
    char_model().is_some()
}

/// One worker's handle on the network.
pub struct HtrEngine {
    loaded: &'static Loaded,
    pool: Arc<ThreadPool>,
    lexicon: Option<&'static CharModel>,
}

impl HtrEngine {
    /// The network, with the French character model in its decoding when `lexicon` (and
    /// the word list is installed).
    pub fn new(lexicon: bool) -> Result<HtrEngine, OcrError> {
        Ok(HtrEngine {
            loaded: loaded()?,
            lexicon: if lexicon { char_model() } else { None },
            // One thread per worker, as Tesseract is held to: the workers are the
            // parallelism, and a pool per engine keeps them from waiting on each other.
            pool: Arc::new(ThreadPool::with_num_threads(1)),
        })
    }

    /// Reads one prepared line.
    pub fn read_line(&mut self, line: &GrayImage) -> Result<OcrText, OcrError> {
        let input = model_input(line);
        let (w, h) = (input.width() as usize, input.height() as usize);
        // Ink 1, paper 0, as the network was trained; at least one output step.
        let stride = self.loaded.description.width_stride.max(1);
        let padded = w.max(stride).div_ceil(stride) * stride;
        let mut data = vec![0f32; h * padded];
        for (y, row) in input.as_raw().chunks_exact(w.max(1)).enumerate() {
            for (x, &p) in row.iter().enumerate() {
                data[y * padded + x] = 1.0 - p as f32 / 255.0;
            }
        }
        let tensor = NdTensor::from_data([1, 1, h, padded], data);
        let opts = RunOptions::default().with_thread_pool(Some(self.pool.clone()));
        // Run from a thread of its own: a pipeline worker (a rayon thread) that waited on
        // rten's pool would take other pages' work meanwhile, and re-enter its own engines.
        let model = &self.loaded.model;
        let out = std::thread::scope(|s| {
            s.spawn(move || model.run_one(tensor.into(), Some(opts)))
                .join()
                .map_err(|_| OcrError::Recognise("the network panicked".into()))
        })?
        .map_err(|e| OcrError::Recognise(e.to_string()))?;
        let logp: NdTensor<f32, 3> = out
            .try_into()
            .map_err(|e| OcrError::Recognise(format!("unexpected output: {e:?}")))?;
        let steps = (w.div_ceil(stride)).min(logp.size(1));
        let logp = logp.slice((0, ..steps));
        let charset = &self.loaded.description.charset;
        let (greedy, word_confidences) = best_path(logp, charset);
        // The confidences stay the network's own (its best path): the character model
        // chooses between readings, it does not make the network surer of them.
        let text = match self.lexicon {
            Some(lm) => beam_search(logp, charset, lm, word_pairs()),
            None => greedy,
        };
        Ok(OcrText {
            confidence: mean_confidence(&word_confidences),
            text,
            word_confidences,
            sparse_lines: 0,
            failure: None,
        })
    }
}

/// CTC's best path: the most likely class at each step, repeats merged, blanks dropped.
/// A character's confidence is its highest probability over the steps it spans; a word's
/// (0-100), the mean of its characters'.
fn best_path(logp: NdTensorView<f32, 2>, charset: &[String]) -> (String, Vec<i32>) {
    let mut text = String::new();
    let mut words = Vec::new();
    let mut word: Vec<f32> = Vec::new();
    let mut prev = 0usize;
    let end_word = |word: &mut Vec<f32>, words: &mut Vec<i32>| {
        if !word.is_empty() {
            words.push((100.0 * word.iter().sum::<f32>() / word.len() as f32).round() as i32);
            word.clear();
        }
    };
    for t in 0..logp.size(0) {
        let (mut best, mut best_lp) = (0usize, f32::NEG_INFINITY);
        for (k, &lp) in logp.slice(t).iter().enumerate() {
            if lp > best_lp {
                (best, best_lp) = (k, lp);
            }
        }
        let p = best_lp.exp();
        if best != 0 && best == prev {
            if let Some(last) = word.last_mut() {
                *last = last.max(p);
            }
        } else if best != 0 {
            let ch = charset.get(best - 1).map(String::as_str).unwrap_or("");
            if ch == " " {
                end_word(&mut word, &mut words);
                text.push(' ');
            } else {
                text.push_str(ch);
                word.push(p);
            }
        }
        prev = best;
    }
    end_word(&mut word, &mut words);
    (text.trim().to_string(), words)
}

/// CTC prefix beam search, each hypothesis scored by the network and the character model.
fn beam_search(
    logp: NdTensorView<f32, 2>,
    charset: &[String],
    lm: &CharModel,
    pairs: &WordPairs,
) -> String {
    use std::collections::HashMap;
    let chars: Vec<char> = charset
        .iter()
        .map(|s| s.chars().next().unwrap_or(' '))
        .collect();
    let lse = |a: f32, b: f32| {
        if a == f32::NEG_INFINITY {
            b
        } else if b == f32::NEG_INFINITY {
            a
        } else {
            let m = a.max(b);
            m + ((a - m).exp() + (b - m).exp()).ln()
        }
    };
    // The character model's score of `next` after `prefix` (class indices).
    let lm_step = |prefix: &[u16], next: char| -> f32 {
        let (word, before) = last_two_words(prefix, &chars);
        if next.is_alphabetic() {
            LM_WEIGHT * lm.ln_prob(&word, next) + CHAR_BONUS
        } else {
            let end = if word.is_empty() {
                0.0
            } else {
                lm.ln_prob(&word, ' ')
                    + if lm.knows(&word) { WORD_BONUS } else { 0.0 }
                    + if before.is_empty() {
                        0.0
                    } else {
                        PAIR_WEIGHT * pairs.lift(&before, &word)
                    }
            };
            let own = if next == ' ' { 0.0 } else { NON_LETTER_LN_PROB };
            LM_WEIGHT * (end + own) + CHAR_BONUS
        }
    };
    let min_lp = MIN_CLASS_PROB.ln();
    // prefix -> (ln p ending in blank, ln p ending in its last class, character model score)
    let mut beams: HashMap<Vec<u16>, (f32, f32, f32)> = HashMap::new();
    beams.insert(Vec::new(), (0.0, f32::NEG_INFINITY, 0.0));
    for t in 0..logp.size(0) {
        let row = logp.slice(t);
        let blank = row[0];
        if blank > SURE_BLANK_LN {
            // Most steps are the space between strokes: no hypothesis grows there.
            for (prefix, e) in beams.iter_mut() {
                let total = lse(e.0, e.1);
                e.1 = match prefix.last() {
                    Some(&last) => e.1 + row[last as usize],
                    None => f32::NEG_INFINITY,
                };
                e.0 = total + blank;
            }
            continue;
        }
        let mut next: HashMap<Vec<u16>, (f32, f32, f32)> = HashMap::new();
        for (prefix, &(pb, pnb, lms)) in &beams {
            let total = lse(pb, pnb);
            let stay =
                next.entry(prefix.clone())
                    .or_insert((f32::NEG_INFINITY, f32::NEG_INFINITY, lms));
            stay.0 = lse(stay.0, total + blank);
            let last = prefix.last().copied();
            if let Some(last) = last {
                stay.1 = lse(stay.1, pnb + row[last as usize]);
            }
            for (k, &lp) in row.iter().enumerate().skip(1) {
                if lp < min_lp {
                    continue;
                }
                let k = k as u16;
                // A repeat only counts as a new character after a blank.
                let from = if Some(k) == last { pb } else { total };
                if from == f32::NEG_INFINITY {
                    continue;
                }
                let mut longer = prefix.clone();
                longer.push(k);
                let entry = next.entry(longer).or_insert_with(|| {
                    (
                        f32::NEG_INFINITY,
                        f32::NEG_INFINITY,
                        lms + lm_step(prefix, chars[k as usize - 1]),
                    )
                });
                entry.1 = lse(entry.1, from + lp);
            }
        }
        let mut ranked: Vec<(Vec<u16>, (f32, f32, f32))> = next.into_iter().collect();
        ranked.sort_by(|a, b| {
            let score = |e: &(f32, f32, f32)| lse(e.0, e.1) + e.2;
            score(&b.1).total_cmp(&score(&a.1))
        });
        ranked.truncate(BEAM_WIDTH);
        beams = ranked.into_iter().collect();
    }
    // The last word ends with the line.
    let best = beams
        .iter()
        .map(|(prefix, &(pb, pnb, lms))| {
            let end = match prefix.last() {
                Some(&k) if chars[k as usize - 1].is_alphabetic() => lm_step(prefix, ' '),
                _ => 0.0,
            };
            (prefix, lse(pb, pnb) + lms + end)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(prefix, _)| prefix.clone())
        .unwrap_or_default();
    best.iter()
        .map(|&k| chars[k as usize - 1])
        .collect::<String>()
        .trim()
        .to_string()
}

/// The letters of the word at the end of `prefix` (class indices), and those of the word
/// before it where only spaces, apostrophes or hyphens part the two (as
/// scripts/train/words.py pairs them); empty where there is none.
fn last_two_words(prefix: &[u16], chars: &[char]) -> (Vec<char>, Vec<char>) {
    let mut rev = prefix
        .iter()
        .rev()
        .map(|&k| chars[k as usize - 1])
        .peekable();
    let mut take = |keep: fn(char) -> bool| {
        let mut run = Vec::new();
        while let Some(c) = rev.next_if(|&c| keep(c)) {
            run.push(c);
        }
        run.reverse();
        run
    };
    let word = take(char::is_alphabetic);
    let joins = take(|c| matches!(c, ' ' | '\'' | '-'));
    let before = if word.is_empty() || joins.is_empty() {
        Vec::new()
    } else {
        take(char::is_alphabetic)
    };
    (word, before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_any_height_come_out_at_the_network_height_in_proportion() {
        let tall = GrayImage::from_pixel(300, 80, image::Luma([255]));
        let small = GrayImage::from_pixel(30, 20, image::Luma([255]));
        assert_eq!(model_input(&tall).dimensions(), (150, LINE_HEIGHT));
        assert_eq!(model_input(&small).dimensions(), (60, LINE_HEIGHT));
        let thin = GrayImage::from_pixel(1, 80, image::Luma([0]));
        assert_eq!(model_input(&thin).dimensions(), (4, LINE_HEIGHT));
    }

    #[test]
    fn the_last_two_words_are_those_parted_only_by_spaces_apostrophes_or_hyphens() {
        let chars: Vec<char> = "abcdelst' ,".chars().collect();
        let code = |s: &str| -> Vec<u16> {
            s.chars()
                .map(|c| chars.iter().position(|&d| d == c).unwrap() as u16 + 1)
                .collect()
        };
        let words = |s: &str| {
            let (w, b) = last_two_words(&code(s), &chars);
            (
                w.into_iter().collect::<String>(),
                b.into_iter().collect::<String>(),
            )
        };
        assert_eq!(words("de la"), ("la".into(), "de".into()));
        assert_eq!(words("c'est"), ("est".into(), "c".into()));
        assert_eq!(words("de, la"), ("la".into(), String::new()));
        assert_eq!(words("la "), (String::new(), String::new()));
        assert_eq!(words("sel"), ("sel".into(), String::new()));
    }

    #[test]
    fn best_path_merges_repeats_drops_blanks_and_scores_words() {
        let charset: Vec<String> = ["a", "b", " "].iter().map(|s| s.to_string()).collect();
        // Steps: a a blank a b space b; probabilities 0.9 except one a at 0.5.
        let classes = [1usize, 1, 0, 1, 2, 3, 2];
        let probs = [0.5f32, 0.9, 0.9, 0.9, 0.9, 0.9, 0.7];
        let mut data = vec![(0.01f32).ln(); classes.len() * 4];
        for (t, (&k, &p)) in classes.iter().zip(&probs).enumerate() {
            data[t * 4 + k] = p.ln();
        }
        let logp = NdTensor::from_data([classes.len(), 4], data);
        let (text, words) = best_path(logp.view(), &charset);
        assert_eq!(text, "aab b");
        assert_eq!(words, vec![90, 70]);
    }

    #[test]
    fn the_built_in_network_loads_and_reads_a_blank_line_as_nothing_much() {
        let mut engine = HtrEngine::new(true).unwrap();
        let blank = GrayImage::from_pixel(200, 40, image::Luma([255]));
        let read = engine.read_line(&blank).unwrap();
        assert!(read.text.chars().count() <= 2, "{:?}", read.text);
    }

    #[test]
    fn damaged_weights_or_description_are_a_clear_error() {
        assert!(load(b"not a model", DESCRIPTION).is_err());
        assert!(load(WEIGHTS, "{}").is_err());
        let wrong_height = DESCRIPTION.replace("\"height\": 40", "\"height\": 64");
        match load(WEIGHTS, &wrong_height) {
            Err(why) => assert!(why.contains("64 px"), "{why}"),
            Ok(_) => panic!("a 64 px model was accepted"),
        }
    }
}
