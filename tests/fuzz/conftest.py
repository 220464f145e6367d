"""Fuzzing budgets: a short one by default (`make test`, CI), the full one with WIREWATCH_FUZZ=full (`make fuzz`).

Each target says its share of the full run (`examples(weight)`); the shares add up to
more than 100,000 generated inputs, and the full run fails at the end if fewer were
generated. Hypothesis's own deadline is off: every target checks the issue's time
budget itself (0.05 s + 2 s per MB of input), on the input's size.
"""

from __future__ import annotations

import pytest
from hostile import FULL, FULL_MINIMUM, GENERATED
from hypothesis import HealthCheck, Phase, settings

_SHARED = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much, HealthCheck.large_base_example])
# the short run does not shrink: shrinking a slow input takes minutes, and the failing input is printed whole
settings.register_profile("wirewatch-short", database=None, phases=[Phase.explicit, Phase.generate], **_SHARED)
settings.register_profile("wirewatch-full", **_SHARED)
settings.load_profile("wirewatch-full" if FULL else "wirewatch-short")



def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if GENERATED["inputs"]:
        terminalreporter.write_line(f"fuzz: {GENERATED['inputs']} generated inputs "
                                    f"({'full' if FULL else 'short'} budget)")


@pytest.fixture(scope="session", autouse=True)
def _full_run_generates_enough(request: pytest.FixtureRequest):
    yield
    selected = [item for item in request.session.items if "fuzz" in item.keywords]
    if FULL and len(selected) == len(request.session.items) and GENERATED["inputs"] < FULL_MINIMUM \
            and request.session.testsfailed == 0:
        pytest.fail(f"the full fuzz run generated {GENERATED['inputs']} inputs, fewer than {FULL_MINIMUM}")
