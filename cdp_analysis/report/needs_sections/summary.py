"""The summary of findings, each with its test."""

from __future__ import annotations

from cdp_analysis.needs import NeedsContext
from cdp_analysis.report.items import Md
from cdp_analysis.report.needs_summary import summary_findings
from cdp_analysis.report.tables import escape_md


# --------------------------------------------------------------------------- summary
def findings(ctx: NeedsContext, measure: str = "misuse") -> list[dict[str, str]]:
    """The summary's findings (see :func:`cdp_analysis.report.needs_summary.summary_findings`)."""
    return summary_findings(ctx, measure)


def summary_section(ctx: NeedsContext) -> list[Md]:
    """A plain-English summary of the findings, each with its test."""
    fs = findings(ctx)
    lines = [f"- **{escape_md(f['topic'])}.** {escape_md(f['finding'])}" for f in fs]
    return [Md("\n".join(lines))]
