#!/usr/bin/env python3
"""Parity fixtures against the schedulers of the diffusers library (DDIM, multistep DPM-Solver / DPM-Solver++, UniPC,
PNDM / PLMS, DEIS), read by tests/Solvers.Tests/Parity/DiffusersParityTests.cs.

The reference is not part of this repository and is not installed from a package index: pass the folder that holds the
`diffusers` package source (the folder containing `diffusers/schedulers/scheduling_ddim.py` etc.). The fixtures in this
folder were made from diffusers 0.37.0.dev0 (src/diffusers of a mirror of the main branch at commit
725959a41dab7fe82d92cac23db7f6e469cca971), with Debian's python3-torch 1.13 and python3-numpy:

    /usr/bin/python3 tests/Fixtures/Parity/diffusers/make_diffusers_parity.py /path/to/diffusers-src

Only the scheduler modules are imported (scheduling_ddim, scheduling_dpmsolver_multistep, scheduling_dpmsolver_singlestep,
scheduling_unipc_multistep, scheduling_pndm, scheduling_deis_multistep); the package's heavy dependencies are not needed when the folder provides
minimal `configuration_utils` (ConfigMixin / register_to_config keeping the init arguments in `.config`), `utils`
(BaseOutput, deprecate, is_scipy_available) and `utils.torch_utils` (randn_tensor) modules.

Model: the exact noise prediction of the Gaussian mixture of tests/Fixtures/Parity/dpm (4-D, 3 components), in float64,
evaluated at the integer timestep k the scheduler passes, i.e. at alpha_bar_k = prod_{j<=k} (1 - beta_j) of the linear
betas linspace(1e-4, 0.02, 1000) computed in float64. 64 samples from one x_T.

Every case runs twice from the same x_T:
  float32  the scheduler exactly as shipped (float32 tables, float32 sample; eps cast to float32). This is the parity
           the tests assert (1e-4).
  float64  the same code with float64 in place of float32: the scheduler modules see a torch / numpy whose `float32`
           is float64, and the torch default dtype is float64. The comparison then shows what is left of the formulas
           once rounding is gone.

`--set sigma` (after the folder) writes the sigma-based schedulers instead (EulerDiscrete, HeunDiscrete, LMSDiscrete,
KDPM2Discrete; made from diffusers 0.37.0.dev0 at commit 58eb52c0803ea9af3abec60841c2a093bdf1f951) to sigma_cases.json,
sigma_diffusers_f32.npy and sigma_diffusers_f64.npy: there the model is the exact eps at the noise level the scheduler
scaled its input for (so a fractional timestep needs no interpolation rule), and diffusers starts from x_T sqrt(1 +
sigma_0^2), the VP prior's x_T in its variable. The other files were made at commit 725959a (above) and are not rewritten
by `--set sigma`; rerun without it only with that commit (later commits changed DPMSolverSinglestep's order list).

Writes next to this script:
  gmm.json          the mixture
  x_T.npy           initial noise, float64 [64, 4]
  cases.json        one entry per case: scheduler class, its config, step count, the timesteps it ran (integer indices),
                    for the sigma-based schedulers the noise ratios sigma / alpha it stepped through (float64 run), and
                    whether each run stayed finite
  diffusers_f32.npy final samples of the float32 runs, [cases, 64, 4] float32 (NaN where diffusers produced NaN)
  diffusers_f64.npy the same for the float64 runs, float64
"""
import importlib
import json
import math
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

WEIGHTS = [0.5, 0.3, 0.2]
MEANS = [[-1.0, 0.5, 0.2, -0.3], [0.8, -0.6, 0.4, 0.9], [0.1, 1.2, -0.9, 0.0]]
STDS = [0.3, 0.55, 0.8]
BATCH, DIM, N = 64, 4, 1000

ALPHAS_CUMPROD = np.cumprod(1.0 - np.linspace(1e-4, 0.02, N, dtype=np.float64))

MODULES = {
    'DDIMScheduler': 'scheduling_ddim',
    'DPMSolverMultistepScheduler': 'scheduling_dpmsolver_multistep',
    'DPMSolverSinglestepScheduler': 'scheduling_dpmsolver_singlestep',
    'UniPCMultistepScheduler': 'scheduling_unipc_multistep',
    'PNDMScheduler': 'scheduling_pndm',
    'DEISMultistepScheduler': 'scheduling_deis_multistep',
    'EulerDiscreteScheduler': 'scheduling_euler_discrete',
    'HeunDiscreteScheduler': 'scheduling_heun_discrete',
    'LMSDiscreteScheduler': 'scheduling_lms_discrete',
    'KDPM2DiscreteScheduler': 'scheduling_k_dpm_2_discrete',
}

# The sigma-based schedulers (their sample is x / alpha, their model input x / sqrt(1 + sigma^2)); written to the
# sigma_* files by `--set sigma` so that the cases above keep their files and numbers.
SIGMA_SCHEDULERS = ['EulerDiscreteScheduler', 'HeunDiscreteScheduler', 'LMSDiscreteScheduler', 'KDPM2DiscreteScheduler']


def mixture_eps(x, k):
    """eps = sigma sum_k r_k (x - alpha mu_k) / v_k at training step k (float64 numpy, x [B, D])."""
    a = math.sqrt(ALPHAS_CUMPROD[k])
    s = math.sqrt(1.0 - ALPHAS_CUMPROD[k])
    logp, terms = [], []
    for w, mu, sd in zip(WEIGHTS, MEANS, STDS):
        v = a * a * sd * sd + s * s
        diff = x - a * np.asarray(mu)
        logp.append(math.log(w) - 0.5 * DIM * math.log(2 * math.pi * v) - 0.5 * (diff * diff).sum(1) / v)
        terms.append(diff / v)
    logp = np.stack(logp, 1)
    r = np.exp(logp - logp.max(1, keepdims=True))
    r /= r.sum(1, keepdims=True)
    return s * sum(r[:, j:j + 1] * terms[j] for j in range(len(WEIGHTS)))


def mixture_eps_at(x, abar):
    """The same exact eps at alpha_bar (any noise level, not only a training step)."""
    a = math.sqrt(abar)
    s = math.sqrt(1.0 - abar)
    logp, terms = [], []
    for w, mu, sd in zip(WEIGHTS, MEANS, STDS):
        v = a * a * sd * sd + s * s
        diff = x - a * np.asarray(mu)
        logp.append(math.log(w) - 0.5 * DIM * math.log(2 * math.pi * v) - 0.5 * (diff * diff).sum(1) / v)
        terms.append(diff / v)
    logp = np.stack(logp, 1)
    r = np.exp(logp - logp.max(1, keepdims=True))
    r /= r.sum(1, keepdims=True)
    return s * sum(r[:, j:j + 1] * terms[j] for j in range(len(WEIGHTS)))


def sigma_cases():
    """Euler, Heun, LMS, KDPM2 (deterministic): the three spacings, steps_offset, Karras sigmas, Euler's final sigma."""
    out = []

    def add(cls, steps, **config):
        out.append(dict(scheduler=cls, steps=steps, config=config))

    for steps in [10, 20]:
        for cls in SIGMA_SCHEDULERS:
            add(cls, steps)
            add(cls, steps, timestep_spacing='leading', steps_offset=1)
            add(cls, steps, timestep_spacing='trailing')
            add(cls, steps, use_karras_sigmas=True)
            add(cls, steps, beta_schedule='scaled_linear', beta_start=0.00085, beta_end=0.012)
        add('EulerDiscreteScheduler', steps, timestep_spacing='leading', steps_offset=1, final_sigmas_type='sigma_min')
    return out


def cases():
    out = []

    def add(cls, steps, **config):
        out.append(dict(scheduler=cls, steps=steps, config=config))

    for steps in [10, 20]:
        # DDIMScheduler (eta = 0, no x0 clipping): the consistent spacing rules ('leading', 'trailing').
        add('DDIMScheduler', steps, clip_sample=False, timestep_spacing='leading', steps_offset=0, set_alpha_to_one=True)
        add('DDIMScheduler', steps, clip_sample=False, timestep_spacing='leading', steps_offset=1, set_alpha_to_one=False)
        add('DDIMScheduler', steps, clip_sample=False, timestep_spacing='trailing', set_alpha_to_one=True)
        # DPMSolverMultistepScheduler.
        for order in [2, 3]:
            for st in ['midpoint', 'heun']:
                add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=order, solver_type=st)
                add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=order, solver_type=st,
                    final_sigmas_type='sigma_min')
                add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver', solver_order=order, solver_type=st,
                    final_sigmas_type='sigma_min')
        add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=3, lower_order_final=False)
        add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=2, timestep_spacing='leading',
            steps_offset=1)
        add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=2, timestep_spacing='trailing')
        add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=2, use_karras_sigmas=True)
        add('DPMSolverMultistepScheduler', steps, algorithm_type='dpmsolver++', solver_order=2, use_karras_sigmas=True,
            final_sigmas_type='sigma_min')
        # DPMSolverSinglestepScheduler.
        for order in [2, 3]:
            for st in ['midpoint', 'heun']:
                add('DPMSolverSinglestepScheduler', steps, algorithm_type='dpmsolver++', solver_order=order, solver_type=st)
                add('DPMSolverSinglestepScheduler', steps, algorithm_type='dpmsolver', solver_order=order, solver_type=st,
                    final_sigmas_type='sigma_min')
        # UniPCMultistepScheduler.
        for order in [2, 3]:
            for variant in ['bh1', 'bh2']:
                for x0 in [True, False]:
                    for final in ['zero', 'sigma_min']:
                        add('UniPCMultistepScheduler', steps, solver_order=order, solver_type=variant, predict_x0=x0,
                            final_sigmas_type=final)
        # PNDMScheduler: PLMS (skip_prk_steps) and the pseudo Runge-Kutta warm-up.
        for skip in [True, False]:
            add('PNDMScheduler', steps, skip_prk_steps=skip, steps_offset=1, set_alpha_to_one=False)
            add('PNDMScheduler', steps, skip_prk_steps=skip, steps_offset=0, set_alpha_to_one=True)
    # Five steps: the lower-order final steps of the multistep methods.
    for order in [2, 3]:
        add('DPMSolverMultistepScheduler', 5, algorithm_type='dpmsolver++', solver_order=order)
        add('UniPCMultistepScheduler', 5, solver_order=order)
        add('DPMSolverSinglestepScheduler', 5, algorithm_type='dpmsolver++', solver_order=order)
    # DEISMultistepScheduler (log-rho): appended so that the indices of the cases above stay as they were. Orders 1-3,
    # the three spacing rules, lower_order_final as shipped (on below 15 steps) and, at 10 steps, off.
    for steps in [10, 20]:
        for order in [1, 2, 3]:
            add('DEISMultistepScheduler', steps, solver_order=order)
            add('DEISMultistepScheduler', steps, solver_order=order, timestep_spacing='leading', steps_offset=1)
            add('DEISMultistepScheduler', steps, solver_order=order, timestep_spacing='trailing')
    for order in [2, 3]:
        add('DEISMultistepScheduler', 10, solver_order=order, lower_order_final=False)
    return out


def promoted(module, wide):
    """A stand-in for `module` whose float32 is `wide`."""
    p = types.SimpleNamespace(**{k: getattr(module, k) for k in dir(module) if not k.startswith('__')})
    p.float32 = wide
    return p


def run(mods, case, x_T, wide):
    mod = mods[case['scheduler']]
    if wide:
        torch.set_default_dtype(torch.float64)
        for m in mods.values():
            m.torch, m.np = promoted(torch, torch.float64), promoted(np, np.float64)
    try:
        scheduler = getattr(mod, case['scheduler'])(**case['config'])
        scheduler.set_timesteps(case['steps'])
        dtype = torch.float64 if wide else torch.float32
        x = torch.tensor(x_T, dtype=dtype)
        timesteps = [int(t) for t in scheduler.timesteps]
        sigmas = getattr(scheduler, 'sigmas', None)
        sigmas = [float(v) for v in sigmas] if sigmas is not None and len(sigmas) == len(timesteps) + 1 else None
        if case['scheduler'] in SIGMA_SCHEDULERS:
            # x_T is the VP prior's draw; in diffusers' variable x / alpha it is x_T sqrt(1 + sigma_0^2) (its
            # init_noise_sigma is sigma_0 alone for 'linspace' and 'trailing'). The model is the exact eps at the noise
            # level the scheduler scaled its input for: c = x / x_in = sqrt(1 + sigma^2), alpha_bar = 1 / c^2.
            sig = [float(v) for v in scheduler.sigmas]
            x = torch.tensor(x_T * math.sqrt(1.0 + sig[0] ** 2), dtype=dtype)
            timesteps = [float(t) for t in scheduler.timesteps]
            for t in scheduler.timesteps:
                x_in = scheduler.scale_model_input(x, t)
                x64, xin64 = x.to(torch.float64).numpy(), x_in.to(torch.float64).numpy()
                c = float((x64 * x64).sum() / (x64 * xin64).sum())
                eps = torch.tensor(mixture_eps_at(xin64, 1.0 / (c * c)), dtype=dtype)
                x = scheduler.step(eps, t, x).prev_sample
            return x.to(torch.float64).numpy(), timesteps, sig
        for t in scheduler.timesteps:
            eps = torch.tensor(mixture_eps(x.to(torch.float64).numpy(), int(t)), dtype=dtype)
            x = scheduler.step(eps, t, x).prev_sample
        return x.to(torch.float64).numpy(), timesteps, sigmas
    finally:
        torch.set_default_dtype(torch.float32)
        for m in mods.values():
            m.torch, m.np = torch, np


def main():
    sigma_set = sys.argv[2:] == ['--set', 'sigma']
    if len(sys.argv) != 2 and not sigma_set:
        sys.exit('usage: make_diffusers_parity.py <folder holding the diffusers package source> [--set sigma]')
    sys.path.insert(0, sys.argv[1])
    mods = {}
    for cls, name in MODULES.items():
        try:
            mods[cls] = importlib.import_module('diffusers.schedulers.' + name)
        except ImportError as e:
            print(f'skipping {cls}: {e}')

    x_T = np.random.default_rng(2024).standard_normal((BATCH, DIM))
    np.save(os.path.join(HERE, 'x_T.npy'), x_T)
    with open(os.path.join(HERE, 'gmm.json'), 'w') as f:
        json.dump(dict(weights=WEIGHTS, means=MEANS, stds=STDS), f, indent=1)

    prefix = 'sigma_' if sigma_set else ''
    entries, out32, out64 = [], [], []
    for case in (sigma_cases() if sigma_set else cases()):
        if case['scheduler'] not in mods:
            continue
        y32, ts32, _ = run(mods, case, x_T, wide=False)
        y64, ts64, sigmas64 = run(mods, case, x_T, wide=True)
        # Fractional timesteps (Karras sigmas of the sigma-based schedulers) round differently in float32.
        assert ts32 == ts64 or (sigma_set and np.allclose(ts32, ts64, rtol=1e-3, atol=1e-2)), (case, ts32, ts64)
        entry = dict(case, timesteps=ts64 if sigma_set else ts32)
        if sigmas64 is not None:
            entry['sigmas'] = sigmas64
        entry.update(finite32=bool(np.isfinite(y32).all()), finite64=bool(np.isfinite(y64).all()))
        entries.append(entry)
        out32.append(y32)
        out64.append(y64)
        bad = '' if entry['finite32'] and entry['finite64'] else '  NON-FINITE'
        print(f"{len(entries) - 1:3d} {case['scheduler']} {case['steps']} {case['config']} {ts32}{bad}")
    np.save(os.path.join(HERE, prefix + 'diffusers_f32.npy'), np.stack(out32).astype(np.float32))
    np.save(os.path.join(HERE, prefix + 'diffusers_f64.npy'), np.stack(out64).astype(np.float64))
    with open(os.path.join(HERE, prefix + 'cases.json'), 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(e) for e in entries) + '\n]\n')


if __name__ == '__main__':
    main()
