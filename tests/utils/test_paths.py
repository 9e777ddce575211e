"""Names that become one directory level are checked before any work."""

import pytest

from tfgen.export import export_model
from tfgen.utils.paths import check_plain_name


@pytest.mark.parametrize("name", ["", "../etc", "a/b", ".hidden", " padded", "tab\t"])
def test_paths_and_hidden_or_padded_names_are_refused(name):
    with pytest.raises(ValueError, match=r"--export_name\) must be a plain directory name"):
        check_plain_name(name, "TrainConfig.export_name (--export_name)")
    with pytest.raises(ValueError, match="name must be a plain directory name"):
        export_model(None, root="unused", name=name)


@pytest.mark.parametrize("name", ["vae_fashion_mnist", "model-2", "a.b"])
def test_plain_names_pass(name):
    assert check_plain_name(name, "name") == name
