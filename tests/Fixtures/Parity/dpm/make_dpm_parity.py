#!/usr/bin/env python3
"""Parity fixtures for the DPM-Solver family (plugins/Solvers/DpmSolver).

Reference implementation: repository LuChengTHU/dpm-solver, file dpm_solver_pytorch.py (commit
8acf2bb9419165fec8b3ffd01621aa735be5dee3). It is not part of this repository: fetch it into a scratch folder and pass
that folder on the command line; this script only imports it. Run with Debian's python3 (python3-torch 1.13):

    /usr/bin/python3 tests/Fixtures/Parity/dpm/make_dpm_parity.py /tmp/ref-dpm

The model is the exact noise prediction of a Gaussian mixture (written here, float64), the schedule the authors'
NoiseScheduleVP('discrete', betas=linspace(1e-4, 0.02, 1000)). Every case runs twice, in float64 (torch default dtype
and schedule dtype float64) and in float32 (the reference's defaults), from the same initial noise.

Writes next to this script:
  gmm.json        the mixture (weights, means, stds)
  x_T.npy         initial noise, float64 [64, 4]
  cases.json      one entry per run: the reference's arguments, the time grid it built (float64 and float32 runs),
                  and for adaptive runs the NFE it printed
  parity_f64.npy  the reference's outputs of the float64 runs, [cases, 64, 4] float64
  parity_f32.npy  the same for the float32 runs, float32
"""
import contextlib
import io
import json
import math
import os
import re
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

WEIGHTS = [0.5, 0.3, 0.2]
MEANS = [[-1.0, 0.5, 0.2, -0.3], [0.8, -0.6, 0.4, 0.9], [0.1, 1.2, -0.9, 0.0]]
STDS = [0.3, 0.55, 0.8]
BATCH, DIM, N = 64, 4, 1000


def gmm_eps(x, alpha, sigma):
    """eps = sigma sum_k r_k (x - alpha mu_k) / v_k, v_k = alpha^2 s_k^2 + sigma^2, r_k the posterior of component k."""
    x64 = x.to(torch.float64)
    a = alpha.to(torch.float64).reshape(-1, 1)
    s = sigma.to(torch.float64).reshape(-1, 1)
    logp, terms = [], []
    for w, mu, sd in zip(WEIGHTS, MEANS, STDS):
        v = a * a * sd * sd + s * s                                            # [B, 1]
        diff = x64 - a * torch.tensor(mu, dtype=torch.float64)                # [B, D]
        logp.append(math.log(w) - 0.5 * DIM * torch.log(2 * math.pi * v[:, 0]) - 0.5 * (diff * diff).sum(1) / v[:, 0])
        terms.append(diff / v)
    r = torch.softmax(torch.stack(logp, 1), 1)                                 # [B, K]
    eps = s * sum(r[:, k:k + 1] * terms[k] for k in range(len(WEIGHTS)))
    return eps.to(x.dtype)


def cases():
    out = []
    for alg in ['dpmsolver', 'dpmsolver++']:
        for skip in ['time_uniform', 'logSNR', 'time_quadratic']:
            for steps in [10, 20]:
                out.append(dict(algorithm_type=alg, method='singlestep', order=1, solver_type='dpmsolver', skip_type=skip, steps=steps))
                for order in [2, 3]:
                    for st in ['dpmsolver', 'taylor']:
                        out.append(dict(algorithm_type=alg, method='singlestep', order=order, solver_type=st, skip_type=skip, steps=steps))
                        out.append(dict(algorithm_type=alg, method='multistep', order=order, solver_type=st, skip_type=skip, steps=steps))
        # Fewer than 10 steps: the lower-order final steps of the multistep method.
        for order in [2, 3]:
            out.append(dict(algorithm_type=alg, method='multistep', order=order, solver_type='dpmsolver', skip_type='time_uniform', steps=6))
        # Fixed-order singlestep with a step count the order divides.
        for order, steps in [(2, 10), (3, 9)]:
            for skip in ['time_uniform', 'logSNR']:
                out.append(dict(algorithm_type=alg, method='singlestep_fixed', order=order, solver_type='dpmsolver', skip_type=skip, steps=steps))
        # The final denoising step.
        out.append(dict(algorithm_type=alg, method='multistep', order=2, solver_type='dpmsolver', skip_type='logSNR', steps=10, denoise_to_zero=True))
        out.append(dict(algorithm_type=alg, method='singlestep', order=3, solver_type='dpmsolver', skip_type='time_uniform', steps=10, denoise_to_zero=True))
        # DPM-Solver-12 and -23 with the default tolerances, and a tighter rtol.
        for order in [2, 3]:
            for st in ['dpmsolver', 'taylor']:
                out.append(dict(algorithm_type=alg, method='adaptive', order=order, solver_type=st, skip_type='time_uniform', steps=20))
            out.append(dict(algorithm_type=alg, method='adaptive', order=order, solver_type='dpmsolver', skip_type='time_uniform', steps=20, rtol=0.01))
    return out


def run(ref, case, dtype, x_T):
    torch.set_default_dtype(dtype)
    betas = torch.linspace(1e-4, 0.02, N, dtype=dtype)
    ns = ref.NoiseScheduleVP('discrete', betas=betas, dtype=dtype)

    def model(x, t_input):
        t = t_input / 1000. + 1. / N        # the wrapper's t_input = (t - 1/N) * 1000
        return gmm_eps(x, ns.marginal_alpha(t), ns.marginal_std(t))

    model_fn = ref.model_wrapper(model, ns, model_type='noise')
    solver = ref.DPM_Solver(model_fn, ns, algorithm_type=case['algorithm_type'])
    t_T, t_0 = 1.0, 1.0 / N
    grid = solver.get_time_steps(case['skip_type'], t_T, t_0, case['steps'], 'cpu')
    x = torch.tensor(x_T, dtype=dtype)
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        y = solver.sample(x, steps=case['steps'], t_start=t_T, t_end=t_0, order=case['order'], skip_type=case['skip_type'],
                          method=case['method'], lower_order_final=True, denoise_to_zero=case.get('denoise_to_zero', False),
                          solver_type=case['solver_type'], atol=case.get('atol', 0.0078), rtol=case.get('rtol', 0.05))
    nfe = re.search(r'adaptive solver nfe (\d+)', log.getvalue())
    return y.detach().numpy(), [float(v) for v in grid], int(nfe.group(1)) if nfe else None


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: make_dpm_parity.py <folder holding dpm_solver_pytorch.py>')
    sys.path.insert(0, sys.argv[1])
    import dpm_solver_pytorch as ref

    x_T = np.random.default_rng(2024).standard_normal((BATCH, DIM))
    np.save(os.path.join(HERE, 'x_T.npy'), x_T)
    with open(os.path.join(HERE, 'gmm.json'), 'w') as f:
        json.dump(dict(weights=WEIGHTS, means=MEANS, stds=STDS), f, indent=1)

    entries, out64, out32 = [], [], []
    for case in cases():
        y64, grid64, nfe64 = run(ref, case, torch.float64, x_T)
        y32, grid32, nfe32 = run(ref, case, torch.float32, x_T)
        entry = dict(case, times64=grid64, times32=grid32)
        if nfe64 is not None:
            entry.update(nfe64=nfe64, nfe32=nfe32)
        entries.append(entry)
        out64.append(y64)
        out32.append(y32)
        bad = '' if np.isfinite(y64).all() and np.isfinite(y32).all() else '  NON-FINITE'
        print(f"{len(entries) - 1:3d} {case}{bad}")
    np.save(os.path.join(HERE, 'parity_f64.npy'), np.stack(out64).astype(np.float64))
    np.save(os.path.join(HERE, 'parity_f32.npy'), np.stack(out32).astype(np.float32))
    with open(os.path.join(HERE, 'cases.json'), 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(e) for e in entries) + '\n]\n')


if __name__ == '__main__':
    main()
