#!/usr/bin/env python3
"""The dl_bench workloads in PyTorch (1 thread), for the comparison in docs/dl.md.

Same models as arus's dl learners (src/dl/sequence_models.cc):
  - lstm: nn.LSTM(30, 64, 2 layers, batch_first, dropout 0.1) -> dropout -> Linear(64, 2) per
    step; masked cross-entropy on the steps after a burn-in of 32; windows of 64 rows with stride
    32; AdamW (lr 1e-3, weight decay 1e-4), gradient clipping at norm 1; batch 64.
  - transformer: Linear(30, 64) + sinusoidal positional encoding, 2 post-norm encoder layers
    (4 heads, feed-forward 128, ReLU), the last row's output -> Linear(64, 2); one window of 64
    rows per sample; same optimiser; batch 64.
Timings: training windows/s (batches assembled from a row-major float tensor, as arus does from
its matrix), one-step streaming latency of the lstm carrying (h, c) under no_grad, and the
latency of one full-window forward ([1, 64, 30]) of each model.

Usage: dl_pytorch_compare.py [--rows N] [--epochs E] [--json]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FEATURES, WINDOW, BATCH = 30, 64, 64


def make_data(rows, seed=7):
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(rows, FEATURES, generator=g, dtype=torch.float64)
    x = torch.zeros(rows, FEATURES, dtype=torch.float64)
    v = torch.zeros(FEATURES, dtype=torch.float64)
    for r in range(rows):
        v = 0.9 * v + noise[r]
        x[r] = v
    x = (x - x.mean(0)) / x.std(0)
    s = torch.roll(x[:, 0], 3) - 0.5 * x[:, 1] + torch.randn(rows, generator=g, dtype=torch.float64)
    y = (s > 0).long()
    return x.float().contiguous(), y


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(FEATURES, 64, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(64, 2)

    def forward(self, x, state=None):
        o, state = self.rnn(x, state)
        return self.head(F.dropout(o, 0.1, self.training)), state


def positional_encoding(window, d):
    pe = torch.zeros(window, d)
    for p in range(window):
        for i in range(0, d, 2):
            angle = p / math.pow(10000.0, i / d)
            pe[p, i] = math.sin(angle)
            if i + 1 < d:
                pe[p, i + 1] = math.cos(angle)
    return pe


class EncoderLayer(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)


class Transformer(nn.Module):
    def __init__(self, d=64, heads=4, ff=128, layers=2, p=0.1):
        super().__init__()
        self.d, self.heads, self.p = d, heads, p
        self.embed = nn.Linear(FEATURES, d)
        self.enc = nn.ModuleList([EncoderLayer(d, ff) for _ in range(layers)])
        self.head = nn.Linear(d, 2)
        self.register_buffer("pe", positional_encoding(WINDOW, d))

    def drop(self, x):
        return F.dropout(x, self.p, self.training)

    def forward(self, x):
        b, t, _ = x.shape
        dh = self.d // self.heads
        h = self.drop(self.embed(x) + self.pe[-t:])
        for e in self.enc:
            qkv = e.qkv(h).view(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
            sc = torch.matmul(qkv[0], qkv[1].transpose(-2, -1)) / math.sqrt(dh)
            a = torch.matmul(self.drop(torch.softmax(sc, -1)), qkv[2])
            a = a.permute(0, 2, 1, 3).reshape(b, t, self.d)
            h = e.ln1(h + self.drop(e.out(a)))
            h = e.ln2(h + self.drop(e.ff2(self.drop(torch.relu(e.ff1(h))))))
        return self.head(self.drop(h[:, -1]))


def train_lstm(x, y, epochs):
    torch.manual_seed(1)
    net = Lstm()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    rows = x.shape[0]
    starts = list(range(0, rows - WINDOW + 1, WINDOW // 2))
    windows = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(starts))
        for i in range(0, len(starts), BATCH):
            idx = [starts[j] for j in perm[i:i + BATCH].tolist()]
            xb = torch.stack([x[s:s + WINDOW] for s in idx])
            yb = torch.stack([y[s:s + WINDOW] for s in idx])
            out, _ = net(xb)
            loss = F.cross_entropy(out[:, WINDOW // 2:].reshape(-1, 2),
                                   yb[:, WINDOW // 2:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            windows += len(idx)
    return net, windows / (time.perf_counter() - t0)


def train_transformer(x, y, epochs, cap=4096):
    torch.manual_seed(1)
    net = Transformer()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    rows = x.shape[0]
    padded = torch.cat([torch.zeros(WINDOW - 1, FEATURES), x])
    windows = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        net.train()
        ends = torch.randperm(rows)[:cap].tolist()
        for i in range(0, len(ends), BATCH):
            idx = ends[i:i + BATCH]
            xb = torch.stack([padded[e:e + WINDOW] for e in idx])
            yb = y[idx]
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            windows += len(idx)
    return net, windows / (time.perf_counter() - t0)


def p50_us(fn, calls):
    ts = []
    for i in range(calls):
        t0 = time.perf_counter()
        fn(i)
        ts.append((time.perf_counter() - t0) * 1e6)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    x, y = make_data(a.rows)
    lstm, lstm_wps = train_lstm(x, y, a.epochs)
    tr, tr_wps = train_transformer(x, y, a.epochs)
    lstm.eval()
    tr.eval()
    with torch.no_grad():
        state = [None]

        def step(i):
            out, state[0] = lstm(x[i % a.rows].view(1, 1, FEATURES), state[0])
            torch.softmax(out[0, -1], -1)

        for i in range(200):
            step(i)
        step_us = p50_us(step, 5000)

        def lstm_window(i):
            out, _ = lstm(x[(i * 97) % (a.rows - WINDOW):][:WINDOW].unsqueeze(0))
            torch.softmax(out[0, -1], -1)

        lw_us = p50_us(lstm_window, 1000)

        def tr_window(i):
            torch.softmax(tr(x[(i * 97) % (a.rows - WINDOW):][:WINDOW].unsqueeze(0))[0], -1)

        tw_us = p50_us(tr_window, 1000)
    res = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "lstm_train_windows_per_s": lstm_wps,
        "transformer_train_windows_per_s": tr_wps,
        "lstm_step_p50_us": step_us,
        "lstm_window_p50_us": lw_us,
        "transformer_window_p50_us": tw_us,
    }
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:34s} {v}")


if __name__ == "__main__":
    main()
