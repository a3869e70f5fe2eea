#!/usr/bin/env python3
"""Trains urnscan's own line recognizer: a small convolutional network read by CTC.

Input: a pack of prepared lines (scripts/train/pack.py: every line exactly as urnscan gives
it to the recognizer, 40 px high, grey). Output: a checkpoint that the next run resumes
from, the best checkpoint by the `val` writers' CER, and on `--export` the ONNX model and
its description (charset, height) that urnscan builds in (models/htr.onnx, models/htr.json).

The `dev` writers are never trained on and never used to choose anything: their CER is the
figure reported. Runs are seeded and resumable: `--minutes` bounds one run, the checkpoint
keeps the epoch, the optimiser and the random states, so a long training spans sessions.

The network sees ink as 1 and paper as 0 (`1 - grey/255`): padding a batch with paper is
then padding with zeros. urnscan's Rust side (src/recognize/htr.rs) feeds the same.
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_TRAIN_WIDTH = 1400  # px at 40 px high; longer lines are rare and cost most per step


def load_pack(path):
    z = np.load(path)
    height = int(z["height"])
    texts = bytes(z["texts"]).decode("utf-8").split("\n")
    sources = bytes(z["sources"]).decode("utf-8").split("\n")
    splits = bytes(z["splits"]).decode("utf-8").split("\n")
    pixels, offsets, widths = z["pixels"], z["offsets"], z["widths"]
    lines = []
    for i, text in enumerate(texts):
        w = int(widths[i])
        img = pixels[offsets[i]: offsets[i] + w * height].reshape(w, height).T
        lines.append({"img": img, "text": text, "source": sources[i], "split": splits[i]})
    return height, lines


class Residual(nn.Module):
    """A dilated convolution along the line, added to its input: the columns' context."""

    def __init__(self, channels, dilation):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, (1, 3), padding=(0, dilation),
                              dilation=(1, dilation), bias=False)
        self.norm = nn.BatchNorm2d(channels)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return x + self.drop(F.leaky_relu(self.norm(self.conv(x)), 0.1))


class ResidualConv(nn.Module):
    """A 3x3 convolution added to its input, at the same size: more depth for the strokes'
    shapes without another pooling. Its normalisation's scale starts at zero, so that a
    block added to trained weights starts as the identity (the network reads as before and
    training takes the new depth into use)."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(channels)
        nn.init.zeros_(self.norm.weight)

    def forward(self, x):
        return x + F.leaky_relu(self.norm(self.conv(x)), 0.1)


# `--deep`: after which layers of `Net.cnn` a ResidualConv reads (its channels): the strokes
# at half, quarter and the last resolution.
DEEP_CNN = {6: 32, 13: 64, 17: 96}
# `--deep`: the dilations of the residual layers added after `Net.seq`.
DEEP_SEQ = (1, 2, 4, 8)


class Net(nn.Module):
    """Five 3x3 convolutions (16-96 channels) pool the height from 40 to 5 and the width by
    4; six dilated convolutions along the line (192 channels, dilations 1-16: about 60
    columns, 240 px, of context each side) read the columns; a 1x1 convolution gives each
    column's character log-probabilities (index 0: CTC's blank).

    Convolutions only: a BiLSTM of the same width cost ten times as much per training step
    on these cores, and every layer here is a plain Conv for the ONNX runtime.

    `deep` adds three residual 3x3 convolutions to the front (DEEP_CNN) and four dilated
    layers to the sequence (DEEP_SEQ), each starting as the identity: the same network and
    weights, with room to learn more (1.5 M weights against 0.9 M; a training step takes
    1.4 times as long)."""

    def __init__(self, n_classes, height, deep=False):
        super().__init__()
        self.deep = deep

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.LeakyReLU(0.1)]

        self.cnn = nn.Sequential(
            *block(1, 16), nn.MaxPool2d(2, 2),
            *block(16, 32), nn.MaxPool2d(2, 2),
            *block(32, 64),
            *block(64, 64), nn.MaxPool2d((2, 1), (2, 1)),
            *block(64, 96),
        )
        feat = 96 * (height // 8)
        self.proj = nn.Sequential(nn.Conv2d(feat, 192, 1, bias=False), nn.BatchNorm2d(192),
                                  nn.LeakyReLU(0.1))
        self.seq = nn.Sequential(*[Residual(192, d) for d in (1, 2, 4, 8, 16, 1)])
        if deep:
            self.more_cnn = nn.ModuleDict({str(i): ResidualConv(c) for i, c in DEEP_CNN.items()})
            self.more_seq = nn.Sequential(*[Residual(192, d) for d in DEEP_SEQ])
            for block in self.more_seq:
                nn.init.zeros_(block.norm.weight)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Conv2d(192, n_classes, 1)

    def forward(self, image):
        # image: (batch, 1, height, width), ink 1, paper 0 -> (batch, width / 4, classes)
        x = image
        for i, layer in enumerate(self.cnn):
            x = layer(x)
            if self.deep and str(i) in self.more_cnn:
                x = self.more_cnn[str(i)](x)
        b, c, h, w = x.shape
        x = x.reshape(b, c * h, 1, w)
        x = self.seq(self.proj(x))
        if self.deep:
            x = self.more_seq(x)
        x = self.out(self.drop(x))  # (batch, classes, 1, steps)
        return F.log_softmax(x[:, :, 0, :].permute(0, 2, 1), dim=-1)


def to_ink(img):
    return 1.0 - torch.from_numpy(img.astype(np.float32)) / 255.0


def augment(ink, rng, elastic=0.0, faint=0.0):
    """One distorted copy of a line (ink: height x width tensor): width, slant, height,
    stroke weight, contrast, blur and noise, each drawn at random, and with probability
    `elastic` an elastic distortion, with probability `faint` the ink made as light as a
    hard pencil's scanned at 200 dpi. What straightening leaves of slant and level is small,
    so the shears are small too."""
    h, w = ink.shape
    x = ink[None, None]
    new_w = max(8, int(round(w * rng.uniform(0.8, 1.2))))
    x = F.interpolate(x, size=(h, new_w), mode="bilinear", align_corners=False)
    theta = torch.tensor([[[rng.uniform(0.92, 1.06), rng.uniform(-0.25, 0.25) * h / new_w, 0.0],
                           [rng.uniform(-0.02, 0.02), rng.uniform(0.9, 1.08), rng.uniform(-0.06, 0.06)]]],
                         dtype=torch.float32)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if rng.random() < elastic:
        grid = grid + elastic_shift(h, new_w, rng)
    x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    r = rng.random()
    if r < 0.15:
        x = F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2, stride=1)  # heavier stroke
    elif r < 0.3:
        x = -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=-1.0), 2, stride=1)  # lighter
    if rng.random() < 0.2:
        x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    # Drawn only when asked for, so that a run without it sees the same random lines.
    if faint > 0 and rng.random() < faint:
        # The line's ink core (its darkest 5 %) brought to a grey of 150-215, where the
        # faint lines of scanned slips lie and the ordinary contrast draw rarely reaches.
        strokes = x[x > 0.1]
        core = torch.quantile(strokes, 0.95).item() if strokes.numel() else 1.0
        x = x * (rng.uniform(40.0, 105.0) / 255.0 / max(core, 0.1))
    else:
        x = x * rng.uniform(0.55, 1.15)
    x = x + rng.uniform(-0.03, 0.08)
    if rng.random() < 0.5:
        x = x + torch.randn_like(x) * rng.uniform(0.0, 0.08)
    return x.clamp(0.0, 1.0)[0, 0]


def elastic_shift(h, w, rng):
    """A smooth random displacement of every pixel (in grid_sample's -1..1 units): another
    hand's wobble. Random offsets on a coarse lattice (a node every ~24 px along the line,
    three across it: about a letter apart) are smoothed to every pixel; each moves by up
    to a few pixels, different letters differently."""
    cols = max(2, w // 24)
    field = torch.randn(1, 2, 3, cols)
    field = F.interpolate(field, size=(h, w), mode="bicubic", align_corners=True)
    amp = rng.uniform(0.5, 2.5)  # pixels, at 40 px high
    scale = torch.tensor([2.0 * amp / w, 2.0 * amp / h]).view(1, 2, 1, 1)
    return (field * scale).permute(0, 2, 3, 1)


def batches_by_width(indices, widths, size, rng):
    order = sorted(indices, key=lambda i: (widths[i], rng.random()))
    chunks = [order[i: i + size] for i in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def collate(inks):
    h = inks[0].shape[0]
    w = max(x.shape[1] for x in inks)
    w = (w + 3) // 4 * 4
    batch = torch.zeros(len(inks), 1, h, w)
    for i, x in enumerate(inks):
        batch[i, 0, :, : x.shape[1]] = x
    lengths = torch.tensor([x.shape[1] // 4 for x in inks], dtype=torch.long)
    return batch, lengths


def greedy(logp, length, charset):
    best = logp[:length].argmax(-1).tolist()
    out, prev = [], 0
    for k in best:
        if k != prev and k != 0:
            out.append(charset[k - 1])
        prev = k
    return "".join(out)


def cer(hyp, ref):
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(ref) + 1))
    for i, a in enumerate(hyp, 1):
        cur = [i]
        for j, b in enumerate(ref, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b)))
        prev = cur
    return prev[-1] / len(ref)


def evaluate(model, lines, charset, batch=32):
    model.eval()
    cers, edits, chars = [], 0.0, 0
    with torch.no_grad():
        order = sorted(range(len(lines)), key=lambda i: lines[i]["img"].shape[1])
        for k in range(0, len(order), batch):
            part = [lines[i] for i in order[k: k + batch]]
            x, lengths = collate([to_ink(l["img"]) for l in part])
            logp = model(x)
            for j, l in enumerate(part):
                c = cer(greedy(logp[j], int(lengths[j]), charset), l["text"])
                cers.append(c)
                edits += c * len(l["text"])
                chars += len(l["text"])
    model.train()
    if not cers:
        return {"median": float("nan"), "mean": float("nan"), "micro": float("nan"), "n": 0}
    return {"median": statistics.median(cers), "mean": sum(cers) / len(cers),
            "micro": edits / max(chars, 1), "n": len(cers)}


# What a citizen writes besides letters and digits. Editorial signs of the older sources
# (`^` for superscripts, `⋎`, `_`) are not writing: lines holding them are left out.
PUNCTUATION = set(" .,;:!?'\"-()/%&€+=«»…°")


def build_charset(lines, min_count):
    counts = {}
    for l in lines:
        if l["split"] == "train":
            for c in l["text"]:
                counts[c] = counts.get(c, 0) + 1
    return sorted(c for c, n in counts.items()
                  if n >= min_count and (c.isalnum() or c in PUNCTUATION))


def export(model, charset, height, out_dir, name):
    model.eval()
    dummy = torch.zeros(1, 1, height, 256)
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    torch.onnx.export(model, dummy, onnx_path, opset_version=14,
                      input_names=["image"], output_names=["logprobs"],
                      dynamic_axes={"image": {0: "batch", 3: "width"},
                                    "logprobs": {0: "batch", 1: "steps"}})
    meta = {"height": height, "width_stride": 4, "input": "ink = 1 - grey / 255, paper 0",
            "charset": charset}
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"htr: exported {onnx_path} and {name}.json ({len(charset)} characters)", file=sys.stderr)


def write_parity(model, charset, lines_dir, out):
    """What PyTorch reads in each prepared line (`<image>.<n>.png`), one `name<TAB>text` a
    line: urnscan's runtime must read the same."""
    from PIL import Image

    model.eval()
    rows = []
    with torch.no_grad():
        for name in sorted(os.listdir(lines_dir)):
            if not name.endswith(".png"):
                continue
            img = np.asarray(Image.open(os.path.join(lines_dir, name)).convert("L"))
            x, lengths = collate([to_ink(img)])
            rows.append(f"{name}\t{greedy(model(x)[0], int(lengths[0]), charset)}\n")
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(rows)
    print(f"htr: PyTorch's reading of {len(rows)} lines written to {out}", file=sys.stderr)


def report(weights, height, lines, most=400):
    """The best path's CER on each (split, source) of the pack, at most `most` lines each
    (drawn with a fixed seed), unaugmented."""
    saved = torch.load(weights)
    charset = saved["charset"]
    model = Net(len(charset) + 1, height, saved.get("deep", False))
    model.load_state_dict(saved["model"])
    known = set(charset)
    groups = {}
    for l in lines:
        if all(c in known for c in l["text"]):
            groups.setdefault((l["split"], l["source"]), []).append(l)
    rng = random.Random(1)
    print(f"{'split':6} {'source':14} {'lines':>6}  CER median / mean")
    for (split, source), group in sorted(groups.items()):
        part = rng.sample(group, min(most, len(group)))
        r = evaluate(model, part, charset)
        print(f"{split:6} {source:14} {r['n']:6}  {r['median']:.3f} / {r['mean']:.3f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pack")
    ap.add_argument("--work", required=True, help="checkpoints and log go here")
    ap.add_argument("--minutes", type=float, default=100.0, help="stop after the epoch that passes this")
    ap.add_argument("--epochs", type=int, default=1000, help="stop after this many epochs in all")
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, help="learning rate of a new run or of a new --anneal "
                    "after a finished one (default 1e-3 for a new run; a new --anneal "
                    "starts from the current rate)")
    ap.add_argument("--anneal", type=int, metavar="N",
                    help="lower the learning rate along a cosine to a twentieth over the next N "
                         "epochs, then stop; kept in the checkpoint, so a resumed run goes on "
                         "with the same schedule")
    ap.add_argument("--elastic", type=float, default=0.0,
                    help="share of training lines also given an elastic distortion")
    ap.add_argument("--faint", type=float, default=0.0,
                    help="share of training lines whose ink is made as light as a faint pencil's")
    ap.add_argument("--deep", action="store_true",
                    help="a new run: the deeper network (Net's `deep`), its added layers "
                         "starting as the identity on --start-from's weights")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--export", metavar="DIR", help="export the best checkpoint to DIR and stop")
    ap.add_argument("--name", default="htr")
    ap.add_argument("--start-from", metavar="PT",
                    help="when the work folder has no checkpoint: start from these weights "
                         "(the models/htr.pt an earlier --export wrote) with a new optimiser")
    ap.add_argument("--report", metavar="PT",
                    help="read the pack's lines with the weights PT (a checkpoint or an "
                         "exported .pt), print the best path's CER by split and source, and "
                         "stop: how well it fits the lines it trained on against how well it "
                         "reads the writers it never saw")
    ap.add_argument("--parity", nargs=2, metavar=("LINES", "OUT"),
                    help="with --export: read the prepared lines LINES/*.png with PyTorch and "
                         "write what it reads to OUT, for urnscan's parity test")
    args = ap.parse_args()
    args.lr_given = args.lr is not None
    if args.lr is None:
        args.lr = 1e-3

    torch.set_num_threads(args.threads)
    height, lines = load_pack(args.pack)
    os.makedirs(args.work, exist_ok=True)
    ckpt_path = os.path.join(args.work, "checkpoint.pt")
    best_path = os.path.join(args.work, "best.pt")

    state = torch.load(ckpt_path) if os.path.exists(ckpt_path) else None
    start = None
    if state is None and args.start_from and os.path.exists(args.start_from):
        start = torch.load(args.start_from)
    charset = state["charset"] if state else start["charset"] if start else build_charset(lines, 3)
    index = {c: i + 1 for i, c in enumerate(charset)}
    if args.report:
        report(args.report, height, lines)
        return

    # A checkpoint keeps its network's shape; a new run takes --deep or its start weights'.
    deep = state.get("deep", False) if state else bool(args.deep or (start or {}).get("deep"))

    if args.export:
        best = torch.load(best_path)
        model = Net(len(best["charset"]) + 1, height, best.get("deep", False))
        model.load_state_dict(best["model"])
        export(model, best["charset"], height, args.export, args.name)
        # The weights alone (no optimiser): what a later run on another machine starts from.
        torch.save({"model": best["model"], "charset": best["charset"],
                    "deep": best.get("deep", False)},
                   os.path.join(args.export, f"{args.name}.pt"))
        if args.parity:
            write_parity(model, best["charset"], *args.parity)
        return

    model = Net(len(charset) + 1, height, deep)

    def usable(l):
        return all(c in index for c in l["text"]) and l["img"].shape[1] // 4 >= len(l["text"])

    train = [l for l in lines if l["split"] == "train" and usable(l) and l["img"].shape[1] <= MAX_TRAIN_WIDTH]
    val = [l for l in lines if l["split"] == "val"]
    dev = [l for l in lines if l["split"] == "dev"]
    print(f"htr: {len(train)} training lines (of {sum(l['split'] == 'train' for l in lines)}), "
          f"{len(val)} val, {len(dev)} dev; {len(charset)} characters; "
          f"{sum(p.numel() for p in model.parameters())} weights", file=sys.stderr)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    epoch, best_val, stale = 0, float("inf"), 0
    if start:
        # Deepening trained weights: the added layers are all that is missing, and they
        # start as the identity.
        missing, unexpected = model.load_state_dict(start["model"], strict=False)
        if unexpected or any(not k.startswith("more_") for k in missing):
            sys.exit(f"htr: {args.start_from} does not fit this network")
        print(f"htr: starting from the weights in {args.start_from}"
              f"{', deepened' if missing else ''}", file=sys.stderr)
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        epoch, best_val, stale = state["epoch"], state["best_val"], state["stale"]
        rng.setstate(state["py_rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"htr: resuming after epoch {epoch} (best val CER {best_val:.4f})", file=sys.stderr)
    # A constant rate that only halves when val stalls keeps the weights jumping around the
    # minimum; a cosine to a small rate at the end lets them settle.
    anneal = state.get("anneal") if state else None
    finished = anneal and epoch >= anneal["start"] + anneal["epochs"]
    if args.anneal and (not anneal or finished):
        # A finished cosine followed by a new one is a warm restart: back up to --lr (or
        # the current rate when none is given), then down again.
        lr0 = args.lr if args.lr_given else opt.param_groups[0]["lr"]
        for g in opt.param_groups:
            g["lr"] = lr0
        anneal = {"start": epoch, "epochs": args.anneal, "lr0": lr0}
    last_epoch = min(args.epochs, anneal["start"] + anneal["epochs"]) if anneal else args.epochs
    if anneal:
        print(f"htr: annealing from {anneal['lr0']:.2e} over epochs {anneal['start'] + 1}"
              f"-{anneal['start'] + anneal['epochs']}", file=sys.stderr)

    def annealed(progress):
        low = anneal["lr0"] / 20
        return low + (anneal["lr0"] - low) * (1 + math.cos(math.pi * min(progress, 1.0))) / 2

    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    widths = [l["img"].shape[1] for l in train]
    inks = [to_ink(l["img"]) for l in train]
    targets = [torch.tensor([index[c] for c in l["text"]], dtype=torch.long) for l in train]
    started = time.time()
    model.train()
    while epoch < last_epoch and (time.time() - started) / 60 < args.minutes:
        t0 = time.time()
        total, n = 0.0, 0
        chunks = batches_by_width(range(len(train)), widths, args.batch, rng)
        for step, chunk in enumerate(chunks):
            if anneal:
                progress = (epoch - anneal["start"] + step / len(chunks)) / anneal["epochs"]
                for g in opt.param_groups:
                    g["lr"] = annealed(progress)
            x, lengths = collate([augment(inks[i], rng, args.elastic, args.faint) for i in chunk])
            y = torch.cat([targets[i] for i in chunk])
            ylen = torch.tensor([len(targets[i]) for i in chunk], dtype=torch.long)
            logp = model(x).permute(1, 0, 2)  # CTC wants (steps, batch, classes)
            lengths = lengths.clamp(max=logp.shape[0])
            loss = ctc(logp, y, lengths, ylen)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += float(loss) * len(chunk)
            n += len(chunk)
        epoch += 1
        v = evaluate(model, val, charset)
        d = evaluate(model, dev, charset)
        improved = v["mean"] < best_val
        if improved:
            best_val, stale = v["mean"], 0
        else:
            stale += 1
            if stale >= 3 and not anneal:  # the val writers stopped improving: smaller steps
                for g in opt.param_groups:
                    g["lr"] *= 0.5
                stale = 0
        lr = opt.param_groups[0]["lr"]
        print(f"epoch {epoch}: loss {total / max(n, 1):.3f}, val CER median {v['median']:.3f} mean {v['mean']:.3f}, "
              f"dev CER median {d['median']:.3f} mean {d['mean']:.3f} micro {d['micro']:.3f}, "
              f"lr {lr:.2e}, {time.time() - t0:.0f} s{' (best)' if improved else ''}", flush=True)
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch,
                 "best_val": best_val, "stale": stale, "py_rng": rng.getstate(),
                 "torch_rng": torch.get_rng_state(), "charset": charset, "anneal": anneal,
                 "deep": deep}
        torch.save(state, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)
        if improved:
            torch.save({"model": model.state_dict(), "charset": charset, "epoch": epoch,
                        "val": v, "dev": d, "deep": deep}, best_path)


if __name__ == "__main__":
    main()
