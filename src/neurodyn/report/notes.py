"""Key numbers of a report with their expected values, quick-mode marks and convergence notes in plain words.

A :class:`KeyNumber` is one row of a report's "Key numbers" table: what was measured, its value, what it is
expected to be, and a note. In quick mode (small sizes) the expectation is replaced by ``quick``: a relaxed
expectation that quick mode can meet, or ``None`` for "not evaluated in quick mode", so that a check the
small run cannot pass is never shown as if it had failed.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_EVALUATED = "not evaluated in quick mode"


@dataclass(frozen=True)
class KeyNumber:
    """One key number: ``quantity`` (what), ``value`` (as shown), ``expected`` (the full run's check or reference),
    ``quick`` (the check in quick mode: a relaxed expectation, ``None`` for not evaluated, or ``"same"`` when
    the small run is held to the full check) and ``note`` (e.g. a convergence note about this number)."""

    quantity: str
    value: str
    expected: str
    quick: str | None = "same"
    note: str = ""

    def row(self, quick_mode: bool) -> tuple[str, str, str, str]:
        """``(quantity, value, expected, note)`` as shown; in quick mode the expectation says so."""
        expected = self.expected
        if quick_mode:
            if self.quick is None:
                expected = f"{NOT_EVALUATED} (full run: {self.expected})"
            elif self.quick == "same":
                expected = f"{self.expected} (checked in quick mode too)"
            else:
                expected = f"quick mode: {self.quick} (full run: {self.expected})"
        return self.quantity, str(self.value), expected, self.note


def convergence_note(spec, *, index: int = 0, raise_what: str = "steps") -> str:
    """A plain-words note on exponent ``index`` of a Lyapunov result ``spec`` when its running estimate has not
    settled, else ``""``.

    The diagnostic compares the estimate over the whole run with the estimate over its first half (``drift``);
    an exponent is flagged only when the result's status is not converged *and* its drift exceeds its standard
    error (a drift within the statistical error says nothing about convergence).
    """
    import math

    if getattr(spec, "status", "converged") == "converged":
        return ""
    drift = float(spec.drift[index])
    err = float(spec.stderr[index])
    if math.isfinite(err) and drift <= err:
        return ""
    err_text = f"standard error {err:.2g}" if math.isfinite(err) else "no standard error (one trajectory)"
    return (f"not settled: this estimate moved by {drift:.2g} {spec.units} between the first half of the run and "
            f"the whole run ({err_text}); raise {raise_what} for a firmer value")
