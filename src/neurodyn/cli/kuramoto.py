"""``neurodyn kuramoto``: an adiabatic coupling sweep of a Kuramoto network against theory; writes JSON and a PNG."""

from __future__ import annotations

from pathlib import Path

import torch
import typer
from rich.table import Table
from rich.text import Text

from neurodyn.cli._common import (
    DEBUG_OPT,
    OVERWRITE_OPT,
    PROGRESS_OPT,
    console,
    handled,
    number_column,
    outputs_for,
    show,
    status_text,
    write_result,
    wrote,
)
from neurodyn.errors import InvalidInputError


def _theory(config, Ks, settings):
    """``(theory, K_c)`` for the sweep: the Ott–Antonsen branch (Lorentzian: closed form; bimodal: the two-slice
    flow swept the same way) at the effective coupling ``K p``; none for the Gaussian law."""
    from neurodyn import networks as nw

    K_c = config.theory()[0]
    if config.law == "lorentzian":
        return (lambda K: nw.oa_stationary_r(config.width, K * config.p)), K_c
    if config.law == "bimodal":
        s = config.separation
        oa = nw.ott_antonsen(config.width, omega0=torch.tensor([-s, s]), graphon=nw.constant_graphon(config.p),
                             slices=2)
        start = torch.tensor([1e-3, 1e-3, 0.0, 0.0], dtype=torch.float64)
        return nw.synchrony_sweep(oa, Ks, start, settings=settings), K_c
    return None, K_c


def kuramoto(
    graph: str = typer.Option("complete", help="graph kind: complete (all-to-all, O(N) per step) or erdos-renyi"),
    n: int = typer.Option(2000, "--n", help="number of oscillators N"),
    p: float = typer.Option(1.0, help="edge probability of the Erdos-Renyi graph (complete: 1)"),
    k_min: float = typer.Option(0.2, help="smallest coupling K"),
    k_max: float = typer.Option(2.0, help="largest coupling K"),
    k_steps: int = typer.Option(10, help="number of couplings from --k-min to --k-max"),
    law: str = typer.Option("lorentzian", help="frequency law: lorentzian, gaussian or bimodal"),
    width: float = typer.Option(0.5, help="half-width (lorentzian, bimodal) or standard deviation (gaussian)"),
    separation: float = typer.Option(0.0, help="bimodal law: peaks at +-separation"),
    t_settle: float = typer.Option(100.0, help="time run at each coupling"),
    dt: float = typer.Option(0.05, help="RK4 step"),
    average_last: float = typer.Option(50.0, help="r is averaged over the last this many time units"),
    down: bool = typer.Option(True, help="sweep back down too (hysteresis)"),
    seed: int = typer.Option(0, help="seed of the graph and the initial phases"),
    compile: bool = typer.Option(False, "--compile", help="complete graph: the RK4 step fused by torch.compile "
                                 "(compiles once, seconds; then several times faster at large N)"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for kuramoto.json and kuramoto.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Order parameter r against the coupling K of a Kuramoto network (quantile frequencies of the law), swept up
    and down from each state the previous coupling ended in, with local profiles, a phase snapshot and the theory
    (Ott-Antonsen branch, critical coupling 2 / (pi g(0) p)); writes JSON and a PNG."""
    from neurodyn import networks as nw

    outputs = outputs_for(out, "kuramoto", overwrite=overwrite)
    with handled(debug, outputs):
        if not 0 < average_last < t_settle:  # the config averages from t_settle - average_last > 0
            raise InvalidInputError(f"--average-last ({average_last}) must be > 0 and less than --t-settle "
                                    f"({t_settle})")
        config = nw.KuramotoConfig(n=n, graph=graph, p=p, law=law, width=width, separation=separation, seed=seed,
                                   K=k_max, t_end=t_settle, dt=dt, average_from=t_settle - average_last)
        if not 0 < k_min <= k_max or k_steps < 1:
            raise InvalidInputError(f"need 0 < --k-min <= --k-max and --k-steps >= 1, got {k_min}, {k_max}, "
                                    f"{k_steps}")
        outputs.check()
        settings = nw.SyncSettings(t_settle=t_settle, dt=dt, average_last=average_last, compile=compile)
        Ks = torch.linspace(k_min, k_max, k_steps, dtype=torch.float64)
        theory, K_c = _theory(config, Ks, settings)
        sweep = nw.synchrony_sweep(nw.build_kuramoto(config), Ks, nw.initial_phases(config), settings=settings,
                                   down=down, theory=theory, K_c_theory=K_c, progress=progress)
        data = {"config": {"graph": graph, "n": n, "p": p, "law": law, "width": width, "separation": separation,
                           "seed": seed}, "sweep": sweep.to_dict()}
        write_result(outputs, "kuramoto", data, sweep.plot, ncols=3, size=(14, 4.2))
    table = Table(title=f"Kuramoto, {graph} graph, N = {n}, {law} frequencies; theory K_c = {K_c:.4g}")
    for name in ("K", "r up", "r down"):
        number_column(table, name)
    for K, up, dn in zip(sweep.K.tolist(), sweep.r_up.tolist(), sweep.r_down.tolist(), strict=True):
        table.add_row(f"{K:.4g}", f"{up:.4f}", "-" if dn != dn else f"{dn:.4f}")
    show(table)
    loop = ("not judged, r has not settled" if not sweep.status.ok else
            "a loop" if sweep.hysteretic else "no loop beyond the fluctuation")
    console.print(Text(f"hysteresis {sweep.hysteresis:.4f} ({loop}: floor {sweep.hysteresis_floor:.4f})  status ")
                  + status_text(sweep.status) + Text(f"  {sweep.reason}" if sweep.reason else ""))
    wrote(outputs, "kuramoto.json", "kuramoto.png")
