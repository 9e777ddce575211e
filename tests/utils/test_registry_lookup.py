import pytest

from tfgen.experiments import studies
from tfgen.experiments.registry import get_experiment
from tfgen.models.registry import get_model_class
from tfgen.utils.registry import lookup


def test_lookup_returns_the_entry_and_lists_valid_names_otherwise():
    table = {"b": 2, "a": 1}
    assert lookup(table, "a", "thing") == 1
    with pytest.raises(ValueError, match=r"Unknown thing 'c'; valid names: \['a', 'b'\]"):
        lookup(table, "c", "thing")


@pytest.mark.parametrize("get, kind", [(get_experiment, "experiment"), (get_model_class, "model"),
                                       (studies.get_study, "study")])
def test_registries_use_the_shared_lookup(get, kind):
    with pytest.raises(ValueError, match=rf"Unknown {kind} 'nope'; valid names: \["):
        get("nope")
