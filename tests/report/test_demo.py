"""`neurodyn demo` (quick sizes): a complete, self-contained report and JSON for every result."""

import json
import re
from html.parser import HTMLParser

from typer.testing import CliRunner

from neurodyn.cli import app

SECTIONS = ("Key numbers", "Fixed points of a GRU trained on the 3-bit flip-flop task",
            "Lyapunov spectrum of the trained GRU", "Order to chaos in random recurrent networks",
            "Bifurcations in a weight-scaling parameter, with proofs", "FTLE ridges of a neural-ODE classifier",
            "Training at the edge of stability", "A reference check: the Lorenz system",
            "Memory capacity of neural DDEs",
            "What an architecture can represent: critical points and augmentation",
            "Proven FTLE bounds and a proven periodic orbit", "Settings and versions")
RESULTS = ("gru_fixed_points", "gru_lyapunov", "random_rnn", "bifurcation", "moons_ftle", "edge_of_stability",
           "lorenz_lyapunov", "lorenz_equilibria", "delay_memory", "iomaps", "rigorous")


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources, self.headings, self._in_h2 = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src", ""))
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data.strip())
            self._in_h2 = False


def test_demo_writes_a_complete_report(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    parsed = _Images()
    parsed.feed(page)
    assert parsed.headings == list(SECTIONS)
    assert len(parsed.sources) == 11
    assert all(re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/=]{2000,}", s) for s in parsed.sources)
    assert "http" not in page.replace("https://", "")  # nothing fetched from elsewhere
    for name in RESULTS:
        json.loads((out / f"{name}.json").read_text())
    fp = json.loads((out / "gru_fixed_points.json").read_text())
    assert max(fp["fixed"]["residual"]) <= 1e-10
    # every Hopf point of the quick family is proven, at the exact g = 1 / Re(lambda(W))
    bif = json.loads((out / "bifurcation.json").read_text())
    assert bif["hopf_proofs"] and all(p["proved"] for p in bif["hopf_proofs"])
    for p, g in zip(bif["hopf_proofs"], bif["exact_hopf_g"], strict=True):
        assert float(p["bounds"]["g"]["lower"]) - 1e-12 <= g <= float(p["bounds"]["g"]["upper"]) + 1e-12
    assert "Proven: at some g in [" in page
    # proven FTLE intervals at every grid point of the classifier, and the orbit born at a proven Hopf point
    rig = json.loads((out / "rigorous.json").read_text())
    assert rig["grid"] == 6 and all(rig["bounds"]["proved"]) and len(rig["float_map"]) == 36
    widths = [u[0] - lo[0] for lo, u in zip(rig["bounds"]["lower"], rig["bounds"]["upper"], strict=True)]
    assert 0 < max(widths) <= 1e-6
    # the quick bifurcation family first loses stability at a branch point, so the orbit comes from the first seed
    # whose coupling's rightmost eigenvalues are a complex pair: born at its first Hopf point, proven supercritical,
    # and proven stable (every non-trivial multiplier's modulus below 1)
    assert rig["study_seed"] == 1 and rig["family"].endswith("n = 10")
    g = rig["hopf_proof"]["bounds"]["g"]
    assert rig["hopf_proof"]["proved"] and float(g["lower"]) <= rig["hopf_g"] <= float(g["upper"])
    assert float(rig["hopf_proof"]["bounds"]["l1"]["upper"]) < 0
    proof = rig["orbit_proof"]
    assert proof["proved"] and proof["conclusion"] == "stable", proof["reason"]
    moduli = [v for k, v in proof["bounds"].items() if k.startswith("|mu_")]
    assert len(moduli) == 9 and all(float(v["upper"]) < 1 for v in moduli)
    lo, hi = float(proof["bounds"]["period"]["lower"]), float(proof["bounds"]["period"]["upper"])
    assert abs(rig["orbit"]["period"] - lo) < 1e-6 and hi - lo < 1e-6
    assert "Proven: a periodic orbit passes within" in page and "it is orbitally asymptotically stable" in page
    assert "The orbit is proven orbitally asymptotically stable" in page
    assert "report:" in result.output and not [p for p in out.iterdir() if p.name.startswith(".")]
    # the text says where x = 0 first loses stability, by the kind of point the branch recorded there
    first = min(bif["branch"]["special"], key=lambda sp: sp["value"])
    kind = {"branch": "at a branch point", "hopf": "at a Hopf point", "fold": "at a fold"}[first["kind"]]
    assert f"first loses stability at g = {first['value']:.4g}, {kind}" in page
    # quick mode says so, and no check it cannot meet is shown as a result
    assert "(quick mode)" in page and "Quick mode: every section ran at small sizes" in page
    assert page.count("not evaluated in quick mode") >= 5
    timings = json.loads((out / "timings.json").read_text())
    assert [t["name"] for t in timings] == ["flip-flop GRU", "order to chaos", "bifurcations and proofs",
                                            "FTLE of a neural ODE", "edge of stability", "Lorenz check",
                                            "neural DDE memory", "input-output maps", "rigorous integration"]
    assert all(t["wall"] > 0 and t["cpu"] > 0 for t in timings)
    # a second run into the same folder keeps the report unless --overwrite
    again = CliRunner().invoke(app, ["demo", "--quick", "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output
