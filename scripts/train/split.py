"""Prints the line images (.png) of a folder that fall in one split of the writer split
(train, val or dev: scripts/train/pack.py's rule), one path a line, sorted:

    python3 scripts/train/split.py dev ../shared/handwriting/train

scripts/eval-model and scripts/eval-routing take their unseen writers from it."""

import os
import sys

import pack


def main():
    split, folder = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(folder)):
        if name.endswith(".png") and pack.writer_split(name[:-4]) == split:
            print(os.path.join(folder, name))


if __name__ == "__main__":
    main()
