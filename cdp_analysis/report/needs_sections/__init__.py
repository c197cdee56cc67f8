"""Markdown, charts and tables for each section of the needs-assessment appendix.

Every number comes from :mod:`cdp_analysis.needs` (the topic modules, and the shared
results through :class:`~cdp_analysis.needs.NeedsContext`); these modules only word, format
and lay out. Each section function takes the context and returns a list of *items*
(:class:`~cdp_analysis.report.items.Md`, :class:`~cdp_analysis.report.items.Figure`,
:class:`~cdp_analysis.report.items.Table`) and :func:`~cdp_analysis.report.items.show`
displays them in the notebook; figures are built only when shown, so the items can be tested
without drawing anything.

One module per topic, mirroring :mod:`cdp_analysis.needs`: ``population`` (age structure,
drug use, alcohol dependence), ``deaths``, ``police`` (police.uk and seizures),
``treatment`` (targets, unmet need, reoffending), ``exclusions`` and ``harm``; ``summary``
states the findings and ``common`` holds the sources, header and notes. :data:`SECTIONS`
lists the sections in the order the appendix shows them.

Wording rules: ONS deaths are said to be by year of registration; forecasts are labelled
``[f]``; uncertainty is put in words next to the number; nothing "rises" or "falls" without
a test behind it; chart titles state the computed finding.
"""

from __future__ import annotations

from cdp_analysis.report.items import Figure, Md, Table, show
from cdp_analysis.report.needs_sections.common import NO_DATA, REGISTRATION_NOTE, header, notes_section
from cdp_analysis.report.needs_sections.deaths import deaths_section
from cdp_analysis.report.needs_sections.exclusions import school_exclusions_section
from cdp_analysis.report.needs_sections.harm import harm_section
from cdp_analysis.report.needs_sections.police import police_section, seizures_section
from cdp_analysis.report.needs_sections.population import population_section, prevalence_section
from cdp_analysis.report.needs_sections.summary import findings, summary_section
from cdp_analysis.report.needs_sections.treatment import reoffending_section, treatment_section

__all__ = [
    "Md", "Figure", "Table", "show", "header", "population_section", "deaths_section", "police_section",
    "treatment_section", "reoffending_section", "summary_section", "notes_section", "findings",
    "REGISTRATION_NOTE", "NO_DATA", "seizures_section", "prevalence_section", "school_exclusions_section",
    "harm_section", "SECTIONS",
]

#: the appendix's sections in order: (heading, section function); the notebook shows them in
#: this order, one cell each, and the tests run every one for several kinds of area
SECTIONS = (
    ("Summary of findings", summary_section),
    ("Population and age structure", population_section),
    ("Drug-related deaths", deaths_section),
    ("Crime and enforcement", police_section),
    ("Drug seizures", seizures_section),
    ("Treatment and continuity of care", treatment_section),
    ("Reoffending", reoffending_section),
    ("Prevalence of drug use and alcohol dependence", prevalence_section),
    ("Drug-related hospital admissions", harm_section),
    ("School exclusions for drugs and alcohol", school_exclusions_section),
    ("Notes and sources", notes_section),
)
