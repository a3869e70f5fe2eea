#!/usr/bin/env python3
"""Prepares handwritten text lines for Tesseract LSTM fine-tuning.

Reads a folder of `<id>.png` line images with their `<id>.gt.txt` transcriptions, keeps the
lines whose every character the base model can write (its LSTM unicharset), and writes into
WORK/lines/ a link to each image plus the box file Tesseract needs to make a `.lstmf` from
it (one box per character, all spanning the whole line, ending with a tab: the format of
tesstrain's generate_line_box.py). Lines are split into training and dev lists by
*document*: all lines of one copied text (and so of one writer) fall on the same side, so the
dev CER measures writers the model never saw.

Standard library only: this runs on a fresh Debian machine.

With `--straightened DIR` (the output of `urnscan ocr --lines-out DIR` on DATA_DIR), a line
is trained on as urnscan reads it: the image urnscan's line finder cut, levelled and stood
upright, when it found exactly one line in the image (otherwise the image as it is).

Usage: prepare.py DATA_DIR UNICHARSET WORK_DIR [--dev-every N] [--prefix P] [--straightened DIR]
Writes WORK/train.ids, WORK/dev.ids and prints what it kept and dropped.
"""

import argparse
import os
import re
import struct
import sys
import unicodedata
import zlib


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG file")
    return struct.unpack(">II", head[16:24])


def load_unicharset(path):
    chars = set()
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            token = line.split(" ", 1)[0]
            chars.add("" if token == "NULL" else token)
    chars.add(" ")
    return chars


def document_of(ident):
    """The copied text a line comes from: `tr0002_wikitexte_0132_2` -> `0132`.

    One volunteer copied one text, sometimes over several pages (`_1`, `_2`, `_double`);
    grouping by the text number keeps a writer's pages together."""
    m = re.search(r"wikitexte_(\d+)", ident)
    return m.group(1) if m else ident


def is_dev(doc, every):
    # A stable hash, not Python's salted hash(): the split must be the same on every run.
    return zlib.crc32(doc.encode()) % every == 0


def box_lines(text, width, height):
    out = []
    for i, ch in enumerate(text):
        if unicodedata.combining(ch):
            continue
        glyph = ch
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            glyph += text[j]
            j += 1
        out.append(f"{glyph} 0 0 {width} {height} 0")
    out.append(f"\t 0 0 {width} {height} 0")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("unicharset")
    ap.add_argument("work")
    ap.add_argument("--dev-every", type=int, default=10)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--straightened", help="folder of <id>.<n>.png from urnscan ocr --lines-out")
    ap.add_argument("--all-train", action="store_true",
                    help="put every line in training (for extra data such as generated lines)")
    args = ap.parse_args()

    known = load_unicharset(args.unicharset)
    lines_dir = os.path.join(args.work, "lines")
    os.makedirs(lines_dir, exist_ok=True)
    kept = {"train": [], "dev": []}
    dropped = []
    straightened = 0
    docs = {"train": set(), "dev": set()}
    for name in sorted(os.listdir(args.data)):
        if not name.endswith(".png"):
            continue
        ident = name[:-4]
        gt_path = os.path.join(args.data, ident + ".gt.txt")
        if not os.path.exists(gt_path):
            continue
        with open(gt_path, encoding="utf-8") as f:
            text = unicodedata.normalize("NFC", f.read().strip())
        text = " ".join(text.split())
        if not text:
            dropped.append((ident, "empty transcription"))
            continue
        unknown = sorted({c for c in text if c not in known and not unicodedata.combining(c)})
        if unknown:
            dropped.append((ident, "characters the model cannot write: " + " ".join(unknown)))
            continue
        image = os.path.join(args.data, name)
        if args.straightened:
            one = os.path.join(args.straightened, ident + ".0.png")
            two = os.path.join(args.straightened, ident + ".1.png")
            if os.path.exists(one) and not os.path.exists(two):
                image = one
                straightened += 1
        width, height = png_size(image)
        out_id = args.prefix + ident
        link = os.path.join(lines_dir, out_id + ".png")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(image), link)
        with open(os.path.join(lines_dir, out_id + ".box"), "w", encoding="utf-8") as f:
            f.write(box_lines(text, width, height))
        with open(os.path.join(lines_dir, out_id + ".gt.txt"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
        doc = document_of(ident)
        side = "train" if args.all_train or not is_dev(doc, args.dev_every) else "dev"
        kept[side].append(out_id)
        docs[side].add(doc)

    for side in ("train", "dev"):
        path = os.path.join(args.work, f"{args.prefix}{side}.ids")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(i + "\n" for i in kept[side])
    print(f"prepare: {len(kept['train'])} training lines from {len(docs['train'])} documents, "
          f"{len(kept['dev'])} dev lines from {len(docs['dev'])} documents, "
          f"{len(dropped)} dropped"
          + (f", {straightened} as urnscan straightens them" if args.straightened else ""),
          file=sys.stderr)
    for ident, why in dropped[:5]:
        print(f"  dropped {ident}: {why}", file=sys.stderr)
    if len(dropped) > 5:
        print(f"  ... and {len(dropped) - 5} more", file=sys.stderr)


if __name__ == "__main__":
    main()
