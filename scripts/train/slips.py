#!/usr/bin/env python3
"""Turns the answers of generated slips back into training lines, as urnscan read them.

scripts/train-htr --slips pastes training writers' lines onto generated slips (`urnscan
generate --handwriting`: 200-400 dpi, pencil and coloured inks, dust, streaks, folds), reads
the slips with `urnscan process --lines-out`, and gives this script what came out: each
answer's lines exactly as the recognizer was given them (`<crop stem>.<n>.png`). The
answer's truth is its pasted lines' transcriptions joined by spaces; it is split back into
those transcriptions (each a known line of the handwriting folder), and an answer is kept
only when urnscan found as many lines as were pasted: otherwise which image says which
text is unknown.

Writes OUT/prepared/<id>.0.png (a link to the line) and OUT/original/<id>.gt.txt, the
layout scripts/train/pack.py reads.

Usage: slips.py OUT LINES_OUT_DIR CONTRIBUTIONS_CSV TRUTH_ANSWERS_CSV HANDWRITING_DIR
"""

import csv
import os
import sys


def split_truth(text, known, max_lines=3):
    """The known transcriptions whose space-joined sequence is `text`, or None. A few
    transcriptions may be prefixes of others: every split is tried, the first whole one
    wins (they say the same text either way)."""

    def go(rest, depth):
        if not rest:
            return []
        if depth == max_lines:
            return None
        for gt in known.get(rest[:12], ()):
            if rest == gt or rest.startswith(gt + " "):
                tail = go(rest[len(gt) + 1:], depth + 1)
                if tail is not None:
                    return [gt] + tail
        return None

    return go(text, 0)


def main():
    out, lines_dir, contributions, truth_csv, hw_dir = sys.argv[1:6]
    known = {}
    for name in os.listdir(hw_dir):
        if name.endswith(".gt.txt"):
            with open(os.path.join(hw_dir, name), encoding="utf-8") as f:
                gt = f.read().strip()
            if gt:
                known.setdefault(gt[:12], set()).add(gt)
    with open(truth_csv, encoding="utf-8") as f:
        truth = {r["contribution_id"]: r["text"] for r in csv.DictReader(f)}
    os.makedirs(os.path.join(out, "prepared"), exist_ok=True)
    os.makedirs(os.path.join(out, "original"), exist_ok=True)
    kept = answers = unsplit = miscounted = 0
    with open(contributions, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = truth.get(row["contribution_id"])
            if text is None:
                continue
            answers += 1
            parts = split_truth(text, known)
            if parts is None:
                unsplit += 1
                continue
            stem = os.path.splitext(os.path.basename(row["crop_file"]))[0]
            images = []
            while os.path.exists(os.path.join(lines_dir, f"{stem}.{len(images)}.png")):
                images.append(os.path.join(lines_dir, f"{stem}.{len(images)}.png"))
            if len(images) != len(parts):
                miscounted += 1
                continue
            for n, (image, gt) in enumerate(zip(images, parts)):
                ident = f"{stem}_l{n}"
                link = os.path.join(out, "prepared", ident + ".0.png")
                if os.path.lexists(link):
                    os.remove(link)
                os.symlink(os.path.abspath(image), link)
                with open(os.path.join(out, "original", ident + ".gt.txt"), "w",
                          encoding="utf-8") as g:
                    g.write(gt + "\n")
                kept += 1
    print(f"slips: {answers} answers read; {kept} lines kept; {miscounted} answers dropped "
          f"(urnscan found another number of lines than were pasted), {unsplit} whose truth "
          f"is not a sequence of known lines", file=sys.stderr)


if __name__ == "__main__":
    main()
