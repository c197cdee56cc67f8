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
# # Combating Drugs Partnership needs assessment: data appendix
#
# The quantitative appendix of the joint local needs assessment: population, drug-related
# deaths, crime and enforcement, treatment, reoffending, and the prevalence of drug use and
# alcohol dependence. Every figure is computed by the cdp-analysis library from the published
# data in the store; the words around each figure say what it shows and how sure we can be.

# %% tags=["parameters"]
area: str = "pan-dorset"  # partnership id or GSS code of an English upper-tier area
period: str = "2023/24 Q1"  # reporting period, e.g. '2023/24 Q1'
db: str = ""  # path to the DuckDB store; empty for data/cdp.duckdb
shared: str = ""  # path of the shared results (cdp_analysis.needs.shared.compute_shared); empty to find or compute
include_forecast: bool = True  # forecast registered deaths [f] with the backtest accuracy

# %%
from cdp_analysis.needs import load_context
from cdp_analysis.report import needs_sections as sections

ctx = load_context(area=area, period=period, db=db or None, shared=shared or None, include_forecast=include_forecast)
sections.show(sections.header(ctx))

# %% [markdown]
# ## Summary of findings

# %%
sections.show(sections.summary_section(ctx))

# %% [markdown]
# ## 1. Population and age structure

# %%
sections.show(sections.population_section(ctx))

# %% [markdown]
# ## 2. Drug-related deaths
#
# Deaths related to drug misuse (the national outcomes framework's measure): ONS registrations.

# %%
sections.show(sections.deaths_section(ctx, measure="misuse"))

# %% [markdown]
# ## 3. Crime and enforcement

# %%
sections.show(sections.police_section(ctx))

# %%
sections.show(sections.seizures_section(ctx))

# %% [markdown]
# ## 4. Treatment and continuity of care

# %%
sections.show(sections.treatment_section(ctx))

# %% [markdown]
# ## 5. Reoffending

# %%
sections.show(sections.reoffending_section(ctx))

# %% [markdown]
# ## 6. Prevalence of drug use and alcohol dependence

# %%
sections.show(sections.prevalence_section(ctx))

# %% [markdown]
# ## 7. Harm: hospital admissions related to drugs

# %%
sections.show(sections.harm_section(ctx))

# %% [markdown]
# ## 8. School exclusions and suspensions for drug and alcohol

# %%
sections.show(sections.school_exclusions_section(ctx))

# %% [markdown]
# ## Notes and sources

# %%
sections.show(sections.notes_section(ctx))
