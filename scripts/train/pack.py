#!/usr/bin/env python3
"""Packs prepared handwriting lines into one compact file for scripts/train/htr.py.

Each source is a folder of line images as urnscan gives them to its line recognizer
(`urnscan ocr --ocr-model htr --prepare-only --lines-out OUT`: found, scaled, levelled,
stood upright and brought to the network's height), named `<id>.<n>.png`, and the folder of
the original `<id>.<ext>` images with their `<id>.gt.txt` transcriptions. A line is kept
when urnscan found exactly one line of writing in its image (`<id>.0.png` and no
`<id>.1.png`): with several, which transcription goes with which is unknown.

The split is by writer: `train/` lines of one copied document (one volunteer) all fall on
one side, `dev` (reported, never trained or selected on), `val` (chooses the checkpoint) or
`train`; every line of the other sources is training data.

Usage: pack.py OUT.npz NAME:PREPARED_DIR:ORIGINAL_DIR:SPLITRULE [...]
  SPLITRULE: `writer` (the train/ split by document) or `train` (all training).
"""

import os
import re
import sys
import unicodedata
import zlib

import numpy as np
from PIL import Image

DEV_EVERY = 10  # the same split as scripts/train/prepare.py: crc32(document) % 10 == 0


def document_of(ident):
    m = re.search(r"wikitexte_(\d+)", ident)
    return m.group(1) if m else ident


def writer_split(ident):
    bucket = zlib.crc32(document_of(ident).encode()) % DEV_EVERY
    return "dev" if bucket == 0 else "val" if bucket == 1 else "train"


# The folds of urnscan's text rules (src/text.rs): what urnscan writes is what the network
# learns to write.
APOSTROPHES = "\u2019\u2018\u02bc\u02bb\u2032\u00b4\u0060\u201b\uff07"
QUOTES = "\u00ab\u00bb\u2039\u203a\u201c\u201d\u201e\u201f\u2033\uff02"
FOLD = str.maketrans({**{c: "'" for c in APOSTROPHES}, **{c: '"' for c in QUOTES}})


def clean_text(text):
    text = unicodedata.normalize("NFC", text.strip()).translate(FOLD)
    return " ".join(text.split())


def main():
    out = sys.argv[1]
    pixels, widths, texts, sources, splits = [], [], [], [], []
    height = None
    for spec in sys.argv[2:]:
        name, prepared, original, rule = spec.split(":")
        kept = dropped = 0
        for fname in sorted(os.listdir(prepared)):
            if not fname.endswith(".0.png"):
                continue
            ident = fname[: -len(".0.png")]
            if os.path.exists(os.path.join(prepared, ident + ".1.png")):
                dropped += 1
                continue
            gt = os.path.join(original, ident + ".gt.txt")
            if not os.path.exists(gt):
                dropped += 1
                continue
            with open(gt, encoding="utf-8") as f:
                text = clean_text(f.read())
            if not text:
                dropped += 1
                continue
            img = np.asarray(Image.open(os.path.join(prepared, fname)).convert("L"))
            if height is None:
                height = img.shape[0]
            if img.shape[0] != height:
                sys.exit(f"pack: {fname} is {img.shape[0]} px high, not {height}")
            pixels.append(img.T.reshape(-1))  # column-major: a line is a run of columns
            widths.append(img.shape[1])
            texts.append(text)
            sources.append(name)
            splits.append(writer_split(ident) if rule == "writer" else "train")
            kept += 1
        print(f"pack: {name}: {kept} lines kept, {dropped} dropped (none or several lines found, "
              f"or no transcription)", file=sys.stderr)
    if not pixels:
        sys.exit("pack: no line kept")
    offsets = np.cumsum([0] + widths[:-1]).astype(np.int64) * height
    np.savez_compressed(
        out,
        height=np.int64(height),
        pixels=np.concatenate(pixels),
        offsets=offsets,
        widths=np.array(widths, dtype=np.int64),
        texts=np.frombuffer("\n".join(texts).encode("utf-8"), dtype=np.uint8),
        sources=np.frombuffer("\n".join(sources).encode("utf-8"), dtype=np.uint8),
        splits=np.frombuffer("\n".join(splits).encode("utf-8"), dtype=np.uint8),
    )
    counts = {s: splits.count(s) for s in ("train", "val", "dev")}
    print(f"pack: {len(widths)} lines of {height} px into {out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
