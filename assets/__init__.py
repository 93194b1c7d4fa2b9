"""Files the wizard ships: CloudFormation templates and, later, price tables."""
from importlib.resources import files


def read_text(name: str) -> str:
    """The text of a shipped asset, read through importlib so it works from a wheel too."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
