# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (cdp-analysis)
#     language: python
#     name: cdp-analysis
# ---

# %% [markdown]
# # Combating Drugs Partnership progress report
#
# Progress against the national Combating Drugs Outcomes Framework, rebuilt from the
# partnership's returns with every derived figure computed, not typed.

# %% tags=["parameters"]
area: str = "pan-dorset"  # partnership id or GSS code
period: str = "2023/24 Q1"  # reporting period, e.g. '2023/24 Q1'
db: str = ""  # path to the DuckDB store; empty for data/cdp.duckdb

# %%
from IPython.display import Markdown, display

from cdp_analysis.progress import load_context
from cdp_analysis.report import progress_sections as sections

ctx = load_context(area=area, period=period, db=db or None)
display(Markdown(sections.header(ctx)))

# %% [markdown]
# ## Summary

# %%
display(Markdown(sections.summary_section(ctx)))

# %% [markdown]
# ## 1. Prevention
#
# The returns hold no prevention figures for this period. The prevention sub-group's work
# (school-based prevention, suspensions, campaigns, whole-family support) is reported in words.

# %% [markdown]
# ## 2. Enforcement: national outcomes projected for the year

# %%
sections.outcomes_chart(ctx)

# %%
display(Markdown(sections.outcomes_section(ctx)))

# %% [markdown]
# ## 3. Treatment and recovery: local delivery of national targets

# %%
display(Markdown(sections.treatment_section(ctx)))

# %% [markdown]
# ### Drug-related deaths

# %%
display(Markdown(sections.deaths_section(ctx)))

# %% [markdown]
# ## 4. Checks of the printed figures
#
# The audit recomputes every projection, change and status the printed report gave and
# classifies each difference (rounding, truncation, a likely transposed digit, an
# arithmetic error, a wrong base period).

# %%
display(Markdown(sections.checks_section(ctx)))

# %% [markdown]
# ## Notes and sources
#
# - Enforcement figures are Dorset Police management information; treatment figures are
#   NDTMS numbers in treatment, which exclude clients who do not consent to share their
#   data; drug-related deaths are local surveillance, not ONS registrations.
# - Confidence and predictive intervals are 95%. "Not a statistically significant change"
#   means the difference is within what chance alone would often produce.
# - Produced with cdp-analysis; methods and references are in the library's documentation.
