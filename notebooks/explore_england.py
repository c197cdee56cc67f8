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
# # The national picture: drug deaths and deprivation, police.uk by deprivation, reoffending
#
# What an analyst compares an area against: every English upper-tier area's drug-misuse death
# rate against its deprivation, police.uk drug offences by the deprivation of the
# neighbourhood for the forces in the store, and the national proven reoffending series.
# `area` only picks out an area (or a partnership's members) in the charts.

# %% tags=["parameters"]
area: str = "pan-dorset"  # partnership id or GSS code to pick out
db: str = ""  # path to the DuckDB store; empty for data/cdp.duckdb

# %%
from cdp_analysis import deprivation, explore
from cdp_analysis.data.store import Store

store = Store(db or None, read_only=True)

# %% [markdown]
# ## Deprivation of each area, from its LSOAs
#
# The English indices of deprivation 2019 rank every LSOA (1 = most deprived of 32,844) and
# place it in a national decile. Each LSOA is assigned to today's upper-tier area through its
# 2019 district; the area's summaries and the weights used are stated below.

# %%
imd_lsoa = store.imd_lsoa()
imd_lsoa.head()

# %%
imd_areas = store.imd_areas()
print(imd_areas.attrs["method"])
imd_areas.sort_values("average_rank").head(10)

# %% [markdown]
# ## Drug-misuse death rates against deprivation
#
# Deaths from drug misuse registered in 2019 to 2021 (ONS) over the person-years of the same
# years (ONS mid-year estimates), for every upper-tier area, against the average IMD decile of
# its LSOAs. The model is a quasi-Poisson regression with a log person-years offset: the rate
# ratio per decile more deprived, with its 95% confidence interval widened for the variation
# between areas beyond Poisson chance (the dispersion). The sentence below is the fitted
# model's own.

# %%
frame = deprivation.deaths_and_deprivation(store)
gradient = deprivation.deprivation_gradient(frame)
gradient

# %%
explore.show_deprivation_gradient(frame, gradient, highlight=area)

# %%
gradient.summary()

# %% [markdown]
# ## police.uk drug offences by the deprivation of the neighbourhood
#
# For each police force area whose police.uk street-level records are in the store: drug
# offences recorded in LSOAs of each national IMD decile, per LSOA of that decile in the force
# area, with exact Poisson 95% intervals. Records in 2021 LSOAs that are not in the 2011 IMD
# file cannot be placed and are counted separately. The same quasi-Poisson model gives the
# rate ratio per decile more deprived.

# %%
police = explore.police_by_deprivation(store)
print(police.attrs["unplaced"], "records could not be placed in a 2011 LSOA, by force")
police

# %%
deprivation.deprivation_gradient(police, events="offences", exposure="lsoas", x="imd_decile", multiplier=1,
                                 units="deciles")

# %%
explore.show_police_by_deprivation(police)

# %% [markdown]
# ## Proven reoffending, England and Wales
#
# The Ministry of Justice's proven reoffending rate (the share of offenders in a quarterly
# cohort who reoffend within a year), for all offenders, adults and juveniles.

# %%
reoff = explore.reoffending(store)
reoff.pivot_table(index="period", columns="age", values="value").tail(8)

# %%
explore.show_reoffending(reoff)
