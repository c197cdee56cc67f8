"""One vocabulary (#18 item 6): every parameter of the public API is a documented word.

Checks the signatures of everything exported from ``cdp_analysis.indicators``,
``cdp_analysis.models`` and the public methods of ``Store``: each parameter name is in
``cdp_analysis.vocabulary.VOCABULARY`` and none is a retired name; the retired names still
work for one release, with a DeprecationWarning naming the new word.
"""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

from cdp_analysis.vocabulary import RETIRED, VOCABULARY


def _public_callables():
    import cdp_analysis.indicators as ind
    import cdp_analysis.models as models
    from cdp_analysis.data.store import Store

    for mod in (ind, models):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                continue  # result and policy types: their fields are documented with them
            if callable(obj):
                yield f"{mod.__name__}.{name}", obj
    for name, obj in vars(Store).items():
        if callable(obj) and not name.startswith("_"):
            yield f"Store.{name}", obj


CALLABLES = dict(_public_callables())


def test_every_public_parameter_is_a_word_of_the_vocabulary():
    problems = []
    for where, fn in CALLABLES.items():
        for p in inspect.signature(fn).parameters.values():
            if p.name == "self":
                continue
            if p.kind is p.VAR_KEYWORD:
                problems.append(f"{where}: **{p.name} hides parameters from tab completion")
            elif p.name in RETIRED:
                problems.append(f"{where}: {p.name!r} is retired; use {RETIRED[p.name]!r}")
            elif p.name not in VOCABULARY:
                problems.append(f"{where}: {p.name!r} is not in cdp_analysis.vocabulary.VOCABULARY "
                                "(add it with its meaning, or use the word that already means it)")
    assert not problems, "\n".join(problems)


def test_the_checked_api_is_the_whole_api():
    # the test above must see the functions the issue names, not an empty list
    for name in ("cdp_analysis.indicators.rate", "cdp_analysis.indicators.compare",
                 "cdp_analysis.indicators.rate_ratio_test", "cdp_analysis.models.forecast",
                 "Store.observations", "Store.series", "Store.area_profile"):
        assert name in CALLABLES
    assert len(CALLABLES) > 40


@pytest.mark.parametrize(("call", "old", "new"), [
    (lambda ind, kw: ind.compare(ind.rate(pd.DataFrame({"count": [59], "denominator": [1e5]})), 40.0, **kw),
     "level", "confidence"),
    (lambda ind, kw: ind.wilson_limits(65, **kw), "n", "denominator"),
    (lambda ind, kw: ind.proportion(pd.DataFrame({"a": [65], "denominator": [100]}), **kw), "numerator", "count"),
    (lambda ind, kw: ind.rate_ratio_test(55, 1.0, 59, **kw), "exposure_b", "denominator_b"),
    (lambda ind, kw: ind.proportion_difference_test(30, 100, 20, **kw), "n_b", "denominator_b"),
])
def test_retired_names_still_work_with_a_warning_naming_the_new_one(call, old, new):
    from cdp_analysis import indicators as ind

    value = {"level": 0.998, "n": 100, "numerator": "a", "exposure_b": 1.0, "n_b": 100}[old]
    with pytest.warns(DeprecationWarning, match=f"use {new}="):
        got = call(ind, {old: value})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        want = call(ind, {new: value})
    if isinstance(want, tuple):
        assert [float(v) for v in got] == [float(v) for v in want]
    else:
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want))
    with pytest.raises(TypeError, match="both"):
        call(ind, {old: value, new: value})


def test_describe_change_takes_denominators_for_counts_and_proportions():
    from cdp_analysis import indicators as ind

    rates = ind.describe_change(30, 12, "BCP", "Dorset", measure="arrests", denominator_a=400_000,
                                denominator_b=380_000, multiplier=100_000, rate_unit="per 100,000")
    assert "(7.5 per 100,000)" in rates  # 30 / 400,000 x 100,000
    with pytest.warns(DeprecationWarning, match="use denominator_a="):
        old = ind.describe_change(30, 12, "BCP", "Dorset", measure="arrests", exposure_a=400_000,
                                  exposure_b=380_000, multiplier=100_000, rate_unit="per 100,000")
    assert old == rates


def test_store_filters_by_metric_and_area(full_store):
    from cdp_analysis.data.store import Store

    with Store(full_store, read_only=True) as s:
        new = s.observations(metric="drug_misuse_deaths", area="E08000025")
        with pytest.warns(DeprecationWarning, match="use area="):
            old = s.observations(metric="drug_misuse_deaths", area_code="E08000025")
    pd.testing.assert_frame_equal(new, old)
    assert len(new) and set(new["area_code"]) == {"E08000025"}


def test_tab_completion_sees_the_new_names_not_kwargs():
    jedi = pytest.importorskip("jedi")  # what IPython's completer uses
    from cdp_analysis import indicators as ind
    from cdp_analysis.data.store import Store

    for code, ns, wanted in (("ind.compare(", {"ind": ind}, "confidence"),
                             ("ind.rate_ratio_test(", {"ind": ind}, "denominator_a"),
                             ("Store.observations(", {"Store": Store}, "area")):
        (sig,) = jedi.Interpreter(code, [ns]).get_signatures()
        names = [p.name for p in sig.params]
        assert wanted in names and "kwargs" not in names, names
