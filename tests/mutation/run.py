"""Mutation testing of the safety-critical modules (issue 18): do our tests catch harmful edits?

    python -m tests.mutation.run                 every module in targets.py
    python -m tests.mutation.run wizard/redaction.py wizard/secret_store.py
    python -m tests.mutation.run --list          the modules and the tests that guard each

For each module, mutmut (https://github.com/boxed/mutmut) makes small harmful edits to its
functions (a condition flipped, a constant changed, a call dropped) and runs the module's own tests
(targets.py) against each; a mutant the tests do not notice "survived". It works in a copy of the
working tree under .mutation/ (mutmut writes a mutants/ folder and its config into the project),
so the repository is never touched. Too slow for every CI run (each mutant reruns tests): run it
before and after changing a guarded module, and keep README's table current.

The score of a module is killed / (mutants - equivalent): equivalent.toml names each survivor that
cannot change behaviour and why. Exit status 1 when a module is under GOAL.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutation"
GOAL = 0.90
_RESULT = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>.+?)\s*$")


@dataclass
class Score:
    module: str
    statuses: dict[str, str] = field(default_factory=dict)  # mutant name -> mutmut's status
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant name -> why
    seconds: float = 0.0

    @property
    def killed(self) -> int:
        return sum(s in ("killed", "timeout") for m, s in self.statuses.items() if m not in self.equivalent)

    @property
    def wrongly_equivalent(self) -> list[str]:
        """Listed as equivalent, yet a test kills them: the list is out of date."""
        return sorted(m for m in self.equivalent if self.statuses[m] in ("killed", "timeout"))

    @property
    def counted(self) -> int:
        return len([m for m in self.statuses if m not in self.equivalent])

    @property
    def survivors(self) -> list[str]:
        return sorted(m for m, s in self.statuses.items() if s not in ("killed", "timeout")
                      and m not in self.equivalent)

    @property
    def ratio(self) -> float:
        return self.killed / self.counted if self.counted else 1.0


def _working_tree_files() -> list[str]:
    """Tracked and new (not ignored) files: the tree as it is now, uncommitted edits included."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, check=True, capture_output=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def _copy_tree(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for name in _working_tree_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def _configure(copy: Path, module: str, tests: list[str]) -> None:
    """mutmut reads its settings from the project's pyproject.toml: the copy's gets them. The tests
    run inside mutmut's mutants/ folder: `assets` goes there too, so they never depend on an
    installed copy of the project (an editable install elsewhere would shadow it, or be gone)."""
    quoted = ", ".join(f'"{t}"' for t in tests)
    with open(copy / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(f'\n[tool.mutmut]\nsource_paths = ["wizard", "screens"]\nonly_mutate = ["{module}"]\n'
                     'also_copy = ["assets"]\n'
                     f"pytest_add_cli_args_test_selection = [{quoted}]\n"
                     'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n')


def _equivalents() -> dict[str, str]:
    path = Path(__file__).with_name("equivalent.toml")
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _statuses(copy: Path, env: dict[str, str]) -> dict[str, str]:
    listing = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=copy, env=env,
                             capture_output=True, text=True, check=False).stdout
    return {found["name"]: found["status"] for found in map(_RESULT.match, listing.splitlines()) if found}


def _refresh_tests(copy: Path, module: str, tests: list[str]) -> list[str]:
    """For --again: the tests (and the code they use) as they are now, in the copy and in mutmut's
    folder, and the last run's survivors. mutmut keeps a result it has (a survivor stays a
    survivor however the tests grew) and runs only mutants without one: the survivors are named
    to it to run again. Killed mutants stay killed when tests are only added; a changed module
    renumbers its mutants, so it needs a whole run."""
    if not (copy / "mutants").is_dir():
        raise SystemExit(f"{module} has no earlier run in {copy}: run it without --again first.")
    if (copy / module).read_bytes() != (ROOT / module).read_bytes():
        raise SystemExit(f"{module} changed since its last run, so its mutants did too: run it without --again.")
    for name in _working_tree_files():
        # The tests as they are, and everything they use (the doubles, shared modules) but the
        # mutated module itself, whose mutants/ copy holds the mutants.
        if name != module and name.split("/", 1)[0] in ("tests", "wizard", "screens", "assets"):
            for base in (copy, copy / "mutants"):
                (base / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, base / name)
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    _configure(copy, module, tests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    _keep_results_for_added_tests(copy, env)
    return [m for m, s in _statuses(copy, env).items() if s not in ("killed", "timeout")]


def _keep_results_for_added_tests(copy: Path, env: dict[str, str]) -> None:
    """A test file added to the module's list changes mutmut's "test selection" fingerprint, and
    mutmut then forgets every result and runs every mutant again (a whole run, not --again).
    Adding tests cannot revive a killed mutant, and mutmut maps the added tests to functions
    itself ("new tests"): so the saved fingerprint is brought up to date before it looks."""
    stats = copy / "mutants" / "mutmut-stats.json"
    if not stats.exists():
        return
    current = subprocess.run([sys.executable, "-c", "import json; from mutmut.configuration import config; "
                              "print(json.dumps(config().config_fingerprint()))"],
                             cwd=copy, env=env, capture_output=True, text=True, check=True).stdout
    data = json.loads(stats.read_text(encoding="utf-8"))
    data["config_fingerprint"] = {**data.get("config_fingerprint", {}),
                                  "test_selection": json.loads(current)["test_selection"]}
    stats.write_text(json.dumps(data, indent=4), encoding="utf-8")


def run_module(module: str, children: int, again: bool = False) -> Score:
    tests = TARGETS[module]
    copy = WORK / module.replace("/", "_").removesuffix(".py")
    survivors: list[str] = []
    if again:
        survivors = _refresh_tests(copy, module, tests)
    else:
        _copy_tree(copy)
        _configure(copy, module, tests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = time.monotonic()
    print(f"\n== {module}: {f'again ({len(survivors)} survived the last run)' if again else 'mutating'}, "
          f"then running {', '.join(tests)}", flush=True)
    with open(copy / "mutmut-run.log", "w", encoding="utf-8") as log:
        # Every mutant without a result; then, with --again, the last run's survivors by name.
        for names in ([], survivors) if survivors else ([],):
            subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names],
                           cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    score = Score(module, statuses=_statuses(copy, env), seconds=time.monotonic() - started)
    known = _equivalents()
    score.equivalent = {m: known[m] for m in score.statuses if m in known}
    ran = (copy / "mutmut-run.log").read_text(encoding="utf-8", errors="replace")
    if "failed to collect stats" in ran:  # the tests failed unmutated: the old results were shown again
        score.statuses = {}
    if not score.statuses or all(s == "not checked" for s in score.statuses.values()):
        # The tests failed before any mutant ran (mutmut's clean run or its stats): its log says why.
        tail = ran.strip().splitlines()[-3:]
        print(f"   mutmut ran no mutant: see {copy / 'mutmut-run.log'}, which ends:\n     " + "\n     ".join(tail))
        return score
    for name in score.wrongly_equivalent:
        print(f"   {name} is listed in equivalent.toml but a test kills it: remove it from the list")
    for name in score.survivors:
        diff = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=copy, env=env,
                              capture_output=True, text=True, check=False).stdout
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        print(f"   survived {name} ({score.statuses[name]}): " + " | ".join(changed)[:300])
    return score


def table(scores: list[Score]) -> str:
    lines = ["| module | mutants | equivalent | killed | score |", "|---|---|---|---|---|"]
    for s in scores:
        lines.append(f"| `{s.module}` | {len(s.statuses)} | {len(s.equivalent)} | {s.killed} | "
                     f"{s.ratio:.0%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation.run", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths as in targets.py (default: all)")
    parser.add_argument("--list", action="store_true", help="show the modules and their tests, run nothing")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1, help="mutants run at once")
    parser.add_argument("--again", action="store_true",
                        help="after adding tests: run the last run's survivors again (and any mutant without a result)")
    args = parser.parse_args(argv)
    modules = args.modules or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        print(f"Not in tests/mutation/targets.py: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.list:
        for module in modules:
            print(f"{module}: {' '.join(TARGETS[module])}")
        return 0
    if shutil.which("git") is None:
        print("git is needed (the copy is made from the working tree's file list).", file=sys.stderr)
        return 2
    scores = []
    for module in modules:
        scores.append(run_module(module, args.children, args.again))
        last = scores[-1]
        print(f"   {module}: {len(last.statuses)} mutants, {len(last.equivalent)} equivalent, {last.killed} killed: "
              f"{last.ratio:.0%} ({last.seconds:.0f} s)", flush=True)
    print("\n" + table(scores))
    print(f"\n{sum(s.seconds for s in scores):.0f} s in all; goal {GOAL:.0%} of the non-equivalent mutants")
    return 0 if all(s.ratio >= GOAL and s.statuses for s in scores) else 1


if __name__ == "__main__":
    sys.exit(main())
