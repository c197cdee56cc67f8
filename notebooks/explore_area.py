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
# # Explore an area: every series the store holds, beside its comparators
#
# For an English upper-tier area (GSS code) or a partnership: the series in the store as tidy
# frames next to the region, England and (for national series) England and Wales; the rates
# against region and England as small multiples; and where the area ranks among every
# upper-tier area with funnel limits. Change `area` below (or pass it with papermill) and run
# all cells. Nothing is written to disk unless `CDP_OUTPUT_DIR` is set.

# %% tags=["parameters"]
area: str = "pan-dorset"  # partnership id or GSS code of an English upper-tier area
db: str = ""  # path to the DuckDB store; empty for data/cdp.duckdb

# %%
from cdp_analysis import explore
from cdp_analysis.data.store import Store

store = Store(db or None, read_only=True)
explore.comparators_frame(area)

# %% [markdown]
# ## What the store holds
#
# The latest figure of every metric for the area (or each member), from `Store.area_profile`:
# the source, the periods covered and the latest value with its interval where published.

# %%
store.area_profile(area)

# %% [markdown]
# ## Every series, tidy
#
# One row per metric, area and period: one source per series (the one reaching the latest
# period) and the latest edition of each period. `role` says whether a row is the area, a
# member, the police force, the region, England or England and Wales. Filter it, pivot it,
# plot it.

# %%
series = explore.area_series(store, area)
series

# %% [markdown]
# The age-standardised rate of deaths from drug misuse (three-year rates per 100,000,
# ONS) side by side: the area's values beside the region's and England's.

# %%
explore.side_by_side(series, "drug_misuse_asmr").tail(8)

# %% [markdown]
# The latest year's registered deaths from drug misuse against the year before, tested with
# the exact conditional test of two Poisson counts (like-for-like calendar years). A result
# that is not statistically significant is not a rise or a fall.

# %%
explore.latest_change(series, "drug_misuse_deaths")

# %% [markdown]
# ## Trends against region and England
#
# Rates and percentages only (counts differ with the size of an area). The title states the
# comparison of the latest period with England's value (England inside the area's 95%
# confidence interval is "similar"; Fingertips' rule).

# %%
trends = explore.show_trends(series, area)

# %% [markdown]
# ## Where the area ranks among all upper-tier areas
#
# Every English upper-tier area's latest three-year age-standardised rate of deaths from drug
# misuse, the area picked out, with the 95% and 99.8% funnel (control) limits at the area's
# size around England's average (exact Poisson limits, Fingertips' method).

# %%
ranked = explore.ranking(store, area)
explore.show_ranking(ranked)

# %%
ranked[ranked["highlight"]]
