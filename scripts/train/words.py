#!/usr/bin/env python3
"""Counts the words of the training writers' transcriptions into models/htr-words.tsv
(`word<TAB>count`, most written first), which urnscan's character model weighs by
(src/recognize/lexicon.rs): a word list holds each word once, running text says which words
people write most.

Only training lines count: the `train` split of ../shared/handwriting/train (never the
`val` or `dev` writers, who choose and measure) and every line of ../shared/handwriting/extra.
A line copied verbatim into two or more training documents (the licence notice the
volunteers copied with each text) is counted once, so that boilerplate does not weigh as
prose.

With PAIRS.tsv, also the pairs of words written one after the other (`first second<TAB>
count`, every pair, so that the decoder can tell how much likelier a pair is than its words
apart). Words there are runs of letters, as the decoder sees them: "c'est" is "c" then
"est"; a pair is two runs parted only by spaces, apostrophes or hyphens (not across
punctuation).

Usage: words.py HANDWRITING_DIR OUT.tsv [PAIRS.tsv]
"""

import collections
import os
import re
import sys

import pack

WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
LETTERS = re.compile(r"[^\W\d_]+")
JOINS = re.compile(r"[ '-]+")


def pairs_of(text):
    runs = list(LETTERS.finditer(text))
    for a, b in zip(runs, runs[1:]):
        if JOINS.fullmatch(text[a.end(): b.start()]):
            yield a.group().lower(), b.group().lower()


def main():
    hw, out = sys.argv[1], sys.argv[2]
    pairs_out = sys.argv[3] if len(sys.argv) > 3 else None
    lines = []
    for name in sorted(os.listdir(os.path.join(hw, "train"))):
        if name.endswith(".gt.txt") and pack.writer_split(name[: -len(".gt.txt")]) == "train":
            lines.append(os.path.join(hw, "train", name))
    extra = os.path.join(hw, "extra")
    for source in sorted(os.listdir(extra)):
        folder = os.path.join(extra, source)
        if os.path.isdir(folder):
            lines += [os.path.join(folder, n) for n in sorted(os.listdir(folder))
                      if n.endswith(".gt.txt")]
    seen = set()
    counts = collections.Counter()
    pairs = collections.Counter()
    for path in lines:
        with open(path, encoding="utf-8") as f:
            text = pack.clean_text(f.read())
        if not text or text in seen:
            continue
        seen.add(text)
        counts.update(w.lower() for w in WORD.findall(text))
        pairs.update(pairs_of(text))
    with open(out, "w", encoding="utf-8") as f:
        for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            f.write(f"{word}\t{n}\n")
    if pairs_out:
        with open(pairs_out, "w", encoding="utf-8") as f:
            for (a, b), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
                f.write(f"{a} {b}\t{n}\n")
        print(f"words: {len(pairs)} distinct pairs into {pairs_out}", file=sys.stderr)
    print(f"words: {len(seen)} distinct lines of {len(lines)}, {sum(counts.values())} words, "
          f"{len(counts)} distinct, into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
