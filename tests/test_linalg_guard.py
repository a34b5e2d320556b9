"""Eigen-decompositions through ``neurodyn.linalg``: graded matrices do not crash the process, and batches split
over threads give PyTorch's own results."""

import subprocess
import sys
import textwrap

import numpy as np
import torch

from neurodyn import linalg

GRADED = """
import numpy as np, torch
M = np.zeros((5, 5))
M[0, 1], M[0, 3], M[0, 4] = 1.3730389955374733e-254, 0.33561584956509849, -1.9909514812078495
M[1, 2], M[2, 0], M[2, 3], M[2, 4] = 1.1429802089438026e-157, 2.6134283835774129e-39, -1.4652310530251418, \\
    -1.8124467372497843e-2
M[3, 0], M[3, 1], M[4, 1] = 1.8938987549870373e-227, 0.80910769584462061, 0.80910769584462061
"""


def test_a_graded_matrix_is_decomposed_without_corrupting_the_heap():
    # torch's CPU eig on this matrix aborts the process a few allocations later; run it in a child process
    script = GRADED + textwrap.dedent("""
        from neurodyn import linalg
        T = torch.from_numpy(M)
        for _ in range(20):
            vals, vecs = linalg.eig(torch.stack([T, T + torch.eye(5, dtype=T.dtype)]))
            lam = linalg.eigvals(T)
            junk = [torch.randn(100, 100) for _ in range(10)]
        assert vals.shape == (2, 5) and vecs.shape == (2, 5, 5) and lam.dtype == torch.complex128
        assert float(lam.abs().max()) < 1e-40  # every eigenvalue of M is within 2e-49 of 0
        assert torch.allclose(vals[1], vals[0] + 1, atol=1e-12)  # the shifted copy went through torch
        A = torch.from_numpy(M).to(torch.complex128)
        assert torch.allclose(A @ vecs[0], vecs[0] * vals[0], atol=1e-12)
        print("ok")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_a_batch_split_over_threads_matches_one_call():
    gen = torch.Generator().manual_seed(0)
    J = torch.randn(7, 3, 20, 20, generator=gen, dtype=torch.float64)
    vals, vecs = linalg.eig(J)
    ref_vals, ref_vecs = torch.linalg.eig(J)
    assert vals.shape == (7, 3, 20) and vecs.shape == (7, 3, 20, 20)
    assert torch.allclose(vals, ref_vals, atol=1e-12) and torch.allclose(vecs.abs(), ref_vecs.abs(), atol=1e-10)
    assert torch.allclose(linalg.eigvals(J[0, 0]), torch.linalg.eigvals(J[0, 0]), atol=1e-12)
    assert linalg.eigvals(J[:0]).shape == (0, 3, 20)


def test_graded_matrices_are_detected_by_their_dynamic_range():
    A = torch.eye(3, dtype=torch.float64)
    B = A.clone()
    B[0, 1] = 1e-200
    assert linalg.is_graded(torch.stack([A, B, torch.zeros(3, 3, dtype=torch.float64)])).tolist() == [False, True,
                                                                                                       False]
    assert np.isclose(float(linalg.eigvals(B).real.sum()), 3.0)
