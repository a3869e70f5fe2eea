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

Usage: words.py HANDWRITING_DIR OUT.tsv
"""

import collections
import os
import re
import sys

import pack

WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def main():
    hw, out = sys.argv[1], sys.argv[2]
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
    for path in lines:
        with open(path, encoding="utf-8") as f:
            text = pack.clean_text(f.read())
        if not text or text in seen:
            continue
        seen.add(text)
        counts.update(w.lower() for w in WORD.findall(text))
    with open(out, "w", encoding="utf-8") as f:
        for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            f.write(f"{word}\t{n}\n")
    print(f"words: {len(seen)} distinct lines of {len(lines)}, {sum(counts.values())} words, "
          f"{len(counts)} distinct, into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
