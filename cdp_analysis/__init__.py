"""cdp-analysis: indicators, trend models and reports for Combating Drugs Partnerships.

Importing the package is light: heavy libraries (scipy, statsmodels, duckdb, matplotlib,
papermill) are imported inside the functions that use them.

>>> import cdp_analysis
>>> cdp_analysis.Period.parse("2023/24 Q1").label
'2023/24 Q1'
"""

from cdp_analysis.errors import CdpError, CdpInputError, CdpParameterError, CdpRunError
from cdp_analysis.periods import Period, parse_period

__version__ = "0.1.0"

__all__ = [
    "CdpError",
    "CdpInputError",
    "CdpParameterError",
    "CdpRunError",
    "Period",
    "parse_period",
    "__version__",
]
