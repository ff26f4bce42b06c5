"""Writes bench/cpu/convnet.pt: the benchmark network, a TorchScript module both sides of the CPU comparison run.

A small eps-prediction network of the size the comparison was first made with (368,369 parameters): a 3x3 input
convolution to 48 channels, 8 residual blocks (GroupNorm(8), SiLU, 3x3 convolution, plus a projection of a sinusoidal
embedding of the time input, GroupNorm, SiLU, 3x3 convolution), GroupNorm, SiLU and a 3x3 output convolution.
forward(x [B, 1, 28, 28], t [B]) -> eps. The weights are random (seed 0): speed and agreement do not need a trained
network. The time input is the discrete-index convention of the discrete schedule (0 .. 999).

    /usr/bin/python3 bench/cpu/make_convnet.py    (Debian's python3-torch)
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTH, BLOCKS, EMBED = 48, 8, 64


class Block(nn.Module):
    def __init__(self, c: int, e: int):
        super().__init__()
        self.n1 = nn.GroupNorm(8, c)
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.emb = nn.Linear(e, c)
        self.n2 = nn.GroupNorm(8, c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x))) + self.emb(emb)[:, :, None, None]
        return x + self.c2(F.silu(self.n2(h)))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Conv2d(1, WIDTH, 3, padding=1)
        self.t1 = nn.Linear(EMBED, EMBED)
        self.t2 = nn.Linear(EMBED, EMBED)
        self.blocks = nn.ModuleList([Block(WIDTH, EMBED) for _ in range(BLOCKS)])
        self.norm = nn.GroupNorm(8, WIDTH)
        self.out = nn.Conv2d(WIDTH, 1, 3, padding=1)
        self.half = EMBED // 2

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        half = self.half
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=x.dtype, device=x.device) / half)
        angles = t.to(x.dtype)[:, None] * freqs[None, :]
        emb = self.t2(F.silu(self.t1(torch.cat([angles.sin(), angles.cos()], 1))))
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, emb)
        return self.out(F.silu(self.norm(h)))


if __name__ == "__main__":
    torch.manual_seed(0)
    net = ConvNet().eval()
    print("parameters", sum(p.numel() for p in net.parameters()))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "convnet.pt")
    torch.jit.save(torch.jit.script(net), path)
    print("wrote", path)
