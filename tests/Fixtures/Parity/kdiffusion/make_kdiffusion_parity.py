#!/usr/bin/env python3
"""Parity fixtures against k-diffusion's samplers (k_diffusion/sampling.py), read by
tests/Solvers.Tests/Parity/KDiffusionParityTests.cs.

The reference is not part of this repository and is not installed from a package index: pass the path of k-diffusion's
`k_diffusion/sampling.py`. The fixtures in this folder were made from the main branch of crowsonkb/k-diffusion with
Debian's python3-torch 1.13, python3-numpy and python3-scipy (sample_lms integrates its coefficients with
scipy.integrate.quad):

    /usr/bin/python3 tests/Fixtures/Parity/kdiffusion/make_kdiffusion_parity.py /path/to/k_diffusion/sampling.py

Only the module's sampler functions are used; its imports that the chosen samplers never call (torchdiffeq, torchsde, tqdm, the package's utils) are given empty stand-ins, with `trange` as `range`.

Model: k-diffusion's denoiser D(x, sigma) = x - sigma eps(x, sigma) of the exact noise prediction of the Gaussian
mixture of tests/Fixtures/Parity/dpm on the EDM schedule (alpha = 1, sigma(t) = t), in float64. Sigmas:
get_sigmas_karras(steps, 0.002, 80, rho = 7) followed by 0. 64 samples from one x_T = 80 z.

The ancestral and SDE samplers get a noise_sampler that returns the rows of noise.npy in order, one [64, 4] draw per call; the
tests replay the same rows through the run's noise source.

Writes next to this script:
  gmm.json     the mixture (a copy of ../dpm/gmm.json)
  x_T.npy      initial sample, float64 [64, 4]
  noise.npy    the replayed noise, float64 [40, 64, 4] (enough for every case)
  cases.json   one entry per case: sampler, its keyword arguments, step count, the sigmas it stepped through, and the
               number of model evaluations and noise draws
  samples.npy  final samples, float64 [cases, 64, 4]
"""
import importlib.util
import json
import math
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, DIM = 64, 4
SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 80.0, 7.0
NOISE_ROWS = 40


def load_sampling(path):
    """k_diffusion/sampling.py as the module `k_diffusion.sampling`, with stand-ins for what it imports."""
    stubs = {
        'torchdiffeq': types.ModuleType('torchdiffeq'),
        'torchsde': types.ModuleType('torchsde'),
        'tqdm': types.ModuleType('tqdm'),
        'tqdm.auto': types.ModuleType('tqdm.auto'),
        'k_diffusion': types.ModuleType('k_diffusion'),
        'k_diffusion.utils': types.ModuleType('k_diffusion.utils'),
    }
    stubs['torchdiffeq'].odeint = None
    stubs['tqdm.auto'].trange = lambda n, disable=None: range(n)
    stubs['tqdm.auto'].tqdm = None
    stubs['k_diffusion'].__path__ = []
    stubs['k_diffusion'].utils = stubs['k_diffusion.utils']
    # The one helper of the package's utils that the samplers call: broadcast a [B] tensor over x's trailing dims.
    stubs['k_diffusion.utils'].append_dims = lambda t, ndim: t.reshape(t.shape + (1,) * (ndim - t.ndim))
    sys.modules.update(stubs)
    spec = importlib.util.spec_from_file_location('k_diffusion.sampling', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mixture():
    with open(os.path.join(HERE, 'gmm.json')) as f:
        g = json.load(f)
    return g['weights'], g['means'], g['stds']


class Denoiser:
    """D(x, sigma) = x - sigma eps with eps = sigma sum_k r_k (x - mu_k) / (s_k^2 + sigma^2) (alpha = 1)."""

    def __init__(self):
        self.weights, self.means, self.stds = mixture()
        self.calls = 0

    def __call__(self, x, sigma):
        self.calls += 1
        s = float(sigma[0])
        logp, terms = [], []
        for w, mu, sd in zip(self.weights, self.means, self.stds):
            v = sd * sd + s * s
            diff = x - torch.tensor(mu, dtype=torch.float64)
            logp.append(math.log(w) - 0.5 * DIM * math.log(2 * math.pi * v) - 0.5 * (diff * diff).sum(1) / v)
            terms.append(diff / v)
        logp = torch.stack(logp, 1)
        r = torch.softmax(logp, 1)
        eps = s * sum(r[:, j:j + 1] * terms[j] for j in range(len(terms)))
        return x - s * eps


class Replay:
    """noise_sampler(sigma, sigma_next): the next row of the fixture's noise."""

    def __init__(self, noise):
        self.noise, self.used = noise, 0

    def __call__(self, sigma, sigma_next):
        z = self.noise[self.used]
        self.used += 1
        return z


def cases():
    out = []
    for steps in [10, 20]:
        for sampler in ['sample_euler', 'sample_heun', 'sample_dpm_2', 'sample_lms']:
            out.append(dict(sampler=sampler, steps=steps, kwargs={}))
        for sampler in ['sample_euler_ancestral', 'sample_dpm_2_ancestral']:
            out.append(dict(sampler=sampler, steps=steps, kwargs=dict(eta=1.0)))
            out.append(dict(sampler=sampler, steps=steps, kwargs=dict(eta=0.5)))
    # Appended so that the indices of the cases above stay as they were.
    for steps in [10, 20]:
        out.append(dict(sampler='sample_dpmpp_2m', steps=steps, kwargs={}))
        for solver_type in ['midpoint', 'heun']:
            out.append(dict(sampler='sample_dpmpp_2m_sde', steps=steps, kwargs=dict(solver_type=solver_type)))
    return out


def main():
    sampling = load_sampling(sys.argv[1])
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(20240517)
    x_T = SIGMA_MAX * torch.randn(BATCH, DIM, generator=gen, dtype=torch.float64)
    noise = torch.randn(NOISE_ROWS, BATCH, DIM, generator=gen, dtype=torch.float64)
    entries, samples = [], []
    for case in cases():
        sigmas = sampling.get_sigmas_karras(case['steps'], SIGMA_MIN, SIGMA_MAX, rho=RHO).to(torch.float64)
        model = Denoiser()
        kwargs = dict(case['kwargs'])
        replay = None
        if 'ancestral' in case['sampler'] or 'sde' in case['sampler']:
            replay = Replay(noise)
            kwargs['noise_sampler'] = replay
        with torch.no_grad():
            x = getattr(sampling, case['sampler'])(model, x_T.clone(), sigmas, disable=True, **kwargs)
        entries.append(dict(case, sigmas=sigmas.tolist(), evaluations=model.calls, draws=replay.used if replay else 0))
        samples.append(x.numpy())
    np.save(os.path.join(HERE, 'x_T.npy'), x_T.numpy())
    np.save(os.path.join(HERE, 'noise.npy'), noise.numpy())
    np.save(os.path.join(HERE, 'samples.npy'), np.stack(samples))
    with open(os.path.join(HERE, 'cases.json'), 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(e) for e in entries) + '\n]\n')


if __name__ == '__main__':
    main()
