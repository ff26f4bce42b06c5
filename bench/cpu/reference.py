"""The Python side of the CPU comparison (bench/cpu/compare.sh): the same TorchScript network, the same x_T, the same
times, sampled by plain PyTorch loops on Debian's PyTorch.

  ddim       DDIM (Song et al. 2021, eq. (12) with sigma = 0) written for this benchmark
  dpm2m      DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2) written for this benchmark, data prediction from eps

Both use the discrete linear-beta schedule (1000 steps) in the project's convention: step i at t = (i + 1) / N,
log alpha linear in t between steps, the network called with the step index t N - 1. The times are read from the
pipeline's resolved run (times.json, written by compare.sh), so both sides step on the same grid.

usage: reference.py NET XT TIMES SOLVER THREADS OUT.npy  -> prints JSON {seconds, modelSeconds, steps}
"""
import json
import sys
import time

import numpy as np
import torch

N = 1000


def log_alpha_table():
    betas = torch.linspace(1e-4, 0.02, N, dtype=torch.float64)
    return torch.cat([torch.zeros(1, dtype=torch.float64), 0.5 * torch.cumsum(torch.log1p(-betas), 0)])


KNOTS = log_alpha_table()


def log_alpha(t: float) -> float:
    x = t * N
    k = min(max(int(np.floor(x)), 0), N - 1)
    u = x - k
    return float(KNOTS[k] + u * (KNOTS[k + 1] - KNOTS[k]))


def alpha_sigma(t: float):
    la = log_alpha(t)
    return float(np.exp(la)), float(np.sqrt(-np.expm1(2 * la)))


def main():
    net_path, xt_path, times_path, solver, threads, out = sys.argv[1:7]
    torch.set_num_threads(int(threads))
    net = torch.jit.load(net_path).eval()
    x = torch.from_numpy(np.load(xt_path)).float()
    times = json.load(open(times_path))
    model_seconds = 0.0

    def eps(x, t):
        nonlocal model_seconds
        start = time.perf_counter()
        out = net(x, torch.full((x.shape[0],), t * N - 1, dtype=x.dtype))
        model_seconds += time.perf_counter() - start
        return out

    begin = time.perf_counter()
    with torch.no_grad():
        previous = None  # (x0, h) of the step before, for DPM-Solver++(2M)
        for i in range(len(times) - 1):
            s, t = times[i], times[i + 1]
            a_s, s_s = alpha_sigma(s)
            a_t, s_t = alpha_sigma(t)
            e = eps(x, s)
            x0 = (x - s_s * e) / a_s
            if solver == "ddim":
                x = a_t * x0 + s_t * e
                continue
            h = np.log(a_t / s_t) - np.log(a_s / s_s)
            d = x0
            if previous is not None:
                r = previous[1] / h
                d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * previous[0]
            x = (s_t / s_s) * x - a_t * np.expm1(-h) * d
            previous = (x0, h)
    seconds = time.perf_counter() - begin
    np.save(out, x.numpy())
    print(json.dumps({"seconds": seconds, "modelSeconds": model_seconds, "steps": len(times) - 1}))


if __name__ == "__main__":
    main()
