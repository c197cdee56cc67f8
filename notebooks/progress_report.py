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

# %%
display(Markdown(sections.prevention_section(ctx)))

# %% [markdown]
# ## 2. Enforcement: national outcomes projected for the year

# %%
sections.outcomes_chart(ctx)

# %%
display(Markdown(sections.outcomes_section(ctx)))

# %%
display(Markdown(sections.other_figures_section(ctx, "enforcement")))

# %% [markdown]
# ## 3. Treatment and recovery: local delivery of national targets

# %%
display(Markdown(sections.treatment_section(ctx)))

# %%
display(Markdown(sections.other_figures_section(ctx, "treatment")))

# %%
display(Markdown(sections.reoffending_section(ctx)))

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

# %%
display(Markdown(sections.notes_section(ctx)))
