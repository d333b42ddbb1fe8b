"""A report (one scenario file through one notebook), its status, and what a render did."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from neocloud.inputs.scenario import scenario_stem
from neocloud.inputs.sourced import ScenarioError

KEY_SUFFIX = ".key"


@dataclass(frozen=True)
class Report:
    """One report to render: a scenario file through one notebook.

    >>> r = Report(Path("params/base.yaml"), Path("notebooks/deal.ipynb"), Path("outputs"))
    >>> r.label, r.html.as_posix(), r.key_file.as_posix()
    ('base/deal', 'outputs/base/deal.html', 'outputs/base/.deal.key')
    """

    scenario_path: Path
    notebook_path: Path
    outputs: Path

    @property
    def scenario(self) -> str:
        return scenario_stem(self.scenario_path)

    @property
    def name(self) -> str:
        return self.notebook_path.stem

    @property
    def html(self) -> Path:
        return self.outputs / self.scenario / f"{self.name}.html"

    @property
    def ipynb(self) -> Path:
        return self.outputs / self.scenario / f"{self.name}.ipynb"

    @property
    def key_file(self) -> Path:
        return self.outputs / self.scenario / f".{self.name}{KEY_SUFFIX}"

    @property
    def failed(self) -> Path:
        return self.outputs / "_failed" / self.scenario / f"{self.name}.ipynb"

    @property
    def label(self) -> str:
        return f"{self.scenario}/{self.name}"


class Status(str, enum.Enum):
    """What happened to a report in a render.

    >>> Status.FAILED == "failed"
    True
    """

    RENDERED = "rendered"
    CACHED = "cached"
    FAILED = "failed"
    NOT_APPLICABLE = "does not apply"
    """The report does not apply to the scenario: a page saying why stands in its place."""


@dataclass
class Outcome:
    """What happened to one report."""

    report: Report
    status: Status
    seconds: float = 0.0
    error: str = ""
    partial: Path | None = None


@dataclass
class RenderResult:
    """Everything a render did, for the summary and the exit code."""

    outcomes: list[Outcome] = field(default_factory=list)
    invalid: list[ScenarioError] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is Status.FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.invalid
