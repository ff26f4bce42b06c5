"""Parity fixtures for the 'unipc' solver.

Reference: the authors' implementation, repository wl-zhao/UniPC, file uni_pc.py
(https://github.com/wl-zhao/UniPC/blob/main/uni_pc.py). It is NOT part of this repository: pass the folder that
holds a copy of it. This script holds only our model (the exact Gaussian-mixture eps, float64) and calls the
reference's NoiseScheduleVP and UniPC.sample.

Run with Debian's interpreter (torch 1.13), from this folder:
    /usr/bin/python3 make_unipc.py /path/to/folder/with/uni_pc.py

Writes (float64): x_T.npy [B, D]; gmm_weights.npy [K], gmm_means.npy [K, D], gmm_stds.npy [K];
times_<skip>_<steps>.npy [steps + 1], the reference's own time grid;
unipc_<skip>_<steps>.npy [lower_order_final (True, False), prediction (data, noise), variant (bh1, bh2),
order (1, 2, 3), B, D].
"""
import contextlib
import io
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.abspath(sys.argv[1]))
from uni_pc import NoiseScheduleVP, UniPC  # noqa: E402

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))

# The mixture: three isotropic components in D = 4, unequal weights and widths.
WEIGHTS = np.array([0.5, 0.3, 0.2])
MEANS = np.array([[0.8, -0.4, 0.3, -0.9],
                  [-0.6, 0.7, -0.2, 0.5],
                  [0.1, 0.2, 0.9, 0.4]])
STDS = np.array([0.3, 0.55, 0.8])
B, D = 8, MEANS.shape[1]

betas = torch.linspace(1e-4, 0.02, 1000)
ns = NoiseScheduleVP('discrete', betas=betas, dtype=torch.float64)

w = torch.tensor(WEIGHTS)
mu = torch.tensor(MEANS)
s2 = torch.tensor(STDS) ** 2


def gmm_eps(x, t):
    """eps = sigma sum_k r_k (x - alpha mu_k) / v_k, v_k = alpha^2 s_k^2 + sigma^2, at the reference's alpha(t), sigma(t)."""
    flat = x.reshape(x.shape[0], D)
    alpha = ns.marginal_alpha(t).reshape(-1, 1)                    # [B, 1]
    sigma = ns.marginal_std(t).reshape(-1, 1)
    v = alpha ** 2 * s2 + sigma ** 2                                # [B, K]
    diff = flat[:, None, :] - alpha[:, :, None] * mu[None]          # [B, K, D]
    logp = torch.log(w) - 0.5 * D * torch.log(2 * np.pi * v) - 0.5 * (diff ** 2).sum(-1) / v
    r = torch.softmax(logp, dim=1)
    eps = sigma * ((r / v)[:, :, None] * diff).sum(1)
    return eps.reshape(x.shape)


gen = torch.Generator().manual_seed(2023)
x_T = torch.randn(B, D, generator=gen)

np.save(os.path.join(HERE, 'x_T.npy'), x_T.numpy())
np.save(os.path.join(HERE, 'gmm_weights.npy'), WEIGHTS)
np.save(os.path.join(HERE, 'gmm_means.npy'), MEANS)
np.save(os.path.join(HERE, 'gmm_stds.npy'), STDS)

for skip in ['logSNR', 'time_uniform', 'time_quadratic']:
    for steps in [10, 20]:
        out = np.zeros((2, 2, 2, 3, B, D))
        times = None
        for a, lower_order_final in enumerate([True, False]):
            for p, algorithm in enumerate(['data_prediction', 'noise_prediction']):
                for v, variant in enumerate(['bh1', 'bh2']):
                    for o, order in enumerate([1, 2, 3]):
                        solver = UniPC(gmm_eps, ns, algorithm_type=algorithm, variant=variant)
                        if times is None:
                            times = solver.get_time_steps(skip, 1.0, 1.0 / 1000, steps, 'cpu').numpy()
                        with contextlib.redirect_stdout(io.StringIO()):   # the reference prints every step
                            x = solver.sample(x_T.reshape(B, D, 1, 1).clone(), steps=steps, order=order, skip_type=skip,
                                              method='multistep', lower_order_final=lower_order_final)
                        out[a, p, v, o] = x.reshape(B, D).numpy()
        assert np.isfinite(out).all(), (skip, steps)
        np.save(os.path.join(HERE, f'times_{skip}_{steps}.npy'), times)
        np.save(os.path.join(HERE, f'unipc_{skip}_{steps}.npy'), out)
        print(skip, steps, 'max |x|', np.abs(out).max())
