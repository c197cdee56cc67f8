# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
from cdp_analysis.progress import load_context
from cdp_analysis.report import progress_sections as sections

ctx = load_context(area=area, period=period, db=db or None)
sections.show(sections.header(ctx))

# %% [markdown]
# ## Summary

# %%
sections.show(sections.summary_section(ctx))

# %% [markdown]
# ## 1. Prevention

# %%
sections.show(sections.prevention_section(ctx))

# %% [markdown]
# ## 2. Enforcement: national outcomes projected for the year

# %%
sections.show(sections.outcomes_chart(ctx))

# %%
sections.show(sections.outcomes_section(ctx))

# %%
sections.show(sections.other_figures_section(ctx, "enforcement"))

# %% [markdown]
# ## 3. Treatment and recovery: local delivery of national targets

# %%
sections.show(sections.treatment_section(ctx))

# %%
sections.show(sections.other_figures_section(ctx, "treatment"))

# %%
sections.show(sections.reoffending_section(ctx))

# %% [markdown]
# ### Drug-related deaths

# %%
sections.show(sections.deaths_section(ctx))

# %% [markdown]
# ## 4. Checks of the printed figures
#
# The audit recomputes every projection, change and status the printed report gave and
# classifies each difference (rounding, truncation, a likely transposed digit, an
# arithmetic error, a wrong base period).

# %%
sections.show(sections.checks_section(ctx))

# %% [markdown]
# ## Notes and sources

# %%
sections.show(sections.notes_section(ctx))
