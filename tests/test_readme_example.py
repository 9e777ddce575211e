"""The README's plain-Keras example runs as written (issue 15)."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_readme_keras_example_runs_as_written(tmp_path, monkeypatch, capsys):
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    section = readme.split("## Use it as a Keras library", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # it writes pixelcnn.keras
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "pixelcnn.keras").exists()
    printed = capsys.readouterr().out
    values = [float(v) for v in re.findall(r"-?\d+\.\d+", printed)]
    assert len(values) == 4 and all(v < 0 for v in values), printed
